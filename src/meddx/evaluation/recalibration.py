"""Temperature scaling after undoing a class-weighted loss's shift, for binary, multi-class and multi-label models.

A loss that weighs class k by w_k is minimised by probabilities proportional to w_k·P(k | x), not
P(k | x): the network's log-odds are shifted by c = log(w_1 / w_0) everywhere. Temperature scaling
(Guo et al. 2017) only divides the log-odds, so it cannot undo a shift; the evaluation audit
measured a mean predicted risk of .44 against an observed .37 (calibration-in-the-large −.53) on
such a model. Here the log-odds d become ``d / T − c``: the shift is removed as the weights
dictate (post-hoc logit adjustment, Menon et al. 2021; the prior correction of Saerens et al.
2002), and T is fitted on validation. Until stop 45 the bias was fixed at ``−c``, right when an
over-confident network scales its whole logit, shift included; trained networks scale only part of
it, and ``d / T − c`` left their risks too low (in the large up to +.74 on a rare label). Since then
b is fitted with T, kept between ``−c`` and ``−c / T`` (:mod:`meddx.evaluation.shift_fit`): not a
free intercept, which on a validation split of 150 cases with 30 positives followed the split's
noise (in the large +.75 on test where the weights' correction gives about 0), and ``−c`` with fewer
than 10 validation cases of either class. A bundle stores b beside T. The map is
increasing, so AUC and the ranking are unchanged; the operating point is chosen afterwards on the
recalibrated validation probabilities.

Multi-class models get the same correction per class: ``softmax(z / T − log w)`` on the network's
log-probabilities z (Menon et al. 2021's logit adjustment with the loss's weights), T fitted on
validation after the shift; a bundle stores ``b_k = −log w_k``. Unlike the binary map this can move
the argmax; the decision stays argmax p_k·w_k (``evaluation.decision``), the model's own decisions.
On 3 Gaussian classes with priors .7/.2/.1, inverse-frequency weights and a network 1.5x over-
confident (20 seeds, 300 validation cases): test NLL .709 -> .536, top-label ECE .021 -> .014, the
mean predicted probability of each class off its prior by .22/.09/.13 -> .006/.006/.003.

Multi-label models trained with a per-label positive weight w_j (BCE ``pos_weight``, negatives per
positive of label j in training) have the same shift per label: that loss is minimised by odds
w_j·odds, so each label's log-odds carry +log w_j and the rarer labels' probabilities are the most
inflated. Here ``sigmoid(z_j / T_j − log w_j)`` on the network's per-label log-odds z, one T per label
(``evaluation.label_temperature``; until stop 44 one T shared by all labels: ``label_shifted_temperature_fit``,
kept for comparison), fitted on validation; since stop 45 each b_j is fitted with T_j between −log w_j and
−log w_j / T_j (as binary); a bundle stores b (a list, as multi-class; the bundle's task tells them apart). Each label's
map is increasing, so its AUC and ranking are unchanged; its threshold is chosen afterwards on the
recalibrated validation probabilities, as before. On 3 labels with prevalences .05/.2/.5, w = neg/pos
and a network 1.5x over-confident (20 seeds, 300 validation cases; the design of
tests/unit/evaluation/test_multilabel_recalibration.py): the mean predicted probability per label
.329/.385/.499 with the temperature alone, .050/.200/.499 after; test NLL .472 -> .324.

A label whose ``pos_weight`` is 0 (the loss ignored its positives: a plan file's weight, or a label always
positive in training before the plan gave such labels 1) has no finite shift to remove and its scores
estimate nothing (that loss is minimised by P = 0 whatever the case): it is left unshifted (b_j = 0)
and kept out of the temperature fit, and the bundle's ``calibration.method`` names it
(:func:`unshifted_label_words`). Every other label keeps its correction; before, one zero weight
turned the correction off for all labels, and that label's outputs dragged the shared T (3 labels,
w = 19/0/1, the network 1.5x over-confident: T 9.8, mean P of the .05-prevalence label .46 on test;
now T 1.45 and .051; the two labels' log-loss .617 -> .307).

A class whose weight is 0 (a plan file's ``class_weights: [w0, 0, w2]``: the loss ignored its cases) is
treated alike: ``b_k = 0``, its cases and column out of the temperature fit (softmax over the other
classes then estimates P(k | x, not that class)), and its decision weight 1 (:func:`decision_of`), so the
decisions stay the network's own argmax. Before, one zero weight turned every class's correction off and
that class's outputs dragged T (3 Gaussian classes, w = 2.1/0/3.3, the network 1.5x over-confident,
600 validation cases: T 17.9; now 1.19, the two classes' log-loss on their cases .625 -> .230). A
negative or non-finite weight (the tabular and series plans accept them) turns the correction off, for
every task: it has no shift to remove, and leaving it out of the fit unnamed would hide it.

Our own code: no library offers the prior correction on stored probabilities; it is a one-parameter
scipy fit like :func:`meddx.evaluation.calibration.fit_temperature`, and like it falls back to
Platt's (1999) smoothed targets on a separable validation split
(:mod:`meddx.evaluation.temperature_targets`), so T stays finite here too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from meddx.evaluation.calibration import _degenerate, _scores, _validate_probs
from meddx.evaluation.metrics import _validate
from meddx.evaluation.temperature_targets import fit_with_smoothing, soft_nll


def binary_log_odds(probs: Any) -> np.ndarray:
    """log P(positive) − log P(negative) of binary probabilities ((N, 2) or (N,)), in float64."""
    scores = _scores(_validate_probs(probs, "binary"), "binary")
    return scores[:, 1] - scores[:, 0]


def weight_shift(class_weights: Any) -> float:
    """c = log(w_1 / w_0): how far a loss with these binary class weights moves the log-odds."""
    w0, w1 = (float(w) for w in class_weights)
    return math.log(w1 / w0)


def fit_temperature_after_shift(y_true: Any, probs: Any, class_weights: Any) -> tuple[float, float]:
    """(T, b) for ``sigmoid(d / T + b)``, both fitted on validation by negative log-likelihood, b kept
    between ``−c`` (the weights' shift removed after T) and ``−c / T`` (before it)
    (:mod:`meddx.evaluation.shift_fit`), against Platt's smoothed targets when the split is separable
    (``temperature_targets``); T = 1 and b = −c on degenerate data: fewer than 2 cases or one class."""
    return shifted_temperature_fit(y_true, probs, class_weights)[:2]


def shifted_temperature_fit(y_true: Any, probs: Any, class_weights: Any) -> tuple[float, float, bool]:
    """(T, b, smoothed) of :func:`fit_temperature_after_shift`; ``smoothed``: the split was separable."""
    y, p = _validate(y_true, probs, "binary")
    shift = weight_shift(class_weights)
    if _degenerate(y):
        return 1.0, -shift, False
    from meddx.evaluation.shift_fit import fit_shift_between

    return fit_shift_between(y, binary_log_odds(p), shift)  # b between −c and −c / T (evaluation.shift_fit)


def weighted_loss(class_weights: Any) -> bool:
    """Whether a plan's binary class weights differ (the case whose shift is removed)."""
    weights = _usable(class_weights)
    return len(weights) == 2 and min(weights) > 0 and weights[0] != weights[1]


def class_weighted_loss(class_weights: Any) -> bool:
    """Whether a plan's multi-class (3 or more) class weights are not negative, not all equal and at
    least one positive (the case whose shifts are removed). A zero weight (a class the loss ignored) no
    longer turns the other classes' correction off: that class alone is left unshifted."""
    weights = _usable(class_weights)
    return len(weights) >= 3 and max(weights) > 0 and len(set(weights)) > 1


def unshifted_class_words(class_weights: Any) -> str:
    """What a multi-class bundle's ``calibration.method`` adds when some classes had weight 0;
    nothing otherwise (as before)."""
    return _unshifted_words(class_weights, "class(es)", "class weight 0 (the loss ignored their cases)")


def fit_temperature_after_class_shift(y_true: Any, probs: Any, class_weights: Any) -> tuple[float, list[float]]:
    """(T, b) for ``softmax(log p / T + b)`` with ``b_k = −log w_k`` (the weights' shifts, not
    fitted) and T fitted on validation by negative log-likelihood within the temperature's bounds,
    against the smoothed targets of ``temperature_targets`` when the split is separable; 1 on
    degenerate data: fewer than 2 cases or one class."""
    return class_shifted_temperature_fit(y_true, probs, class_weights)[:2]


def class_shifted_temperature_fit(y_true: Any, probs: Any, class_weights: Any) -> tuple[float, list[float], bool]:
    """(T, b, smoothed) of :func:`fit_temperature_after_class_shift`; ``smoothed``: the split was separable."""
    return _per_column_shift_fit(y_true, probs, class_weights, "multiclass")  # as T -> 0 the scores decide


def label_weighted_loss(pos_weights: Any) -> bool:
    """Whether a multi-label plan's per-label positive weights (``pos_weight``) are not all 1 and at
    least one is positive (the case whose shifts are removed). A zero weight (the label's positives
    ignored) no longer turns the other labels' correction off: that label alone is left unshifted."""
    weights = _usable(pos_weights)
    return len(weights) >= 1 and max(weights) > 0 and any(w != 1.0 for w in weights)


def _usable(weights: Any) -> list[float]:
    """The weights as floats when every one is finite and none negative; else none (the temperature
    alone): a negative or NaN weight has no shift to remove, and leaving it out of the fit unnamed, as a
    zero is named, would hide it (``max`` over a list holding NaN also depends on where the NaN sits)."""
    values = [float(w) for w in weights or []]
    return values if all(math.isfinite(w) and w >= 0 for w in values) else []


def unshifted_labels(pos_weights: Any) -> list[int]:
    """Positions (from 0) of the labels whose ``pos_weight`` (or classes whose class weight) is 0: no
    finite shift undoes them, so they are left unshifted and kept out of the temperature fit."""
    return [j for j, w in enumerate(pos_weights or []) if float(w) == 0.0]


def unshifted_label_words(pos_weights: Any) -> str:
    """What a multi-label bundle's ``calibration.method`` adds when some labels had ``pos_weight``
    0; nothing otherwise (as before)."""
    return _unshifted_words(pos_weights, "label(s)", "pos_weight 0 (the loss ignored their positives)")


def _unshifted_words(weights: Any, what: str, why: str) -> str:
    skipped = unshifted_labels(weights)
    if not skipped:
        return ""
    return (f"; {what} at position(s) " + ", ".join(map(str, skipped)) + f" (from 0) had {why}: left unshifted "
            "and out of the temperature fit, their probabilities are not calibrated")


def label_shifted_temperature_fit(y_true: Any, probs: Any, pos_weights: Any) -> tuple[float, list[float], bool]:
    """The shared-temperature rule bundles used before one T per label (``evaluation.label_temperature``),
    kept for comparison (benchmarks/multilabel_calibration.py).

    (T, b, smoothed) for ``sigmoid(logit(p_j) / T + b_j)`` per label with ``b_j = −log w_j`` (the
    BCE ``pos_weight`` shifts, not fitted) and one T for all labels fitted on validation by the mean
    binary negative log-likelihood, against Platt's smoothed targets per label when the split is
    separable; T = 1 on degenerate data (fewer than 2 cases, or a single value over all labels). A label
    with ``pos_weight`` 0 gets ``b_j = 0`` and is left out of the fit (``unshifted_labels``)."""
    return _per_column_shift_fit(y_true, probs, pos_weights, "multilabel")  # as T -> 0 each logit's sign decides


def _per_column_shift_fit(y_true: Any, probs: Any, weights: Any, task: str) -> tuple[float, list[float], bool]:
    """(T, b, smoothed): ``b`` = −log w per class (multi-class) or label (multi-label), not fitted; T
    fitted on validation after it (smoothed targets when the split is separable); T = 1 on
    degenerate data."""
    y, p = _validate(y_true, probs, task)
    bias, kept = _per_column_bias(weights, p.shape[1], task)
    if task == "multilabel":
        y, p = y[:, kept], p[:, kept]
    elif not kept.all():  # its cases and column dropped: softmax over the rest gives P(k | x, not that class)
        rows = kept[y]
        y, p = (np.cumsum(kept) - 1)[y[rows]], p[rows][:, kept]
    if _degenerate(y):
        return 1.0, bias.tolist(), False
    scores, b = _scores(p, task), bias[kept]
    t, smoothed = fit_with_smoothing(lambda q, t: soft_nll(q, scores / t + b, task), y, task, scores)
    return t, bias.tolist(), smoothed


def _per_column_bias(weights: Any, k: int, task: str) -> tuple[np.ndarray, np.ndarray]:
    """(b, kept): ``b_j = −log w_j`` per class or label, and which weights are positive; a zero weight has
    no finite shift, so that label (class) gets ``b_j = 0`` and is kept out of the fit. A ConfigError
    unless ``k`` weights."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (k,):
        from meddx.core.errors import ConfigError

        each = "one per class" if task == "multiclass" else "one pos_weight per label"
        raise ConfigError(f"class_weights {list(weights)}: {each} expected ({k})")
    kept = w > 0
    return np.where(kept, -np.log(np.where(kept, w, 1.0)), 0.0), kept


def decision_of(calibration: dict[str, Any] | None, class_weights: Any, task: str = "multiclass") -> dict[str, Any]:
    """What a multi-class bundle's ``decision`` adds when its calibration removed the loss's class
    weights: ``class_weights``, so it still decides by argmax p_k·w_k (``evaluation.decision``);
    nothing otherwise (a bundle without the correction decides by argmax, the same decisions), and
    nothing for other tasks (a multi-label model's thresholds are chosen on the corrected probabilities).
    A class the loss ignored (weight 0) was left unshifted (b_k = 0), so it is weighed by 1 (= exp(−b_k), as
    every class): the decisions stay the network's own argmax, and the stored weights positive (as a
    bundle's must be); a weight of 0 would never decide that class even where the network put it first."""
    if task != "multiclass" or np.ndim((calibration or {}).get("bias")) != 1:
        return {}
    return {"class_weights": [float(w) if float(w) > 0 else 1.0 for w in class_weights]}


def bias_words(bias: Any) -> str:
    """How a bundle's calibration removed a class-weighted loss's shift, for model cards: binary, one
    log-odds bias; multi-class, one per class (−log w_k); multi-label, one per label (−log w_j, fitted with
    T since stop 45); nothing without one."""
    if isinstance(bias, list):
        return " after removing the class-weighted loss's shifts (a bias per class or label, −log w, or for labels " \
            "fitted between −log w and −log w / T: " + \
            ", ".join(f"{b:+.3f}" for b in bias) + ")"
    return f" and log-odds shifted by {bias:+.3f} (class-weighted loss)" if bias else ""
