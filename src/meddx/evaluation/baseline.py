"""How much the network adds: its bundled baseline scored on the same cases, with paired intervals.

A text bundle carries a TF-IDF + logistic regression baseline fitted on the same training
documents; a time-series bundle, gradient boosting on per-variable aggregates of the same
stays. Training chooses the baseline's operating point on the same validation split by the same rule as the network's; training and ``meddx evaluate`` then score it with ``assess`` on
the same split and add the paired bootstrap difference network − baseline (both models on the
same resampled cases each time, so an interval excluding 0 is evidence of a real difference).
Before that, training fits the text baseline's temperature and bias on the same validation split, as the
network's (:func:`calibrate_baseline`), and a multi-class text baseline whose balanced weights are removed
from its probabilities decides by argmax p_k·w_k (its ``decision.class_weights``), its fitted argmax.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from meddx.evaluation.evaluate import EvalSettings, SplitPredictions, assess, predictions_from_raw

HEADLINE = ("auc", "auprc", "accuracy", "balanced_accuracy", "macro_f1")


TRAINING_UNITS = {"text": "documents", "series": "stays", "tabular": "rows"}
"""What a bundle's training samples are called in the baseline's note, per modality."""


def baseline_raw_probs(base: Any, data: Any) -> np.ndarray:
    """The baseline predictor's raw (uncalibrated) probabilities of one split: documents, or stays /
    rows; ``base.calibrate`` (``predictions_from_raw``) applies its calibration."""
    if data.texts is not None:
        return base.predict_texts(data.texts, calibrated=False)
    return base.predict_split_data(data, calibrated=False)


def calibrate_baseline(predictor: Any, source: Any, calibrate: bool = True) -> dict[str, bytes]:
    """Fit the TF-IDF baseline's temperature and bias on the validation documents
    (``TfidfBaseline.fit_calibration``, the network's fitting functions) when ``calibrate`` (the run's
    ``calibrate``, as for the network); returns its bundle files rewritten with them
    (``baseline.json``'s ``settings.calibration``) and records them in ``predictor.config["baseline"]``.
    Nothing for other baselines (series), without one, or when not calibrating (the shift removed only),
    nor for a multi-class baseline: its temperature would move each class's one-vs-rest AUC (medical
    abstracts, 3 splits: macro AUC .8490 -> .8475, for ECE .088 -> .058, log-loss 1.156 -> 1.057;
    benchmarks/text_baseline_calibration.py), so it keeps the shift removed only."""
    from meddx.evaluation.text_baseline import TfidfBaseline

    base = getattr(predictor, "baseline", None)
    if not calibrate or not isinstance(base, TfidfBaseline) or "baseline" not in predictor.config \
            or base.task == "multiclass":
        return {}
    val = source.split("val")
    base.fit_calibration(val.texts or [], np.asarray(val.labels))
    predictor.config["baseline"]["settings"] = dict(base.settings)
    return base.to_files()


def choose_baseline_operating_point(predictor: Any, source: Any) -> None:
    """Choose the baseline's operating point on validation with the network's rule (in place, in
    ``predictor.config["baseline"]``); a no-op for bundles without a baseline. A multi-class text
    baseline with its shift removed records ``class_weights``: it decides by argmax p_k·w_k
    (``evaluation.decision``), so its decisions are the fitted model's argmax."""
    from meddx.evaluation.operating import choose_operating_point

    if getattr(predictor, "baseline", None) is None or "baseline" not in predictor.config:
        return
    val = source.split("val")
    base = predictor.baseline_predictor()
    probs = base.calibrate(baseline_raw_probs(base, val))
    decision = predictor.config.get("decision", {})
    rule = decision.get("rule") or "youden"
    rule = "youden" if rule == "argmax" else rule  # multi-class argmax: the rule only sets per-class thresholds
    per_class = decision.get("class_thresholds") is not None
    point = choose_operating_point(np.asarray(val.labels), probs, predictor.task, rule, per_class=per_class,
                                   label_names=predictor.label_names)
    from meddx.evaluation.text_baseline import TfidfBaseline

    base = predictor.baseline
    if isinstance(base, TfidfBaseline) and base.decision_weights is not None and predictor.task == "multiclass":
        point["class_weights"] = [float(w) for w in base.decision_weights]
    predictor.config["baseline"]["decision"] = point


def baseline_metrics(predictor: Any, source: Any, predictions: dict[str, SplitPredictions],
                     settings: EvalSettings | None = None,
                     keep: dict[str, SplitPredictions] | None = None) -> dict[str, Any] | None:
    """The baseline's ``assess`` metrics and the paired difference per split; ``None`` without one.
    ``keep`` (a dict) receives the baseline's predictions per split, e.g. for cross-validation."""
    from meddx.evaluation.intervals import paired_difference_intervals

    base = predictor.baseline_predictor() if hasattr(predictor, "baseline_predictor") else None
    if base is None:
        return None
    settings = settings or EvalSettings()
    section = predictor.config["baseline"]
    what = TRAINING_UNITS.get(predictor.config.get("modality"), "samples")
    out: dict[str, Any] = {"model": section.get("model"), "settings": section.get("settings"),
                           "decision": section.get("decision"),
                           "note": f"fitted on the same training {what}; operating point chosen on the same "
                                   "validation split by the same rule; difference = network - baseline, paired"}
    for split, preds in predictions.items():
        data = source.split(split)
        raw = baseline_raw_probs(base, data)
        base_preds = predictions_from_raw(base, split, data, raw)
        if keep is not None:
            keep[split] = base_preds
        # the extra --operating-point rules are the network's (chosen on its validation probabilities):
        # the baseline's assess has no validation predictions to choose them on, and refused the evaluation
        metrics = assess(base, base_preds, replace(settings, extra_rules=[]))
        entry: dict[str, Any] = {"metrics": metrics, "difference": None}
        if settings.n_resamples and len(preds.ids) >= 2:
            groups = None if preds.patient_ids is None else np.asarray(preds.patient_ids)
            diff = paired_difference_intervals(
                preds.labels, preds.probs, base_preds.probs, predictor.task,
                threshold_a=predictor.decision_thresholds, threshold_b=base.decision_thresholds,
                label_names=predictor.label_names, groups=groups, n_resamples=settings.n_resamples,
                level=settings.level, seed=settings.seed, scores_a=preds.scores, scores_b=base_preds.scores)
            entry["difference"] = {m: diff[m] for m in HEADLINE} | {"level": diff["level"], "unit": diff["unit"]}
        out[split] = entry
    return out
