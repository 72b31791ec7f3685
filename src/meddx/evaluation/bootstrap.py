"""Bootstrap confidence intervals (percentile and BCa) for any statistic and for the metrics of
``meddx.evaluation.metrics.classification_metrics``.

- ``bootstrap_ci``: generic engine. Resampling is stratified (each stratum keeps its count, so
  a rare class is never resampled away) and optionally clustered: with ``groups`` (patient
  ids) whole patients are drawn with replacement, because samples of one patient are not
  independent and resampling them one by one gives intervals that are too narrow.
- ``metric_intervals``: intervals for AUC, AUPRC, accuracy, balanced accuracy and the
  per-class sensitivity/specificity/PPV/NPV/F1/AUC/AUPRC of one model.
- ``paired_difference_intervals``: intervals for metric(A) - metric(B) of two models scored on
  the same samples (paired bootstrap: both on the same resampled indices every time).

Speed: a resample is the original data with integer multiplicities (``np.bincount`` of the
indices), so the metrics are computed from those weights on arrays sorted once, with numpy,
instead of calling scikit-learn a thousand times. Tests cross-check them against
``classification_metrics`` on resampled data.

scipy.stats.bootstrap does BCa, but neither it nor scikit-learn resamples clusters within
strata or takes a dict-valued statistic; the BCa and jackknife code here is our own (Efron &
Tibshirani 1993, ch. 14; delete-a-block jackknife: Kott 2001).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm, rankdata

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.metrics import (
    _label_names,
    _predictions,
    _resolve_threshold,
    _validate,
    classification_metrics,
)

Statistic = Callable[[np.ndarray], dict[str, Any]]
CLASS_METRICS: tuple[str, ...] = ("sensitivity", "specificity", "ppv", "npv", "f1", "auc", "auprc")
TOP_METRICS: tuple[str, ...] = ("auc", "auprc", "accuracy", "balanced_accuracy")


# --- resampling units --------------------------------------------------------------------


@dataclass(frozen=True)
class _Units:
    """Resampling units (samples, or clusters of samples) with their strata.

    Unit ``u`` owns the sample indices ``order[starts[u]:starts[u] + sizes[u]]`` (a CSR layout,
    so a list of drawn units expands to sample indices without a Python loop).
    """

    order: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    strata: np.ndarray  # (M,) stratum code per unit
    clustered: bool

    @property
    def count(self) -> int:
        return len(self.sizes)

    def expand(self, units: np.ndarray) -> np.ndarray:
        """Sample indices of ``units`` (with repetition when a unit is drawn twice)."""
        if not self.clustered:
            return units
        sizes = self.sizes[units]
        first = np.cumsum(sizes) - sizes  # position of each unit's first sample in the output
        offsets = np.repeat(self.starts[units] - first, sizes) + np.arange(int(sizes.sum()))
        return self.order[offsets]


def _per_sample(values: np.ndarray | None, n: int, field: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise DataError(f"{field} must have shape ({n},), one value per sample; got shape {arr.shape}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise DataError(f"{field} must not contain NaN; found {int(np.isnan(arr).sum())} missing values")
    if arr.dtype.kind == "O" and any(v is None for v in arr):
        raise DataError(f"{field} must not contain None; found missing values")
    return arr


def _make_units(n: int, strata: np.ndarray | None, groups: np.ndarray | None) -> _Units:
    """Units and their strata. A cluster's stratum is the largest stratum value among its
    samples: with 0/1 labels, "the patient has any positive sample"."""
    # np.unique sorts, so stratum codes keep the order of the stratum values (max is meaningful).
    codes = np.zeros(n, dtype=int) if strata is None else np.unique(strata, return_inverse=True)[1]
    if groups is None:
        idx = np.arange(n)
        return _Units(idx, idx, np.ones(n, dtype=int), codes, clustered=False)
    inverse = np.unique(groups, return_inverse=True)[1].reshape(-1)
    sizes = np.bincount(inverse)
    if len(sizes) < 2:
        raise DataError(f"groups must name at least 2 clusters (patients) to resample; got {len(sizes)}")
    unit_strata = np.full(len(sizes), -1)
    np.maximum.at(unit_strata, inverse, codes)
    return _Units(np.argsort(inverse, kind="stable"), np.cumsum(sizes) - sizes, sizes, unit_strata, True)


def _resamples(units: _Units, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Sample-index arrays of ``n_resamples`` stratified bootstrap resamples of the units."""
    by_stratum = [np.flatnonzero(units.strata == s) for s in np.unique(units.strata)]
    for _ in range(n_resamples):
        drawn = np.concatenate([u[rng.integers(0, len(u), len(u))] for u in by_stratum])
        yield units.expand(drawn)


def _jackknife_sets(units: _Units, max_jackknife: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Leave-one-unit-out sample-index arrays, or, with more than ``max_jackknife`` units,
    delete-a-block: units are assigned at random to ``max_jackknife`` near-equal blocks and one
    block is left out at a time. The acceleration formula below is unchanged for blocks (its
    ratio of third to 1.5th power of second moments does not depend on the block size)."""
    m = units.count
    block = np.arange(m) if m <= max_jackknife else rng.permutation(m) % max_jackknife
    for b in range(min(m, max_jackknife)):
        yield units.expand(np.flatnonzero(block != b))


# --- intervals ---------------------------------------------------------------------------


def _as_float(value: Any) -> float:
    """NaN for ``None`` (undefined), else the float value."""
    return math.nan if value is None else float(value)


def _evaluate(statistic: Statistic, index_sets: Iterator[np.ndarray], names: list[str]) -> np.ndarray:
    """(len(index_sets), len(names)) values of ``statistic``; NaN where it returned None/NaN."""
    rows = []
    for idx in index_sets:
        out = statistic(idx)
        rows.append([_as_float(out.get(name)) for name in names])
    return np.array(rows, dtype=float).reshape(-1, len(names))


def _acceleration(jack: np.ndarray) -> float | None:
    """BCa acceleration from jackknife values (skewness of their influence); ``None`` when
    fewer than 2 are defined or they do not vary."""
    j = jack[~np.isnan(jack)]
    if len(j) < 2:
        return None
    d = j.mean() - j
    ss = float((d**2).sum())
    if ss <= 0.0:
        return None
    return float((d**3).sum() / (6.0 * ss**1.5))


def _bca(estimate: float | None, boot: np.ndarray, jack: np.ndarray, level: float) -> list[float] | None:
    """BCa interval (Efron 1987) from valid resampled values; ``None`` where undefined."""
    if estimate is None or np.all(boot == boot[0]):
        return None
    # Bias correction: fraction of resampled values below the estimate, equal ones count half
    # (a discrete statistic such as accuracy often equals it exactly).
    below = (np.sum(boot < estimate) + 0.5 * np.sum(boot == estimate)) / len(boot)
    a = _acceleration(jack)
    if a is None or not 0.0 < below < 1.0:
        return None
    z0 = norm.ppf(below)
    z = z0 + norm.ppf([(1 - level) / 2, (1 + level) / 2])
    denom = 1.0 - a * z
    if np.any(denom <= 0):
        return None
    return [float(q) for q in np.quantile(boot, norm.cdf(z0 + z / denom))]


def _interval(estimate: float | None, boot: np.ndarray, jack: np.ndarray, level: float) -> dict[str, Any]:
    """One ``bootstrap_ci`` entry from the resampled (NaN = undefined) and jackknife values."""
    valid = boot[~np.isnan(boot)]
    entry: dict[str, Any] = {"estimate": estimate, "percentile": [None, None], "bca": [None, None],
                             "n_valid": int(len(valid)), "bca_fallback": False}
    if 2 * len(valid) < len(boot):
        return entry
    entry["percentile"] = [float(q) for q in np.quantile(valid, [(1 - level) / 2, (1 + level) / 2])]
    bca = _bca(estimate, valid, jack, level)
    entry["bca"] = entry["percentile"] if bca is None else bca
    entry["bca_fallback"] = bca is None
    return entry


def _check_settings(n: int, level: float, n_resamples: int, max_jackknife: int) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise DataError(f"bootstrap needs n >= 2 samples; got n={n!r}")
    if not isinstance(level, (int, float)) or not 0.0 < level < 1.0:
        raise ConfigError(f"level must be a confidence level in (0, 1), e.g. 0.95; got {level!r}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 10:
        raise ConfigError(f"n_resamples must be an integer >= 10 (1000 or more for reporting); got {n_resamples!r}")
    if not isinstance(max_jackknife, (int, np.integer)) or max_jackknife < 2:
        raise ConfigError(f"max_jackknife must be an integer >= 2; got {max_jackknife!r}")


def bootstrap_ci(
    statistic: Callable[[np.ndarray], dict[str, float | None]],
    n: int,
    *,
    strata: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    max_jackknife: int = 200,
) -> dict[str, dict[str, Any]]:
    """Percentile and BCa bootstrap intervals for each value of a dict-valued statistic.

    Args:
        statistic: ``statistic(idx)`` takes an int index array into the ``n`` samples (with
            repeats) and returns a flat dict name -> value, ``None`` (or NaN) where undefined.
            It is called, in this order, once on ``np.arange(n)`` (the estimates; its keys are
            the names reported), ``n_resamples`` times on resamples, then once per jackknife
            unit/block with that unit left out (for the BCa acceleration).
        n: number of samples.
        strata: (n,) stratum per sample (e.g. class): each resample keeps every stratum's
            count of units. With ``groups``, a cluster's stratum is the largest stratum value
            among its samples (0/1 labels: "patient has any positive").
        groups: (n,) cluster id per sample (patient id): whole clusters are resampled, and the
            jackknife leaves out whole clusters.
        n_resamples: bootstrap resamples (>= 10).
        level: confidence level in (0, 1).
        seed: seeds the resampling and the jackknife block assignment (deterministic).
        max_jackknife: with more units than this, the jackknife is delete-a-block over this many
            blocks of units assigned at random (cost bound: at most this many extra calls).

    Returns:
        name -> ``{"estimate", "percentile": [lo, hi], "bca": [lo, hi], "n_valid",
        "bca_fallback"}``. ``n_valid`` counts resamples where the value is defined (the others
        are skipped); with fewer than half valid both intervals are ``[None, None]``. Where BCa
        is undefined (estimate ``None``, all resamples equal, jackknife values constant or
        undefined, bias fraction 0 or 1), ``bca`` repeats the percentile interval and
        ``bca_fallback`` is True.
    """
    _check_settings(n, level, n_resamples, max_jackknife)
    units = _make_units(int(n), _per_sample(strata, n, "strata"), _per_sample(groups, n, "groups"))
    resample_seed, jackknife_seed = np.random.SeedSequence(seed).spawn(2)
    full = statistic(np.arange(n))
    if not isinstance(full, dict) or not full:
        raise ConfigError("statistic must return a non-empty dict name -> float | None; "
                          f"got {full!r:.80}")
    names = list(full)
    estimates = [_as_float(full[name]) for name in names]
    boot = _evaluate(statistic, _resamples(units, n_resamples, np.random.default_rng(resample_seed)), names)
    jack = _evaluate(statistic, _jackknife_sets(units, max_jackknife, np.random.default_rng(jackknife_seed)), names)
    return {
        name: _interval(None if math.isnan(est) else est, boot[:, i], jack[:, i], level)
        for i, (name, est) in enumerate(zip(names, estimates))
    }


# --- fast metrics from resampling weights ----------------------------------------------


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, NaN where den == 0."""
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _nanmean(values: np.ndarray) -> float:
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if len(defined) else math.nan


class _FastMetrics:
    """The interval metrics of ``classification_metrics`` for a resample given as integer
    multiplicity weights ``w`` (w[i] = times sample i was drawn), in O(N K) numpy.

    Written here because no library computes them from weights this cheaply: confusion counts
    are ``w @ indicators``; AUC is the Mann-Whitney statistic with average (mid) ranks for ties,
    and AP is scikit-learn's step formula sum_t (R_t - R_{t-1}) P_t over distinct thresholds,
    both evaluated on per-distinct-score weighted counts. Scores are ranked once on the full
    data (``scipy.stats.rankdata``); a resample only re-weights the distinct scores.
    """

    def __init__(self, y: np.ndarray, p: np.ndarray, task: str, cut: np.ndarray | None) -> None:
        truth, pred, pred_idx = _predictions(y, p, task, cut)
        self.task, self.n, self.k = task, p.shape[0], p.shape[1]
        t, d = truth.astype(float), pred.astype(float)
        cols = [t * d, (1 - t) * d, t * (1 - d), t]  # tp, fp, fn, positives per class
        if pred_idx is not None:  # hits of the argmax / P(positive) decision, for accuracy
            cols.append(t * np.eye(self.k)[pred_idx])
        self.design = np.hstack(cols)
        self.truth = t
        # 0-based codes of the distinct scores of each column, highest score first.
        self.codes = [rankdata(-p[:, c], method="dense").astype(int) - 1 for c in range(self.k)]

    def _ranking(self, w: np.ndarray, c: int) -> tuple[float, float]:
        """(AUC, AP) of class ``c`` under weights ``w``; NaN when a side is empty."""
        wp = w * self.truth[:, c]
        pos = np.bincount(self.codes[c], weights=wp)
        neg = np.bincount(self.codes[c], weights=w - wp, minlength=len(pos))
        n_pos, n_neg = pos.sum(), neg.sum()
        if n_pos == 0 or n_neg == 0:
            return math.nan, math.nan
        cum_pos, cum_neg = np.cumsum(pos), np.cumsum(neg)
        # Each positive beats the negatives with a lower score and ties half of the equal ones:
        # the mid-rank Mann-Whitney U / (P N), i.e. sklearn's trapezoidal ROC AUC.
        auc = float((pos * (n_neg - cum_neg + 0.5 * neg)).sum() / (n_pos * n_neg))
        precision = cum_pos / np.maximum(cum_pos + cum_neg, 1e-300)
        ap = float((pos * precision).sum() / n_pos)
        return auc, ap

    def values(self, w: np.ndarray) -> dict[str, float]:
        """Flat dict ``auc``, ``auprc``, ``accuracy``, ``balanced_accuracy`` and
        ``per_class/<c>/<metric>`` (NaN where undefined), matching classification_metrics."""
        total = w.sum()
        counts = (w @ self.design).reshape(-1, self.k)
        tp, fp, fn, pos = counts[:4]
        neg = total - pos
        tn = neg - fp
        per = {"sensitivity": _ratio(tp, pos), "specificity": _ratio(tn, neg), "ppv": _ratio(tp, tp + fp),
               "npv": _ratio(tn, tn + fn), "f1": _ratio(2 * tp, 2 * tp + fp + fn)}
        per["auc"], per["auprc"] = map(np.array, zip(*(self._ranking(w, c) for c in range(self.k))))
        if self.task == "multilabel":
            accuracy = float(np.mean((tp + tn) / total))
            both = (pos > 0) & (neg > 0)
            balanced = _nanmean(np.where(both, (per["sensitivity"] + per["specificity"]) / 2, np.nan))
        else:
            hits = counts[4]
            accuracy = float(hits.sum() / total)
            balanced = _nanmean(_ratio(hits, pos))  # mean recall over classes present
        out = {"accuracy": accuracy, "balanced_accuracy": balanced}
        for m in ("auc", "auprc"):
            out[m] = float(per[m][1]) if self.task == "binary" else _nanmean(per[m])
        for m in CLASS_METRICS:
            for c in range(self.k):
                out[f"per_class/{c}/{m}"] = float(per[m][c])
        return out

    def weights(self, idx: np.ndarray) -> np.ndarray:
        return np.bincount(idx, minlength=self.n).astype(float)

    def __call__(self, idx: np.ndarray) -> dict[str, float | None]:
        """The ``bootstrap_ci`` statistic: metrics of the samples ``idx`` (None = undefined)."""
        return {name: (None if math.isnan(v) else v) for name, v in self.values(self.weights(idx)).items()}


def _paired_statistic(a: _FastMetrics, b: _FastMetrics) -> Statistic:
    """metric(A) - metric(B) on the same resample; None where either is undefined."""

    def statistic(idx: np.ndarray) -> dict[str, float | None]:
        w = a.weights(idx)
        va, vb = a.values(w), b.values(w)
        out = {}
        for name in va:
            diff = va[name] - vb[name]
            out[name] = None if math.isnan(diff) else diff
        return out

    return statistic


# --- public metric intervals ------------------------------------------------------------


def _strata(y: np.ndarray, task: str) -> np.ndarray:
    """Class index per sample; multilabel: the first label (0/1), keeping its prevalence."""
    return y[:, 0] if task == "multilabel" else y


def _interval_notes(intervals: dict[str, dict[str, Any]], names: list[str]) -> list[str]:
    """Notes naming the values without an interval and those whose BCa fell back."""
    def label(key: str) -> str:
        if not key.startswith("per_class/"):
            return key
        _, c, m = key.split("/")
        return f"{names[int(c)]}.{m}"

    notes = []
    missing = [label(k) for k, v in intervals.items() if v["percentile"][0] is None and v["estimate"] is not None]
    if missing:
        notes.append("no interval (defined in fewer than half of the resamples): " + ", ".join(missing))
    fallback = [label(k) for k, v in intervals.items() if v["bca_fallback"]]
    if fallback:
        notes.append("bca undefined (e.g. every resample equals the estimate), percentile given: "
                     + ", ".join(fallback))
    return notes


def _shape(
    intervals: dict[str, dict[str, Any]], names: list[str], task: str, groups: np.ndarray | None,
    n: int, n_resamples: int, level: float, seed: int, notes: list[str],
) -> dict[str, Any]:
    """Nest the flat ``bootstrap_ci`` result into the metric_intervals JSON shape."""
    unit_notes = ["resampling stratified by class" if task != "multilabel" else
                  "resampling stratified by the first label (multilabel)"]
    if groups is not None:
        unit_notes.append("whole patients resampled (groups); a patient's stratum is their "
                          "highest class index (binary/first label: has any positive)")
    return {
        "level": level,
        "n_resamples": n_resamples,
        "seed": seed,
        "stratified": True,
        "unit": "patient" if groups is not None else "sample",
        "n_units": int(len(np.unique(groups))) if groups is not None else int(n),
        **{m: intervals[m] for m in TOP_METRICS},
        "per_class": {name: {m: intervals[f"per_class/{c}/{m}"] for m in CLASS_METRICS}
                      for c, name in enumerate(names)},
        "notes": notes + unit_notes + _interval_notes(intervals, names),
    }


def metric_intervals(
    y_true: np.ndarray,
    probs: np.ndarray,
    task: str,
    *,
    threshold: float | Sequence[float] | None = None,
    label_names: list[str] | None = None,
    groups: np.ndarray | None = None,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Bootstrap intervals for the headline and per-class metrics of one model.

    Inputs and validation are those of ``classification_metrics``; estimates equal its values.
    Resampling is stratified by class (multilabel: by the first label, so that label's
    prevalence is kept; the others vary), and by patient when ``groups`` is given.

    Returns:
        ``{"level", "n_resamples", "seed", "stratified": True, "unit": "patient"|"sample",
        "n_units", "auc", "auprc", "accuracy", "balanced_accuracy", "per_class": {name:
        {"sensitivity", "specificity", "ppv", "npv", "f1", "auc", "auprc"}}, "notes"}``, each
        metric a ``bootstrap_ci`` entry.
    """
    y, p = _validate(y_true, probs, task)
    names = _label_names(label_names, p.shape[1])
    _, cut, _ = _resolve_threshold(threshold, task, p.shape[1])
    notes = classification_metrics(y, p, task, threshold=threshold, label_names=names)["notes"]  # type: ignore[arg-type]
    intervals = bootstrap_ci(_FastMetrics(y, p, task, cut), len(y), strata=_strata(y, task), groups=groups,
                             n_resamples=n_resamples, level=level, seed=seed)
    return _shape(intervals, names, task, groups, len(y), n_resamples, level, seed, notes)


def paired_difference_intervals(
    y_true: np.ndarray,
    probs_a: np.ndarray,
    probs_b: np.ndarray,
    task: str,
    *,
    threshold_a: float | Sequence[float] | None = None,
    threshold_b: float | Sequence[float] | None = None,
    label_names: list[str] | None = None,
    groups: np.ndarray | None = None,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, Any]:
    """Paired bootstrap intervals for metric(A) - metric(B) of two models on the same samples.

    Same shape as ``metric_intervals``; every value is a difference, computed for both models
    on the same resampled indices each time, so the variation the two share (which samples are
    hard) cancels. An interval excluding 0 is evidence of a difference at ``level``.
    """
    y, p_a = _validate(y_true, probs_a, task)
    _, p_b = _validate(y_true, probs_b, task)
    if p_a.shape != p_b.shape:
        raise DataError(f"probs_a and probs_b must have the same shape; got {p_a.shape} and {p_b.shape}")
    names = _label_names(label_names, p_a.shape[1])
    notes = []
    models = []
    for tag, p, thr in (("A", p_a, threshold_a), ("B", p_b, threshold_b)):
        _, cut, _ = _resolve_threshold(thr, task, p.shape[1])
        res = classification_metrics(y, p, task, threshold=thr, label_names=names)  # type: ignore[arg-type]
        notes += [f"model {tag}: {note}" for note in res["notes"]]
        models.append(_FastMetrics(y, p, task, cut))
    intervals = bootstrap_ci(_paired_statistic(*models), len(y), strata=_strata(y, task), groups=groups,
                             n_resamples=n_resamples, level=level, seed=seed)
    return _shape(intervals, names, task, groups, len(y), n_resamples, level, seed, notes)
