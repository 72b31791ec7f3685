"""One temperature per label for multi-label models: each label is its own binary problem.

Why: a multi-label network is a set of binary classifiers sharing a trunk, and it is not equally
over-confident on every label (a common finding is sharp, saturated outputs on a frequent label and
soft ones on a rare one). One temperature shared by all labels (the rule before) is a compromise
fitted to the pooled (sample, label) pairs, so the labels whose pairs dominate the pool decide it:
with one T, a label of 90 % prevalence was measured off by +.03 to +.04 in calibration-in-the-large.
scikit-learn's ``CalibratedClassifierCV`` calibrates a multi-label (one-vs-rest) problem label by
label; here likewise each label's T is fitted on validation on that label's own column,
``sigmoid(logit(p_j) / T_j + b_j)`` (``b_j``: the positive-weighted loss's shift −log w_j removed,
:mod:`meddx.evaluation.recalibration`; fitted with T_j between −log w_j and −log w_j / T_j,
:mod:`meddx.evaluation.shift_fit`; a label with fewer than 10 validation cases of a class takes the share of
that interval pooled over the labels with enough, ``shift_fit.pooled_share``), with the same rules as every
temperature fit:

- negative log-likelihood against the label's 0/1 outcomes; when that label's validation column is
  separable (every positive scored above 0, every negative below), against Platt's (1999) smoothed
  targets instead (:mod:`meddx.evaluation.temperature_targets`), so its T stays finite;
- a label with a single class on validation (or fewer than 2 cases) cannot identify T: it keeps
  T = 1 (not fitted; its positive-weighted loss's shift is still removed) and the bundle's
  ``calibration.method`` names it; so does a label whose ``pos_weight`` was 0 (the loss ignored its
  positives: left unshifted, as before).

Each label's map is increasing, so its ranking (AUC) is unchanged; its threshold is chosen afterwards
on the rescaled validation probabilities. Binary and multi-class models keep one T. A bundle stores the
list in ``calibration.temperature``; a bundle with one number (written before) is applied as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from meddx.evaluation.calibration import _degenerate, _scores
from meddx.evaluation.metrics import _validate
from meddx.evaluation.temperature_targets import fit_with_smoothing, soft_nll


@dataclass
class LabelFit:
    """Per-label temperatures and what each fit could do (label positions from 0)."""

    temperatures: list[float]
    bias: list[float] | None = None
    smoothed: list[int] = field(default_factory=list)      # separable on validation: Platt's targets
    single_class: list[int] = field(default_factory=list)  # one class (or < 2 cases) on validation: T = 1
    left_out: list[int] = field(default_factory=list)      # pos_weight 0: unshifted, T = 1
    pooled: list[int] = field(default_factory=list)        # too few cases of a class: b at the pooled share
    share: float | None = None                             # that share λ (shift_fit.pooled_share)


def fit_label_temperatures(y_true: Any, probs: Any, pos_weights: Any = None, pool_rare: bool = True) -> LabelFit:
    """Fit one temperature per label on validation labels ``y_true`` (N, L) and probabilities ``probs``
    (N, L). With ``pos_weights`` (the loss's per-label ``pos_weight``), each label's shift is removed by a
    ``bias`` fitted with its T between ``−log w_j`` and ``−log w_j / T_j`` (``shift_fit``); a label with too few
    validation cases of a class gets the share of that interval pooled over the labels with enough
    (``shift_fit.pooled_share``; ``−log w_j`` when none has, or with ``pool_rare`` False: the rule before,
    kept for comparison), a single class ``−log w_j`` and T = 1; a label whose weight is 0 is left unshifted
    with T = 1."""
    y, p = _validate(y_true, probs, "multilabel")
    k = p.shape[1]
    bias = np.zeros(k)
    left_out: list[int] = []
    if pos_weights is not None:
        from meddx.evaluation.recalibration import _per_column_bias

        bias, kept = _per_column_bias(pos_weights, k, "multilabel")
        left_out = [j for j in range(k) if not kept[j]]
    scores = _scores(p, "multilabel")
    fit = LabelFit(temperatures=[1.0] * k, bias=bias.tolist() if pos_weights is not None else None,
                   left_out=left_out)
    from meddx.evaluation.shift_fit import enough_cases, fit_shift_at_share, fit_shift_between, pooled_share

    rare: list[int] = []  # shifted labels with too few validation cases of a class: the pooled share, below
    told: list[tuple[float, float, float, int]] = []  # (T, b, c, n) of the labels whose bias was fitted
    for j in range(k):
        if j in left_out:
            continue
        yj, sj, bj = y[:, j:j + 1], scores[:, j:j + 1], float(bias[j])
        if _degenerate(yj):
            fit.single_class.append(j)
            continue
        if bj != 0.0 and pool_rare and not enough_cases(yj):
            rare.append(j)
            continue
        if bj != 0.0:  # the loss's shift: b_j fitted with T_j, between −log w_j and −log w_j / T_j (shift_fit)
            t, fitted_bias, smoothed = fit_shift_between(yj, sj, -bj)
            fit.bias[j] = fitted_bias  # type: ignore[index]
            if enough_cases(yj):
                told.append((t, fitted_bias, -bj, int(min(yj.sum(), len(yj) - yj.sum()))))
        else:
            t, smoothed = fit_with_smoothing(lambda q, t, s=sj: soft_nll(q, s / t, "multilabel"), yj, "multilabel", sj)
        fit.temperatures[j] = t
        if smoothed:
            fit.smoothed.append(j)
    share = pooled_share(told)
    for j in rare:  # T_j fitted with b_j tied to it at the pooled share (λ = 0: b_j = −log w_j, the rule before)
        t, fitted_bias, smoothed = fit_shift_at_share(y[:, j:j + 1], scores[:, j:j + 1], -float(bias[j]), share or 0.0)
        fit.temperatures[j], fit.bias[j] = t, fitted_bias  # type: ignore[index]
        if smoothed:
            fit.smoothed.append(j)
    if rare and share is not None:
        fit.pooled, fit.share = rare, share
    fit.smoothed.sort()
    return fit


def per_label_words(fit: LabelFit, label_names: Sequence[str]) -> str:
    """What a bundle's ``calibration.method`` adds about the labels whose fit differed from the others:
    those fitted against smoothed targets, those whose bias took the pooled share (too few cases of a class),
    and those left at T = 1 with a single class on validation."""
    def named(positions: list[int]) -> str:
        return ", ".join(str(label_names[j]) if j < len(label_names) else str(j) for j in positions)

    words = ""
    if fit.smoothed:
        words += f"; label(s) {named(fit.smoothed)} separable on validation: T fitted against Platt's smoothed targets"
    if fit.pooled and fit.share is not None:
        from meddx.evaluation.shift_fit import MIN_CASES

        words += (f"; label(s) {named(fit.pooled)} had fewer than {MIN_CASES} validation cases of a class: bias at the "
                  f"share λ = {fit.share:.2f} of the way from −c to −c / T pooled over the labels with enough")
    if fit.single_class:
        shifted = [j for j in fit.single_class if fit.bias is not None and fit.bias[j] != 0.0]
        words += (f"; label(s) {named(fit.single_class)} had a single class on validation: T = 1 (not fitted)"
                  + (f", the loss's shift still removed for {named(shifted)}" if shifted else ""))
    return words


def not_fitted_field(fit: LabelFit, label_names: Sequence[str]) -> dict[str, list[str]]:
    """``{"not_fitted": [names]}``: the labels whose T stayed 1 (a single class on validation, or
    ``pos_weight`` 0), for the bundle's ``calibration`` so model cards and reports can say so; nothing
    when every label was fitted."""
    positions = sorted(fit.single_class + fit.left_out)
    names = [str(label_names[j]) if j < len(label_names) else str(j) for j in positions]
    return {"not_fitted": names} if names else {}


def not_fitted_text(calibration: dict[str, Any], label_names: Sequence[str] | None = None) -> str:
    """What model cards and reports add about the labels left at T = 1; ``""`` when there are none. A label
    left at T = 1 may still have its positive-weighted loss's shift removed (``calibration.bias``), so it is
    called "not fitted", never "not recalibrated"; with ``label_names`` those labels are named."""
    names = calibration.get("not_fitted") if isinstance(calibration, dict) else None
    if not names:
        return ""
    text = (f" T = 1 (not fitted): {', '.join(map(str, names))}, with a single class on validation "
            "(or a loss that ignored their positives), so no temperature could be fitted")
    bias = calibration.get("bias")
    if not isinstance(bias, (list, tuple)) or not any(isinstance(b, (int, float)) and b != 0 for b in bias):
        return text + "."
    positions = {str(n): j for j, n in enumerate(label_names or []) if len(label_names or []) == len(bias)}
    if not positions:
        return text + "; where the bundle records a loss's shift for such a label, it is still removed."
    shifted = [str(n) for n in names if str(n) in positions and bias[positions[str(n)]] not in (0, 0.0, None)]
    return text + (f"; its loss's shift is still removed for {', '.join(shifted)}." if shifted else ".")


def temperature_text(temperature: Any, label_names: Sequence[str] | None = None, digits: int = 2) -> str:
    """How reports show a bundle's temperature: ``"T = 1.31"`` for one, ``"T per label: a 1.31, b 0.88"`` for
    a multi-label bundle's list (positions when the names do not match); ``""`` when there is none."""
    if isinstance(temperature, (list, tuple)):
        names = list(label_names or [])
        if len(names) != len(temperature):
            names = [str(j) for j in range(len(temperature))]
        return "T per label: " + ", ".join(f"{n} {float(t):.{digits}f}" for n, t in zip(names, temperature))
    if isinstance(temperature, (int, float)) and not isinstance(temperature, bool):
        return f"T = {float(temperature):.{digits}f}"
    return ""
