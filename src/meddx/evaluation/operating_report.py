"""The operating points ``metrics.json`` reports on the evaluated split: the bundle's own, per decision
threshold (``operating_point.measured``), and the extra ones ``--operating-point`` chooses on validation
(``operating_points``).

A multi-label bundle is one binary decision per label, each at its own threshold chosen on validation;
its per-label sensitivity, specificity, PPV and NPV were in ``per_class`` and ``ci.per_class`` but
nowhere next to the threshold that produced them, and ``meddx evaluate`` printed none of them.
``measured`` puts each threshold beside its four rates (intervals as in ``ci``), for every bundle that
decides by thresholds: binary (the positive class), multi-label (each label) and multi-class with
``per_class_thresholds`` (each class, one-vs-rest). An argmax bundle has none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from meddx.evaluation.evaluate import EvalSettings, SplitPredictions

RATES = ("sensitivity", "specificity", "ppv", "npv")


def _estimate_only(value: float | None) -> dict[str, Any]:
    """An interval entry without bounds (``--bootstrap 0``, or a split too small to resample)."""
    return {"estimate": value, "percentile": [None, None], "bca": [None, None], "n_valid": 0, "bca_fallback": False}


def decision_thresholds(metrics: dict[str, Any]) -> dict[str, float] | None:
    """Class name -> the threshold ``metrics`` was computed at; None for argmax decisions."""
    names, threshold = list(metrics.get("label_names") or []), metrics.get("threshold")
    if threshold is None or not names:
        return None
    if isinstance(threshold, (int, float)):  # binary: P(positive) >= threshold
        return {names[-1]: float(threshold)} if metrics.get("task") == "binary" else None
    if len(threshold) != len(names):
        return None
    return {name: float(t) for name, t in zip(names, threshold)}


def measured_rates(metrics: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """``{class: {threshold, sensitivity, specificity, ppv, npv}}`` at the bundle's own thresholds, on
    the split ``metrics`` holds, the rates as ``ci.per_class`` entries (bounds null without ``ci``).

    Built from ``metrics`` alone (``per_class``, ``ci``, ``threshold``): the same numbers, grouped by
    decision, never recomputed."""
    thresholds = decision_thresholds(metrics)
    if thresholds is None:
        return None
    per_class, ci = metrics.get("per_class") or {}, (metrics.get("ci") or {}).get("per_class") or {}
    measured = {}
    for name, threshold in thresholds.items():
        intervals = ci.get(name) or {}
        measured[name] = {"threshold": threshold, **{
            m: intervals.get(m) or _estimate_only((per_class.get(name) or {}).get(m)) for m in RATES}}
    return measured


def extra_operating_points(predictor: Any, preds: SplitPredictions, val: SplitPredictions | None,
                           settings: EvalSettings, groups: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Each ``settings.extra_rules`` rule's threshold(s) chosen on validation, with the rates on ``preds``
    and their CIs under ``point[split]`` (binary: the positive class; otherwise every class or label)."""
    from meddx.core.errors import DataError
    from meddx.evaluation.intervals import metric_intervals
    from meddx.evaluation.operating import choose_operating_point, thresholds_of

    if val is None:
        raise DataError("extra operating points need the validation split, to choose their thresholds on")
    task, names = predictor.task, predictor.label_names
    points = []
    for rule in settings.extra_rules:
        point = choose_operating_point(val.labels, val.probs, task, rule, per_class=task != "binary", label_names=names)
        ci = metric_intervals(preds.labels, preds.probs, task, threshold=thresholds_of(point, names), label_names=names,
                              groups=groups, n_resamples=max(settings.n_resamples, 0), level=settings.level,
                              seed=settings.seed, scores=preds.scores)
        classes = [names[1]] if task == "binary" else names
        point[preds.split] = {c: {m: ci["per_class"][c][m] for m in RATES} for c in classes}
        points.append(point)
    return points
