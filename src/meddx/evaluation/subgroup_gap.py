"""The largest gap between subgroups, with a p-value adjusted for having picked it.

``largest_gap`` reports the widest difference of a headline metric between two adequately sized
groups of one attribute. That gap is the maximum over every pair of groups and every gap metric
(with 4 sites, 6 pairs x 5 metrics = 30 comparisons), so a p-value for that one pair and metric
alone is far too small: with no true difference at all (3 groups of 60 cases, 15 gaps), the
largest gap had an unadjusted p <= 0.05 in 16% (permutation test of that pair and metric) to 27%
(Wald test) of simulated evaluations.

``gap_test`` adjusts for it with a permutation test of the maximum (Westfall & Young 1993,
single-step maxT on the raw gaps, the statistic ``largest_gap`` itself picks): the attribute's
group labels are shuffled among the cases of the compared groups, within each class (so every
group keeps its class counts, and the class-conditional metrics are compared on equal terms),
or among whole patients when patient ids are given and each patient lies in one group; each
shuffle's largest gap, over all pairs and metrics, is recomputed. Then

- ``p_adjusted`` = (1 + shuffles whose largest gap >= the observed) / (1 + shuffles): the
  family-wise-error-adjusted p-value of the reported gap. Under the null that the groups do not
  differ (cases exchangeable between groups within a class) it is exact, whatever the
  dependence between the metrics: "p_adjusted <= alpha" flags a gap wrongly at most alpha of the time.
- ``p_value`` = the same for that one pair and metric (|difference| >= the observed gap):
  unadjusted, shown so the reader sees what the adjustment did.

Why not Holm over Wald tests (the first choice): each group's standard error from its bootstrap
interval made the single Wald tests run at 6-7% for a nominal 5% (sensitivity, accuracy; 60 cases
per group), and Holm on top of them reached a 4.5-6% family-wise error in simulation; the
permutation test needs no standard errors and is exact by construction.

Hand-written because no library permutes group labels within class strata (and whole patients)
and takes the maximum over pairs and several metrics (``scipy.stats.permutation_test`` shuffles
without strata, one statistic at a time); each shuffle's metrics of all groups come from a few
``np.bincount`` calls (``_GroupMetrics``), so 1000 shuffles cost about what 1000 bootstrap
resamples of the groups do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

GAP_METRICS = ("auc", "sensitivity", "specificity", "balanced_accuracy", "accuracy")
GAP_TEST_METHOD = ("permutation test of the largest gap (Westfall-Young maxT): group labels shuffled within class "
                   "strata{unit}; p_adjusted compares the observed largest gap with each shuffle's largest gap over "
                   "all pairs of groups and gap metrics; p_value with that pair and metric's gap alone (unadjusted)")
TIE = 1e-12  # a shuffle's gap equal to the observed one (up to float rounding) counts as at least as large


def largest_gap(per_group: dict[str, Any]) -> dict[str, Any] | None:
    """The widest difference of a headline metric between two groups large enough to compare.

    Groups flagged as too small are left out; when fewer than two remain, there is no gap.
    ``subgroup_metrics`` adds the permutation p-values of :func:`gap_test` to it.
    """
    adequate = {v: e for v, e in per_group.items() if not e["warning"]}
    best: dict[str, Any] | None = None
    for metric in GAP_METRICS:
        values = {v: (e.get(metric) or {}).get("estimate") for v, e in adequate.items()}
        values = {v: x for v, x in values.items() if x is not None}
        if len(values) < 2:
            continue
        high, low = max(values, key=values.get), min(values, key=values.get)  # type: ignore[arg-type]
        if high == low:  # every value equal: any two distinct groups
            low = next(v for v in values if v != high)
        gap = values[high] - values[low]
        if best is None or gap > best["gap"]:
            best = {"metric": metric, "gap": float(gap), "between": [high, low],
                    "values": [values[high], values[low]]}
    return best


def gap_test(
    y: np.ndarray, p: np.ndarray, task: str, labels: Sequence[str], gap: dict[str, Any], *,
    threshold: float | list[float] | None = None, patients: np.ndarray | None = None,
    n_permutations: int = 1000, seed: int = 0, scores: np.ndarray | None = None,
) -> dict[str, Any]:
    """Permutation p-values of ``gap`` (a :func:`largest_gap` result) over the cases of the compared groups.

    Args:
        y, p: validated outcomes and probabilities of the cases in the compared (warning-free) groups.
        labels: (N,) the group of each of those cases; ``gap["between"]`` names two of them.
        threshold, task: as for the group metrics (the same operating point).
        patients: (N,) patient ids: whole patients are shuffled when each lies in one group.
        n_permutations: shuffles (the evaluation's ``--bootstrap`` count); seeded by ``seed``.
        scores: what AUC ranks instead of ``p`` (``classification_metrics(scores=)``).

    Returns:
        ``{"p_value", "p_adjusted", "n_comparisons", "n_permutations", "unit", "method"}`` (module docstring).
    """
    from meddx.evaluation.decision import decision_weights
    from meddx.evaluation.intervals import _strata
    from meddx.evaluation.metrics import _resolve_threshold

    names = sorted(set(labels))
    codes = np.array([names.index(v) for v in labels])
    metrics = [m for m in GAP_METRICS if task == "binary" or m not in ("sensitivity", "specificity")]
    _, cut, _ = _resolve_threshold(threshold, task, p.shape[1])
    # a class-weighted multi-class model decides by argmax p_k·w_k (evaluation.decision), as its group metrics do
    per_group = _GroupMetrics(y, p, task, cut, len(names), decision_weights(threshold, p.shape[1]), scores)

    def table(c: np.ndarray) -> np.ndarray:  # (groups, metrics), NaN where undefined
        values = per_group(c)
        return np.column_stack([values[m] for m in metrics])

    observed = table(codes)
    m, hi, lo = metrics.index(gap["metric"]), names.index(gap["between"][0]), names.index(gap["between"][1])
    shuffle, unit = _shuffler(codes, _strata(y, task), patients)
    rng = np.random.default_rng(seed)
    largest, pair_gap = _max_gap(observed), abs(observed[hi, m] - observed[lo, m])
    at_least_max = at_least_pair = 0
    for _ in range(n_permutations):
        t = table(shuffle(rng))
        at_least_max += int(_max_gap(t) >= largest - TIE)
        at_least_pair += int(abs(t[hi, m] - t[lo, m]) >= pair_gap - TIE)  # NaN (undefined in a shuffle): not counted
    defined = np.isfinite(observed).sum(axis=0)
    return {"p_value": (1 + at_least_pair) / (1 + n_permutations),
            "p_adjusted": (1 + at_least_max) / (1 + n_permutations),
            "n_comparisons": int((defined * (defined - 1) // 2).sum()), "n_permutations": int(n_permutations),
            "unit": unit,
            "method": GAP_TEST_METHOD.format(unit=" by patient" if unit == "patient" else "")}


def _max_gap(t: np.ndarray) -> float:
    """Largest (max - min) over the metrics defined for at least two groups; -inf when none is."""
    gaps = [np.nanmax(col) - np.nanmin(col) for col in t.T if np.isfinite(col).sum() >= 2]
    return float(max(gaps)) if gaps else -np.inf


def _shuffler(codes: np.ndarray, strata: np.ndarray, patients: np.ndarray | None) -> tuple[Any, str]:
    """``(shuffle(rng) -> codes, unit)``: the group codes permuted within class strata, by whole
    patients when every patient (several cases for some) lies in one group, else case by case."""
    if patients is not None:
        pid = np.unique(np.asarray(patients), return_inverse=True)[1].reshape(-1)
        n_units = int(pid.max()) + 1
        unit_code = np.zeros(n_units, dtype=int)
        unit_code[pid] = codes
        one_group_each = bool((unit_code[pid] == codes).all())
        if one_group_each and 2 <= n_units < len(codes):
            unit_stratum = np.full(n_units, -1)
            np.maximum.at(unit_stratum, pid, np.unique(strata, return_inverse=True)[1].reshape(-1))
            within = _permute_within(unit_code, unit_stratum)
            return (lambda rng: within(rng)[pid]), "patient"
    return _permute_within(codes, strata), "sample"


def _permute_within(values: np.ndarray, strata: np.ndarray) -> Any:
    """``permute(rng)``: ``values`` shuffled among the positions of each stratum."""
    blocks = [np.flatnonzero(strata == s) for s in np.unique(strata)]

    def permute(rng: np.random.Generator) -> np.ndarray:
        out = values.copy()
        for b in blocks:
            out[b] = values[b][rng.permutation(len(b))]
        return out

    return permute


class _GroupMetrics:
    """The gap metrics of every group at once, from the group code of each case: ``(groups,)``
    arrays of AUC (binary: of the positive class; else the macro mean over classes with both
    sides), sensitivity and specificity (positive class), accuracy and balanced accuracy, NaN where
    undefined; the same definitions as ``intervals._FastMetrics`` (tests check both agree with
    ``classification_metrics``), vectorised over groups and classes because a permutation test
    asks for them a thousand times: every count is one ``np.bincount`` over (group, class) codes,
    and the AUCs' per-score counts one over (class, group, distinct score) codes."""

    def __init__(self, y: np.ndarray, p: np.ndarray, task: str, cut: np.ndarray | None, groups: int,
                 weights: np.ndarray | None = None, scores: np.ndarray | None = None) -> None:
        from meddx.evaluation.intervals import _FastMetrics

        fast = _FastMetrics(y, p, task, cut, weights, scores)  # weights: argmax p_k·w_k decisions (evaluation.decision)
        self.task, self.n, self.k, self.groups = task, fast.n, fast.k, groups
        t = fast.truth
        cols = fast.design.reshape(self.n, -1, self.k)  # tp, fp, fn, positives[, hits, decided] per class
        self.weights = [cols[:, 0], cols[:, 1], t] + ([cols[:, 4]] if task != "multilabel" else [])
        self.distinct = max(int(c.max()) + 1 for c in fast.codes)
        self.scores = np.stack(fast.codes, axis=1)  # (N, K) code of each score, highest first
        self.truth = t

    def _counts(self, codes: np.ndarray) -> list[np.ndarray]:
        """(groups, K) sums of each per-case weight array over the cases of each group."""
        index = (codes[:, None] * self.k + np.arange(self.k)).ravel()
        size = self.groups * self.k
        return [np.bincount(index, weights=w.ravel(), minlength=size).reshape(self.groups, self.k)
                for w in self.weights]

    def __call__(self, codes: np.ndarray) -> dict[str, np.ndarray]:
        counts = self._counts(codes)
        tp, fp, pos = counts[:3]
        total = np.bincount(codes, minlength=self.groups).astype(float)[:, None]
        neg = total - pos
        with np.errstate(divide="ignore", invalid="ignore"):
            sens, spec = np.where(pos > 0, tp / pos, np.nan), np.where(neg > 0, (neg - fp) / neg, np.nan)
            if self.task == "multilabel":
                accuracy = ((tp + neg - fp) / total).mean(axis=1)
                balanced = _nanmean_rows(np.where((pos > 0) & (neg > 0), (sens + spec) / 2, np.nan))
            else:
                hits = counts[3]
                accuracy = hits.sum(axis=1) / total[:, 0]
                balanced = _nanmean_rows(np.where(pos > 0, hits / pos, np.nan))
            auc = self._auc(codes)
        return {"auc": auc[:, 1] if self.task == "binary" else _nanmean_rows(auc), "sensitivity": sens[:, -1],
                "specificity": spec[:, -1], "accuracy": accuracy, "balanced_accuracy": balanced}

    def _auc(self, codes: np.ndarray) -> np.ndarray:
        """(groups, K) mid-rank Mann-Whitney AUC of each class within each group (as ``_FastMetrics``)."""
        g, k, d = self.groups, self.k, self.distinct
        index = ((np.arange(k) * g + codes[:, None]) * d + self.scores).ravel()  # (class, group, score)
        pos = np.bincount(index, weights=self.truth.ravel(), minlength=k * g * d).reshape(k * g, d)
        neg = np.bincount(index, weights=1.0 - self.truth.ravel(), minlength=k * g * d).reshape(k * g, d)
        n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
        wins = (pos * (n_neg[:, None] - np.cumsum(neg, axis=1) + 0.5 * neg)).sum(axis=1)
        auc = np.where((n_pos > 0) & (n_neg > 0), wins / np.maximum(n_pos * n_neg, 1e-300), np.nan)
        return auc.reshape(k, g).T


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Row means over the defined (non-NaN) entries; NaN for a row with none."""
    defined = ~np.isnan(values)
    sums = np.where(defined, values, 0.0).sum(axis=1)
    return np.where(defined.any(axis=1), sums / np.maximum(defined.sum(axis=1), 1), np.nan)
