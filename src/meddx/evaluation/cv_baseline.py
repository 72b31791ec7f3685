"""The bundled baseline's block of ``cv.json`` (text and series folds): its per-fold mean ± sd, its pooled
out-of-fold intervals and the paired difference network − baseline, and the multi-class scores whose argmax
is each fold's own decision. Moved out of :mod:`meddx.evaluation.cv`, which imports them from here."""

from __future__ import annotations

from typing import Any

import numpy as np

from meddx.data.base import ImageSource
from meddx.evaluation.cv_checks import fold_stats


def baseline_summary(per_fold: list[dict[str, Any]], parts: list[Any], network: Any, source: ImageSource,
                      config: Any, decisions: Any = None, base_decisions: Any = None) -> dict[str, Any]:
    """The bundled baseline's per-fold mean ± sd, its pooled out-of-fold intervals, and the paired
    pooled difference network − baseline (multi-class: argmax metrics as well); whole patients are
    resampled when the source has patient ids, as for the network's pooled intervals. ``decisions``:
    the network's pooled scores whose argmax is each fold's own decision (class-weighted folds,
    argmax p_k·w_k), for the argmax metrics; ``None`` when that is the argmax of ``network``'s.
    ``base_decisions``: the same for the baseline (a multi-class text baseline with its balanced
    weights' shift removed decides by argmax p_k·w_k: the plain argmax of its pooled probabilities
    would count other decisions than its folds made)."""
    from meddx.evaluation.cv import SUMMARY_METRICS, _patient_groups, _pool, cv_resamples
    from meddx.evaluation.cv_lines import interval_record
    from meddx.evaluation.intervals import metric_intervals, paired_difference_intervals

    metrics = [m for m in SUMMARY_METRICS if per_fold[0].get("baseline", {}).get(m) is not None]
    rows = [f["baseline"] for f in per_fold]
    base = _pool(parts)
    keys = ["auc", "auprc"] + (["accuracy", "balanced_accuracy", "macro_f1"] if source.task == "multiclass" else [])
    common = dict(label_names=list(source.label_names), n_resamples=cv_resamples(config), seed=config.seed,
                  groups=_patient_groups(network))  # the same cases (and patients) as the baseline's pooled rows
    pooled = metric_intervals_of(base, source.task, common)
    diff = paired_difference_intervals(network.labels, network.probs, base.probs, source.task,
                                       scores_a=network.scores, scores_b=base.scores, **common)
    if base_decisions is not None:  # its argmax metrics at its folds' own decisions
        decided_base = metric_intervals(base.labels, base_decisions.probs, source.task, **common)
        pooled = {**pooled, **{k: decided_base[k] for k in keys if k not in ("auc", "auprc")}}
    if decisions is not None or base_decisions is not None:  # the same resamples (seed), each model's own decisions
        decided = paired_difference_intervals(network.labels, (decisions or network).probs,
                                              (base_decisions or base).probs, source.task, **common)
        diff = {**diff, **{k: decided[k] for k in keys if k not in ("auc", "auprc")}}
    return {"model": per_fold[0].get("baseline_model"),
            **dict(zip(("mean", "sd"), fold_stats(rows, [f.get("missing_classes") or [] for f in per_fold], metrics))),
            "pooled": {k: pooled[k] for k in keys}, "difference": {k: diff[k] for k in keys},
            "unit": diff["unit"], "n_units": diff["n_units"], **interval_record(diff),
            "note": "difference = network - baseline on the pooled out-of-fold predictions (paired bootstrap)"
                    + ("; argmax metrics at each fold's own decisions (argmax p_k·w_k)"
                       if decisions is not None or base_decisions is not None else "")}


def deciding_scores(probs: np.ndarray, weights: Any) -> np.ndarray:
    """Multi-class scores whose argmax is a fold's decision: its probabilities, or for a
    class-weighted fold the one-hot rows of its decisions (``evaluation.decision.decided_class``, as
    ``Predictor.decide`` and ``oof_predictions.csv``), so pooled argmax metrics count the labels each
    fold gave. Not p_k·w_k renormalised: dividing by the row sum can merge two near-equal products
    (classes tied in the network's output), and argmax then took another class than the fold did."""
    from meddx.evaluation.decision import decided_class

    p = np.asarray(probs, dtype=np.float64)
    if weights is None or p.ndim != 2:
        return p
    return np.eye(p.shape[1])[decided_class(p, np.asarray(weights, dtype=np.float64))]


def metric_intervals_of(preds: Any, task: str, common: dict[str, Any]) -> dict[str, Any]:
    from meddx.evaluation.intervals import metric_intervals

    return metric_intervals(preds.labels, preds.probs, task, scores=preds.scores, **common)
