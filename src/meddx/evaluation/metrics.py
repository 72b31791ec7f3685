"""Classification metrics as pure functions of ``(y_true, probs)``, with scikit-learn as engine.

Conventions follow the MedMNIST benchmark (``medmnist.evaluator.getAUC/getACC``) so our numbers
are comparable with its published tables:

- ``auc``: binary = ROC AUC of the positive column (1); multiclass = mean over classes of the
  one-vs-rest AUC; multilabel = mean over labels of the per-label AUC.
- ``auprc``: average precision (scikit-learn's step-function area under the precision-recall
  curve, no interpolation), averaged over classes like ``auc``.
- ``accuracy``: binary = ``probs[:, 1] >= threshold``; multiclass = argmax (of p_k·w_k for a
  class-weighted model: ``evaluation.decision``); multilabel = mean
  over labels of the per-label accuracy at ``threshold``. (MedMNIST uses ``>``; the two differ
  only for a probability exactly equal to the threshold.)

Everything returned is JSON-serialisable: plain floats/ints/lists, and ``None`` (JSON null)
where a value is undefined (e.g. sensitivity of a class with no positives), never NaN. Each
``None`` is explained in ``notes`` so a report can say why a cell is empty.

Bootstrap intervals, calibration and operating-point analysis build on these functions in
sibling modules; keep this one free of I/O and plotting.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.decision import WeightedArgmax, decided_class, decision_weights, plain_threshold

Task = Literal["binary", "multiclass", "multilabel"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "multilabel")


def _num(x: Any) -> float | None:
    """A plain float, or ``None`` for missing / NaN (JSON has no NaN)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _mean(values: list[float | None]) -> float | None:
    """Mean of the defined values; ``None`` when none is defined."""
    defined = [v for v in values if v is not None]
    return float(np.mean(defined)) if defined else None


def _check_threshold(threshold: float | None) -> float:
    t = 0.5 if threshold is None else float(threshold)
    if not 0.0 <= t <= 1.0:
        raise ConfigError(f"threshold must be a probability in [0, 1]; got {threshold!r}")
    return t


def _validate(
    y_true: np.ndarray, probs: np.ndarray, task: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(y, p)``: ``y`` is (N,) ints (binary/multiclass) or (N, K) 0/1 (multilabel),
    ``p`` is (N, K) floats. A binary ``probs`` of shape (N,) or (N, 1) is read as P(positive)."""
    if task not in TASKS:
        raise ConfigError(f"task must be one of {', '.join(TASKS)}; got {task!r}")
    p = np.asarray(probs, dtype=float)
    if task == "binary" and (p.ndim == 1 or (p.ndim == 2 and p.shape[1] == 1)):
        p = p.reshape(-1)
        p = np.column_stack([1.0 - p, p])
    if p.ndim != 2 or p.shape[0] == 0:
        raise DataError(f"probs must be a non-empty (N, K) array; got shape {p.shape}")
    if task == "binary" and p.shape[1] != 2:
        raise DataError(
            f"binary probs must have 2 columns (softmax; column 1 = positive); got {p.shape}"
        )
    if not np.isfinite(p).all() or p.min() < 0.0 or p.max() > 1.0:
        raise DataError(
            "probs must be finite probabilities in [0, 1]; got values outside that range "
            "(apply softmax/sigmoid to logits first)"
        )
    y = np.asarray(y_true)
    if task == "multilabel":
        if y.shape != p.shape or not np.isin(y, (0, 1)).all():
            raise DataError(
                f"multilabel y_true must be 0/1 with the shape of probs {p.shape}; got shape {y.shape}"
            )
        return y.astype(int), p
    if y.ndim == 2 and y.shape[1] == 1:  # MedMNIST stores labels as (N, 1)
        y = y[:, 0]
    if y.shape != (p.shape[0],):
        raise DataError(f"{task} y_true must have shape ({p.shape[0]},) to match probs; got {y.shape}")
    if not np.isin(y, np.arange(p.shape[1])).all():
        raise DataError(
            f"{task} y_true must hold class indices 0..{p.shape[1] - 1} (one per probs column); "
            f"found {sorted(set(np.unique(y).tolist()) - set(range(p.shape[1])))}"
        )
    return y.astype(int), p


def _ranking_scores(scores: Any, p: np.ndarray, task: str) -> np.ndarray:
    """The (N, K) scores AUC and AUPRC rank: ``scores`` when given, else the probabilities ``p``.

    ``scores`` (e.g. ``calibration.log_calibrated``, the log of the calibrated probabilities) must
    rank each column as the probabilities do, only without their ties at exactly 1.0; a binary (N,)
    score of the positive class reads as ``[-s, s]``."""
    if scores is None:
        return p
    r = np.asarray(scores, dtype=float)
    if task == "binary" and r.ndim == 1:
        r = np.column_stack([-r, r])
    if r.shape != p.shape or np.isnan(r).any():
        raise DataError(f"ranking scores must be an (N, K) array without NaN of the shape of probs {p.shape}; "
                        f"got shape {r.shape}")
    return r


def _label_names(label_names: list[str] | None, k: int) -> list[str]:
    names = [str(i) for i in range(k)] if label_names is None else [str(n) for n in label_names]
    if len(names) != k or len(set(names)) != k:
        raise ConfigError(
            f"label_names must be {k} distinct names (one per probs column); got {label_names!r}"
        )
    return names


def _resolve_threshold(
    threshold: float | Sequence[float] | None, task: str, k: int
) -> tuple[float | list[float] | None, np.ndarray | None, list[str]]:
    """Check ``threshold`` for ``task`` with ``k`` columns.

    Returns ``(reported, cut, notes)``: ``reported`` is what the metrics dict shows under
    ``threshold`` (a float, a list of ``k`` floats, or ``None``); ``cut`` is the (k,) array of
    per-column cut-offs for one-vs-rest predictions, or ``None`` where predictions are argmax
    (multiclass without per-class thresholds). Shared with the bootstrap module so both read
    a threshold the same way. A multi-class ``WeightedArgmax`` reads as its per-class thresholds
    (its weights: :func:`decision_weights`).
    """
    if isinstance(threshold, WeightedArgmax) and task != "multiclass":
        raise ConfigError(f"a weighted-argmax decision applies to multi-class models only; this one is {task}")
    threshold = plain_threshold(threshold)
    if threshold is None or np.ndim(threshold) == 0:
        if task == "multiclass":
            notes = [] if threshold is None else [
                f"threshold {threshold} ignored: multiclass predictions use argmax"]
            return None, None, notes
        t = _check_threshold(threshold)
        return t, np.full(k, t), []
    if task == "binary":
        raise ConfigError(
            "binary threshold must be one probability (applied to column 1, P(positive)); "
            f"got a sequence of {len(threshold)} values"
        )
    try:
        values = np.asarray(threshold, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(f"threshold must be numbers in [0, 1], one per class; got {threshold!r}") from None
    if values.shape != (k,):
        raise ConfigError(
            f"{task} threshold sequence must hold one value per class ({k}, in probs column "
            f"order); got shape {values.shape}"
        )
    bad = [i for i, t in enumerate(values) if not 0.0 <= t <= 1.0]
    if bad:
        raise ConfigError(
            f"threshold[{bad[0]}] must be a probability in [0, 1]; got {threshold[bad[0]]!r}"
        )
    notes = []
    if task == "multiclass":
        notes.append(
            "per-class thresholds: per-class sensitivity, specificity, ppv/precision, npv and f1 "
            "are one-vs-rest at probs[:, c] >= threshold[c]; accuracy, balanced_accuracy and "
            "confusion_matrix use argmax"
        )
    return [float(t) for t in values], values, notes


def _predictions(
    y: np.ndarray, p: np.ndarray, task: str, cut: np.ndarray | None, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(truth, pred, pred_idx)``: (N, K) one-vs-rest 0/1 indicator matrices of the truth and
    of the per-class predictions, and the (N,) predicted class (``None`` for multilabel) that
    accuracy, balanced accuracy and the confusion matrix use. One code path for all tasks.
    ``weights``: a class-weighted multi-class model decides by argmax p_k·w_k."""
    k = p.shape[1]
    if task == "multilabel":
        return y, (p >= cut).astype(int), None
    eye = np.eye(k, dtype=int)
    pred_idx = (p[:, 1] >= cut[1]).astype(int) if task == "binary" else decided_class(p, weights)
    pred = (p >= cut).astype(int) if task == "multiclass" and cut is not None else eye[pred_idx]
    return eye[y], pred, pred_idx


def _class_notes(name: str, positives: int, n: int, tp: int, fp: int, tn: int, fn: int,
                 f1: float | None) -> str | None:
    """One note saying why values of class ``name`` are ``None``; ``None`` when all are defined."""
    reasons = []
    if positives == 0:  # f1 = 2TP/(2TP+FP+FN): 0 with false positives, 0/0 (undefined) without
        reasons.append("no positives in y_true: sensitivity, auc and auprc undefined; " +
                       (f"f1 is 0 ({fp} false positive(s))" if fp else "f1 undefined (never predicted either)"))
    if positives == n:
        reasons.append("no negatives in y_true: specificity, auc and auprc undefined")
    if tp + fp == 0:
        reasons.append("never predicted: precision (ppv) undefined")
    if tn + fn == 0:
        reasons.append("always predicted: npv undefined")
    if f1 is None and positives:
        reasons.append("f1 undefined")
    return f"class {name!r}: " + "; ".join(reasons) if reasons else None


def _per_class(
    truth: np.ndarray, pred: np.ndarray, p: np.ndarray, names: list[str]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """One-vs-rest metrics per class (sklearn as engine) and the notes explaining each ``None``;
    ``p`` is what AUC and AUPRC rank (``_ranking_scores``)."""
    n = truth.shape[0]
    # zero_division=nan makes sklearn return NaN (and not warn) where a ratio is 0/0.
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, pred, average=None, zero_division=np.nan
    )
    mcm = multilabel_confusion_matrix(truth, pred)  # (K, 2, 2): [[tn, fp], [fn, tp]]
    per_class: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for c, name in enumerate(names):
        (tn, fp), (fn, tp) = mcm[c]
        positives = int(truth[:, c].sum())
        both = 0 < positives < n
        # Specificity (TN rate) and NPV have no sklearn function; they are the recall and
        # precision of the negative class.
        entry = {
            "sensitivity": _num(recall[c]),
            "specificity": _num(tn / (tn + fp) if tn + fp else None),
            "precision": _num(precision[c]),
            "ppv": _num(precision[c]),  # = precision; the name clinical readers look for
            "npv": _num(tn / (tn + fn) if tn + fn else None),
            # F1 = 2TP/(2TP+FP+FN), scikit-learn's: a class without positives but with false
            # positives scores 0 (its false alarms count against the macro mean); only 0/0 (no
            # positives, never predicted) is undefined and left out of it: f1_score(zero_division=nan).
            "f1": _num(f1[c]),
            "support": int(support[c]),
            "auc": _num(roc_auc_score(truth[:, c], p[:, c]) if both else None),
            "auprc": _num(average_precision_score(truth[:, c], p[:, c]) if both else None),
        }
        per_class[name] = entry
        note = _class_notes(name, positives, n, tp, fp, tn, fn, entry["f1"])
        if note:
            notes.append(note)
    return per_class, notes


def _decision_macro_f1(truth: np.ndarray, decided: np.ndarray) -> float | None:
    """Mean F1 of the 0/1 decision matrix ``decided`` over the classes where it is defined (positives,
    or predictions: a class predicted but absent scores 0), as :func:`_per_class`."""
    tp, predicted, positives = (truth * decided).sum(0), decided.sum(0), truth.sum(0)
    return _mean([float(2 * tp[c] / (predicted[c] + positives[c])) if predicted[c] + positives[c] else None
                  for c in range(truth.shape[1])])


def _macro(per_class: dict[str, dict[str, Any]], names: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Mean over classes of each defined per-class value, with a note where some are undefined."""
    k = len(names)
    macro: dict[str, Any] = {}
    notes: list[str] = []
    for m in ("sensitivity", "specificity", "precision", "f1", "ppv", "npv", "auprc"):
        values = [per_class[c][m] for c in names]
        macro[m] = _mean(values)
        defined = sum(v is not None for v in values)
        if defined < k:
            notes.append(f"macro {m} averages the {defined} of {k} classes where it is defined")
    return macro, notes


def _headline(per_class: dict[str, dict[str, Any]], names: list[str], task: str,
              metric: str) -> tuple[float | None, list[str]]:
    """Top-level ``auc``/``auprc``: the positive class for binary, else the mean over the classes
    where it is defined (MedMNIST convention), with a note naming the skipped classes."""
    if task == "binary":
        return per_class[names[1]][metric], []
    k = len(names)
    skipped = [c for c in names if per_class[c][metric] is None]
    notes = []
    if skipped:
        notes.append(f"{metric} is the mean over {k - len(skipped)} of {k} classes; skipped "
                     f"(only one class in y_true): {', '.join(skipped)}")
    return _mean([per_class[c][metric] for c in names]), notes


def classification_metrics(
    y_true: np.ndarray,
    probs: np.ndarray,
    task: Task,
    *,
    threshold: float | Sequence[float] | None = None,
    label_names: list[str] | None = None,
    scores: np.ndarray | None = None,
) -> dict[str, Any]:
    """Discrimination and confusion-matrix metrics for one set of predictions.

    Args:
        y_true: (N,) or (N, 1) class indices (binary, multiclass) or (N, K) 0/1 (multilabel).
        probs: (N, K) probabilities: softmax for binary (K=2, column 1 = positive; a (N,)
            P(positive) is accepted too) and multiclass, sigmoid per label for multilabel.
        task: ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
        threshold: operating threshold on P(positive) / each label (default 0.5). A sequence
            of K values gives one threshold per class: per label for multilabel; for
            multiclass, one-vs-rest per-class predictions ``probs[:, c] >= t_c`` for the
            per-class values (accuracy, balanced accuracy and the confusion matrix stay
            argmax). A scalar is ignored (with a note) by multiclass, which predicts the
            argmax; a sequence is a ConfigError for binary (one threshold on column 1). A
            ``WeightedArgmax`` (multiclass, ``evaluation.decision``) predicts argmax p_k·w_k.
        label_names: one name per column (default ``"0"``, ``"1"``, ...).
        scores: what ``auc`` and ``auprc`` rank instead of ``probs``: an (N, K) array ordering each
            column as ``probs`` does, without its ties at exactly 1.0 (``calibration.log_calibrated``:
            with a small temperature the calibrated probabilities of distinct cases round to 1.0);
            every other value uses ``probs``.

    Returns:
        A JSON-serialisable dict with ``n``, ``task``, ``auc``, ``auprc`` (average precision;
        binary: of the positive column, else the mean over classes), ``accuracy``,
        ``balanced_accuracy``, ``macro_f1`` (mean of the per-class F1 where defined: 2TP/(2TP+FP+FN),
        so a class without positives but with false positives counts as 0 and only one never present
        nor predicted is left out, as scikit-learn's ``f1_score(average="macro", zero_division=nan)``),
        ``threshold`` (scalar, list, or ``None`` for argmax),
        ``per_class`` ({name: {sensitivity, specificity, precision, ppv, npv, f1, support,
        auc, auprc}}, one-vs-rest; ``ppv`` = ``precision``), ``macro`` (mean over classes of
        the defined values), ``confusion_matrix`` (rows = truth, columns = prediction;
        multilabel: one ``[[tn, fp], [fn, tp]]`` per label in ``label_names`` order),
        ``label_names``, ``notes`` (why any value is ``None`` or averaged over fewer classes) and,
        for a ``WeightedArgmax``, ``decision_weights``.
    """
    y, p = _validate(y_true, probs, task)
    n, k = p.shape
    names = _label_names(label_names, k)
    thr, cut, notes = _resolve_threshold(threshold, task, k)
    weights = decision_weights(threshold, k)
    truth, pred, pred_idx = _predictions(y, p, task, cut, weights)
    if weights is not None:
        notes.append("decisions are argmax of p_k·w_k (the class weights of the loss): the decisions the model was "
                     "trained for, on probabilities with the weights removed")

    per_class, class_notes = _per_class(truth, pred, _ranking_scores(scores, p, task), names)
    macro, macro_notes = _macro(per_class, names)
    macro_f1 = macro["f1"]
    if task == "multiclass" and cut is not None:  # per-class F1 at the one-vs-rest thresholds, the
        macro_f1 = _decision_macro_f1(truth, np.eye(k, dtype=int)[pred_idx])  # headline at the argmax
        notes.append("macro_f1 is of the argmax predictions; macro.f1 averages the one-vs-rest per-class f1")
    auc, auc_notes = _headline(per_class, names, task, "auc")
    auprc, auprc_notes = _headline(per_class, names, task, "auprc")
    notes += class_notes + macro_notes + auc_notes + auprc_notes

    with warnings.catch_warnings():
        # sklearn warns when a predicted class is absent from y_true; the notes above say so.
        warnings.simplefilter("ignore", UserWarning)
        if task == "multilabel":
            accuracy = _mean([accuracy_score(truth[:, c], pred[:, c]) for c in range(k)])
            # Per-label balanced accuracy needs both classes in y_true to be meaningful.
            bal = [balanced_accuracy_score(truth[:, c], pred[:, c]) for c in range(k)
                   if 0 < truth[:, c].sum() < n]
            balanced = _mean(bal)
            if len(bal) < k:
                notes.append(
                    f"balanced_accuracy averages the {len(bal)} of {k} labels "
                    "with both classes in y_true"
                )
            cm = multilabel_confusion_matrix(truth, pred).tolist()
        else:
            accuracy = float(accuracy_score(y, pred_idx))
            balanced = float(balanced_accuracy_score(y, pred_idx))  # mean recall over classes in y_true
            cm = confusion_matrix(y, pred_idx, labels=list(range(k))).tolist()

    return {
        "n": int(n),
        "task": task,
        "auc": _num(auc),
        "auprc": _num(auprc),
        "accuracy": _num(accuracy),
        "balanced_accuracy": _num(balanced),
        "macro_f1": _num(macro_f1),
        "threshold": thr,
        "per_class": per_class,
        "macro": macro,
        "confusion_matrix": cm,
        "label_names": names,
        "notes": notes,
        **({} if weights is None else {"decision_weights": [float(w) for w in weights]}),
    }
