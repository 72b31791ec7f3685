"""Confidence intervals of the classification metrics, on the ``bootstrap_ci`` engine.

- ``metric_intervals``: intervals for AUC, AUPRC, accuracy, balanced accuracy and the
  per-class sensitivity/specificity/PPV/NPV/F1/AUC/AUPRC of one model.
- ``paired_difference_intervals``: intervals for metric(A) - metric(B) of two models scored on
  the same samples (paired bootstrap: both on the same resampled indices every time).

Speed: a resample is the original data with integer multiplicities (``np.bincount`` of the
indices), so the metrics are computed from those weights on arrays sorted once, with numpy,
instead of calling scikit-learn a thousand times. Tests cross-check them against
``classification_metrics`` on resampled data. ``bootstrap_ci`` hands many resamples at once to
``_FastMetrics.batch`` (``intervals_batch.py``), which gives the same values bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from meddx.core.errors import DataError
from meddx.evaluation.bootstrap import Statistic, bootstrap_ci
from meddx.evaluation.decision import decision_weights
from meddx.evaluation.metrics import (
    _label_names,
    _predictions,
    _ranking_scores,
    _resolve_threshold,
    _validate,
    classification_metrics,
)

TOP_METRICS: tuple[str, ...] = ("auc", "auprc", "accuracy", "balanced_accuracy", "macro_f1")
CLASS_METRICS: tuple[str, ...] = ("sensitivity", "specificity", "ppv", "npv", "f1", "auc", "auprc")
# Values that depend on the class mix: resampled without strata (``bootstrap_ci(unstratified=)``),
# so their intervals carry the sampling variation of the prevalence.
MIX_TOP: tuple[str, ...] = ("auprc", "accuracy", "macro_f1")
MIX_CLASS: tuple[str, ...] = ("ppv", "npv", "f1", "auprc")


def _mix_dependent(k: int) -> list[str]:
    """Flat ``bootstrap_ci`` names of the class-mix-dependent values for ``k`` classes."""
    return [*MIX_TOP, *(f"per_class/{c}/{m}" for c in range(k) for m in MIX_CLASS)]


# --- fast metrics from resampling weights ----------------------------------------------


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, NaN where den == 0."""
    out = np.full(np.shape(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _nanmean(values: np.ndarray) -> float:
    """Mean of the defined (non-NaN) values, NaN if none; summed with zeros in the undefined places
    so that ``intervals_batch`` (row by row) gives the same bits."""
    defined = ~np.isnan(values)
    count = int(defined.sum())
    return float(np.where(defined, values, 0.0).sum() / count) if count else math.nan


class _FastMetrics:
    """The interval metrics of ``classification_metrics`` for a resample given as integer
    multiplicity weights ``w`` (w[i] = times sample i was drawn), in O(N K) numpy.

    Written here because no library computes them from weights this cheaply: confusion counts
    are ``w @ indicators``; AUC is the Mann-Whitney statistic with average (mid) ranks for ties,
    and AP is scikit-learn's step formula sum_t (R_t - R_{t-1}) P_t over distinct thresholds,
    both evaluated on per-distinct-score weighted counts. Scores are ranked once on the full
    data (``scipy.stats.rankdata``); a resample only re-weights the distinct scores.
    """

    def __init__(self, y: np.ndarray, p: np.ndarray, task: str, cut: np.ndarray | None,
                 weights: np.ndarray | None = None, scores: np.ndarray | None = None) -> None:
        truth, pred, pred_idx = _predictions(y, p, task, cut, weights)  # weights: evaluation.decision
        self.task, self.n, self.k = task, p.shape[0], p.shape[1]
        t, d = truth.astype(float), pred.astype(float)
        cols = [t * d, (1 - t) * d, t * (1 - d), t]  # tp, fp, fn, positives per class
        if pred_idx is not None:  # hits and predictions of the argmax / P(positive) decision:
            decided = np.eye(self.k)[pred_idx]  # accuracy, and the headline macro-F1
            cols += [t * decided, decided]
        self.design = np.hstack(cols)
        self.truth = t
        # 0-based codes of the distinct scores of each column, highest score first (the ranking
        # scores: ``classification_metrics(scores=)``).
        r = _ranking_scores(scores, p, task)
        self.codes = [rankdata(-r[:, c], method="dense").astype(int) - 1 for c in range(self.k)]
        self._onehot: list[Any] | None = None

    @property
    def rank_onehot(self) -> list[Any]:
        """Per class, sparse (distinct scores, N) indicators of the positives' and negatives' ``codes`` (``batch``)."""
        if self._onehot is None:
            from meddx.evaluation.intervals_batch import rank_indicators

            self._onehot = rank_indicators(self.codes, self.truth)
        return self._onehot

    def batch(self, w: np.ndarray) -> dict[str, np.ndarray]:
        """``values`` of every row of the (R, N) multiplicity matrix ``w`` at once: name -> (R,)
        array, NaN where undefined (``bootstrap_ci`` uses it instead of one call per resample)."""
        from meddx.evaluation.intervals_batch import batch_values

        return batch_values(self, w)

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
            hits, decided = counts[4], counts[5]
            accuracy = float(hits.sum() / total)
            balanced = _nanmean(_ratio(hits, pos))  # mean recall over classes present
        if self.task == "multilabel":
            macro_f1 = _nanmean(per["f1"])
        else:  # of the decisions (argmax for multi-class, whatever per-class thresholds say)
            macro_f1 = _nanmean(_ratio(2 * hits, decided + pos))
        out = {"accuracy": accuracy, "balanced_accuracy": balanced, "macro_f1": macro_f1}
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


class _PairedStatistic:
    """metric(A) - metric(B) on the same resample; None (batch: NaN) where either is undefined."""

    def __init__(self, a: _FastMetrics, b: _FastMetrics) -> None:
        self.a, self.b = a, b

    def __call__(self, idx: np.ndarray) -> dict[str, float | None]:
        w = self.a.weights(idx)
        va, vb = self.a.values(w), self.b.values(w)
        out = {}
        for name in va:
            diff = va[name] - vb[name]
            out[name] = None if math.isnan(diff) else diff
        return out

    def batch(self, w: np.ndarray) -> dict[str, np.ndarray]:
        va, vb = self.a.batch(w), self.b.batch(w)
        return {name: va[name] - vb[name] for name in va}


def _paired_statistic(a: _FastMetrics, b: _FastMetrics) -> Statistic:
    """metric(A) - metric(B) on the same resample (a ``bootstrap_ci`` statistic with ``batch``)."""
    return _PairedStatistic(a, b)


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
    unit_notes = [("resampling stratified by class" if task != "multilabel" else
                   "resampling stratified by the first label (multilabel)")
                  + " for sensitivity, specificity, AUC and balanced accuracy; ppv, npv, f1, auprc, accuracy "
                  "and macro_f1 depend on the class mix, so their resamples are not stratified (the mix "
                  "varies as between samples of the population)"]
    if groups is not None and len(np.unique(groups)) < 2:  # bootstrap_ci resampled samples (its note says why)
        from meddx.evaluation.bootstrap import ONE_CLUSTER_NOTE

        groups = None
        unit_notes.append(ONE_CLUSTER_NOTE)
    if groups is not None:
        unit_notes.append("whole patients resampled (groups); a patient's stratum is their "
                          "highest class index (binary/first label: has any positive)")
    return {
        "level": level,
        "n_resamples": n_resamples,
        "seed": seed,
        "stratified": True,
        # paths into this dict, so "auprc" (overall) and "per_class/*/auprc" (each class) are two entries
        "unstratified": [*MIX_TOP, *(f"per_class/*/{m}" for m in MIX_CLASS)],
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
    scores: np.ndarray | None = None,
) -> dict[str, Any]:
    """Bootstrap intervals for the headline and per-class metrics of one model.

    Inputs and validation are those of ``classification_metrics`` (``scores``: what AUC and AUPRC
    rank); estimates equal its values.
    Resampling is stratified by class (multilabel: by the first label, so that label's
    prevalence is kept; the others vary) for the values conditional on the class (sensitivity,
    specificity, AUC, balanced accuracy), unstratified for those that depend on the class mix
    (``unstratified``, as paths into the result: ``auprc``, ``accuracy``, ``macro_f1``, ``per_class/*/ppv``,
    ``per_class/*/npv``, ``per_class/*/f1``, ``per_class/*/auprc``), and by patient when ``groups`` is given.

    Returns:
        ``{"level", "n_resamples", "seed", "stratified": True, "unstratified", "unit": "patient"|"sample",
        "n_units", "auc", "auprc", "accuracy", "balanced_accuracy", "macro_f1", "per_class": {name:
        {"sensitivity", "specificity", "ppv", "npv", "f1", "auc", "auprc"}}, "notes"}``, each
        metric a ``bootstrap_ci`` entry.
    """
    y, p = _validate(y_true, probs, task)
    names = _label_names(label_names, p.shape[1])
    _, cut, _ = _resolve_threshold(threshold, task, p.shape[1])
    weights = decision_weights(threshold, p.shape[1])
    point = classification_metrics(y, p, task, threshold=threshold, label_names=names,  # type: ignore[arg-type]
                                   scores=scores)
    fast = _FastMetrics(y, p, task, cut, weights, scores)
    if n_resamples == 0:  # no bootstrap asked for (`--bootstrap 0`): the estimates, with null bounds
        return _estimates_only(fast, point, names, task, groups, len(y), level, seed)
    intervals = bootstrap_ci(fast, len(y), strata=_strata(y, task), groups=groups,
                             n_resamples=n_resamples, level=level, seed=seed, unstratified=_mix_dependent(p.shape[1]))
    shaped = _shape(intervals, names, task, groups, len(y), n_resamples, level, seed, point["notes"])
    # The estimates are the point metrics themselves, not their fast recomputation, which can
    # differ in the last bits (0.99249999... against 0.9925) and then round differently on screen.
    return _with_point_estimates(shaped, point, names)


def _estimates_only(fast: _FastMetrics, point: dict[str, Any], names: list[str], task: str,
                    groups: np.ndarray | None, n: int, level: float, seed: int) -> dict[str, Any]:
    """``metric_intervals``' shape with every bound null and ``n_valid`` 0 (``n_resamples=0``)."""
    values = fast(np.arange(n))
    intervals = {k: {"estimate": v, "percentile": [None, None], "bca": [None, None], "n_valid": 0,
                     "bca_fallback": False} for k, v in values.items()}
    shaped = _shape(intervals, names, task, groups, n, 0, level, seed, point["notes"])
    shaped["notes"] = point["notes"] + ["no bootstrap (n_resamples=0): estimates only, no intervals"]
    return _with_point_estimates(shaped, point, names)


def _with_point_estimates(shaped: dict[str, Any], point: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """``shaped`` with every estimate set to the matching point metric (see ``_set_estimate``)."""
    for m in TOP_METRICS:
        _set_estimate(shaped[m], point[m])
    for name in names:
        for m in CLASS_METRICS:
            _set_estimate(shaped["per_class"][name][m], point["per_class"][name][m])
    return shaped


def _set_estimate(interval: dict[str, Any], value: float | None) -> None:
    """Replace an interval's estimate by the equal point value (same up to float rounding)."""
    if interval.get("estimate") is not None and value is not None and abs(interval["estimate"] - value) < 1e-9:
        interval["estimate"] = value


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
    scores_a: np.ndarray | None = None,
    scores_b: np.ndarray | None = None,
) -> dict[str, Any]:
    """Paired bootstrap intervals for metric(A) - metric(B) of two models on the same samples.

    Same shape as ``metric_intervals``; every value is a difference, computed for both models
    on the same resampled indices each time, so the variation the two share (which samples are
    hard) cancels. An interval excluding 0 is evidence of a difference at ``level``.
    ``n_resamples=0``: the differences of the estimates, with null bounds (as ``metric_intervals``).
    ``scores_a``/``scores_b``: what each model's AUC and AUPRC rank (``classification_metrics(scores=)``).
    """
    y, p_a = _validate(y_true, probs_a, task)
    _, p_b = _validate(y_true, probs_b, task)
    if p_a.shape != p_b.shape:
        raise DataError(f"probs_a and probs_b must have the same shape; got {p_a.shape} and {p_b.shape}")
    names = _label_names(label_names, p_a.shape[1])
    notes = []
    models = []
    for tag, p, thr, sc in (("A", p_a, threshold_a, scores_a), ("B", p_b, threshold_b, scores_b)):
        _, cut, _ = _resolve_threshold(thr, task, p.shape[1])
        res = classification_metrics(y, p, task, threshold=thr, label_names=names, scores=sc)  # type: ignore[arg-type]
        notes += [f"model {tag}: {note}" for note in res["notes"]]
        models.append(_FastMetrics(y, p, task, cut, decision_weights(thr, p.shape[1]), sc))
    if n_resamples == 0:  # no bootstrap asked for: the paired differences of the estimates, null bounds
        values = _paired_statistic(*models)(np.arange(len(y)))
        intervals = {k: {"estimate": v, "percentile": [None, None], "bca": [None, None], "n_valid": 0,
                         "bca_fallback": False} for k, v in values.items()}
        notes.append("no bootstrap (n_resamples=0): estimates only, no intervals")
    else:
        intervals = bootstrap_ci(_paired_statistic(*models), len(y), strata=_strata(y, task), groups=groups,
                                 n_resamples=n_resamples, level=level, seed=seed,
                                 unstratified=_mix_dependent(p_a.shape[1]))
    return _shape(intervals, names, task, groups, len(y), n_resamples, level, seed, notes)
