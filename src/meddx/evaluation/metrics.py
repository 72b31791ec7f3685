"""Classification metrics as pure functions of ``(y_true, probs)``, with scikit-learn as engine.

Conventions follow the MedMNIST benchmark (``medmnist.evaluator.getAUC/getACC``) so our numbers
are comparable with its published tables:

- ``auc``: binary = ROC AUC of the positive column (1); multiclass = mean over classes of the
  one-vs-rest AUC; multilabel = mean over labels of the per-label AUC.
- ``accuracy``: binary = ``probs[:, 1] >= threshold``; multiclass = argmax; multilabel = mean
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
from typing import Any, Literal

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

from meddx.core.errors import ConfigError, DataError

Task = Literal["binary", "multiclass", "multilabel"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "multilabel")
THRESHOLD_RULES: tuple[str, ...] = ("youden", "accuracy", "fixed:<p>")


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


def _label_names(label_names: list[str] | None, k: int) -> list[str]:
    names = [str(i) for i in range(k)] if label_names is None else [str(n) for n in label_names]
    if len(names) != k or len(set(names)) != k:
        raise ConfigError(
            f"label_names must be {k} distinct names (one per probs column); got {label_names!r}"
        )
    return names


def classification_metrics(
    y_true: np.ndarray,
    probs: np.ndarray,
    task: Task,
    *,
    threshold: float | None = None,
    label_names: list[str] | None = None,
) -> dict[str, Any]:
    """Discrimination and confusion-matrix metrics for one set of predictions.

    Args:
        y_true: (N,) or (N, 1) class indices (binary, multiclass) or (N, K) 0/1 (multilabel).
        probs: (N, K) probabilities: softmax for binary (K=2, column 1 = positive; a (N,)
            P(positive) is accepted too) and multiclass, sigmoid per label for multilabel.
        task: ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
        threshold: operating threshold on P(positive) / each label (default 0.5); ignored
            (with a note) by multiclass, which predicts the argmax.
        label_names: one name per column (default ``"0"``, ``"1"``, ...).

    Returns:
        A JSON-serialisable dict with ``n``, ``task``, ``auc``, ``accuracy``,
        ``balanced_accuracy``, ``threshold``, ``per_class`` ({name: {sensitivity, specificity,
        precision, f1, support, auc}}, one-vs-rest), ``macro`` (mean over classes of the
        defined values), ``confusion_matrix`` (rows = truth, columns = prediction; multilabel:
        one ``[[tn, fp], [fn, tp]]`` per label in ``label_names`` order), ``label_names`` and
        ``notes`` (why any value is ``None`` or averaged over fewer classes).
    """
    y, p = _validate(y_true, probs, task)
    n, k = p.shape
    names = _label_names(label_names, k)
    notes: list[str] = []
    if task == "multiclass":
        if threshold is not None:
            notes.append(f"threshold {threshold} ignored: multiclass predictions use argmax")
        thr = None
    else:
        thr = _check_threshold(threshold)

    # One-vs-rest indicator matrices (N, K) let one code path serve all three tasks.
    if task == "multilabel":
        truth, pred = y, (p >= thr).astype(int)
        pred_idx = None
    else:
        pred_idx = (p[:, 1] >= thr).astype(int) if task == "binary" else p.argmax(axis=1)
        truth, pred = np.eye(k, dtype=int)[y], np.eye(k, dtype=int)[pred_idx]

    # zero_division=nan makes sklearn return NaN (and not warn) where a ratio is 0/0.
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, pred, average=None, zero_division=np.nan
    )
    mcm = multilabel_confusion_matrix(truth, pred)  # (K, 2, 2): [[tn, fp], [fn, tp]]

    per_class: dict[str, dict[str, Any]] = {}
    for c, name in enumerate(names):
        (tn, fp), (fn, tp) = mcm[c]
        positives = int(truth[:, c].sum())
        both = 0 < positives < n
        # Specificity (TN rate) has no sklearn function; it is recall of the negative class.
        spec = tn / (tn + fp) if tn + fp else None
        auc = roc_auc_score(truth[:, c], p[:, c]) if both else None
        entry = {
            "sensitivity": _num(recall[c]),
            "specificity": _num(spec),
            "precision": _num(precision[c]),
            "f1": _num(f1[c]),
            "support": int(support[c]),
            "auc": _num(auc),
        }
        per_class[name] = entry
        reasons = []
        if positives == 0:
            reasons.append("no positives in y_true: sensitivity and auc undefined")
        if positives == n:
            reasons.append("no negatives in y_true: specificity and auc undefined")
        if tp + fp == 0:
            reasons.append("never predicted: precision undefined")
        if entry["f1"] is None:
            reasons.append("no positives and never predicted: f1 undefined")
        if reasons:
            notes.append(f"class {name!r}: " + "; ".join(reasons))

    macro = {
        m: _mean([per_class[c][m] for c in names])
        for m in ("sensitivity", "specificity", "precision", "f1")
    }
    for m in macro:
        defined = sum(per_class[c][m] is not None for c in names)
        if defined < k:
            notes.append(f"macro {m} averages the {defined} of {k} classes where it is defined")

    class_aucs = [per_class[c]["auc"] for c in names]
    if task == "binary":
        auc = class_aucs[1]
    else:
        auc = _mean(class_aucs)
        skipped = [c for c in names if per_class[c]["auc"] is None]
        if skipped:
            notes.append(f"auc is the mean over {k - len(skipped)} of {k} classes; skipped "
                         f"(only one class in y_true): {', '.join(skipped)}")

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
            cm = mcm.tolist()
        else:
            accuracy = float(accuracy_score(y, pred_idx))
            balanced = float(balanced_accuracy_score(y, pred_idx))  # mean recall over classes in y_true
            cm = confusion_matrix(y, pred_idx, labels=list(range(k))).tolist()

    return {
        "n": int(n),
        "task": task,
        "auc": _num(auc),
        "accuracy": _num(accuracy),
        "balanced_accuracy": _num(balanced),
        "threshold": thr,
        "per_class": per_class,
        "macro": macro,
        "confusion_matrix": cm,
        "label_names": names,
        "notes": notes,
    }


def _parse_rule(rule: str) -> float | None:
    """``None`` for a data-driven rule, the value for ``fixed:<p>``; bad rule -> ConfigError."""
    if rule in ("youden", "accuracy"):
        return None
    if isinstance(rule, str) and rule.startswith("fixed:"):
        try:
            return _check_threshold(float(rule.split(":", 1)[1]))
        except (ValueError, ConfigError):
            pass
    raise ConfigError(
        f"unknown threshold rule {rule!r}; valid rules: {', '.join(THRESHOLD_RULES)} "
        "(e.g. 'fixed:0.5', with p in [0, 1])"
    )


def choose_threshold(y_true: np.ndarray, p_pos: np.ndarray, rule: str = "youden") -> float:
    """Pick an operating threshold on P(positive) (predict positive when ``p >= threshold``).

    Rules:
        ``youden``: maximise sensitivity + specificity - 1 over the ROC thresholds;
        ``accuracy``: maximise accuracy over the same thresholds;
        ``fixed:<p>``: return ``p`` (e.g. ``fixed:0.5``).
    Ties go to the threshold closest to 0.5. Candidates are the distinct scores (sklearn
    ``roc_curve``), plus "everything negative", represented by the next float above the top
    score (which may exceed 1 when that score is 1.0).

    Degenerate input (``y_true`` has only one class): no threshold can be estimated, 0.5 is
    returned. Choose the threshold on validation data, never on the test split.
    """
    fixed = _parse_rule(rule)
    if fixed is not None:
        return fixed
    y = np.asarray(y_true).reshape(-1)
    p = np.asarray(p_pos, dtype=float).reshape(-1)
    if y.shape != p.shape or not np.isin(y, (0, 1)).all() or not np.isfinite(p).all():
        raise DataError(
            f"choose_threshold needs 0/1 y_true and finite p_pos of the same length; "
            f"got shapes {np.shape(y_true)} and {np.shape(p_pos)}"
        )
    if len(np.unique(y)) < 2:
        return 0.5
    fpr, tpr, thresholds = roc_curve(y, p, drop_intermediate=False)
    thresholds = np.where(np.isfinite(thresholds), thresholds, np.nextafter(p.max(), np.inf))
    if rule == "youden":
        score = tpr - fpr
    else:  # accuracy = (TP + TN) / N from the ROC rates
        pos = y.sum()
        score = (tpr * pos + (1.0 - fpr) * (len(y) - pos)) / len(y)
    best = np.flatnonzero(np.isclose(score, score.max(), rtol=0.0, atol=1e-12))
    return float(thresholds[best[np.argmin(np.abs(thresholds[best] - 0.5))]])
