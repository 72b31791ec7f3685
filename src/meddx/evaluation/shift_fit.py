"""Temperature and a class-weighted loss's shift fitted together, the shift kept between its two fixed forms.

Why: a loss weighing the positives by w (binary class weights w1/w0, multi-label ``pos_weight``) moves
a well-fit network's log-odds by c = log w, and meddx removed it after the temperature,
``z / T − c``. That is right when an over-confident network scales its whole logit, shift included
(z = T·(η + c), η the true log-odds); it over-corrects when the network scales the evidence but not the
shift (z = T·η + c, where ``(z − c) / T`` is right). Trained networks sit between: on multi-label data
(pos_weight = negatives/positives) an MLP trained 10 epochs (T 2.7/1.6) was left at
calibration-in-the-large +.51/+.29 (risks too low) by ``z / T − c`` and at +.08/−.08 by ``(z − c) / T``;
trained 100 epochs (T 20/15) at +.74/+.48 and −.27/−.46. Neither fixed form wins everywhere.

So the bias b of ``z / T + b`` is fitted on validation jointly with T, by the same negative
log-likelihood, but only within the interval between the two forms: b between −c and −c / T. One
bounded extra parameter, not Platt's free intercept: on 150 validation cases with a handful of
positives a free intercept follows the split's noise, and the interval keeps the weights' known
correction as the prior. For a well-fit network (T near 1) the interval is narrow, so the
result is about what it was; with fewer than 10 validation cases of a class b stays −c (binary). The bias is
the bundle's existing ``calibration.bias``, so no new field: old bundles predict exactly as before.
The map stays increasing, so AUC and rankings are unchanged; the operating point is chosen
afterwards on the recalibrated validation probabilities.

A multi-label model's label with fewer than 10 validation cases of a class borrows from its other labels
(since stop 46): ``b = −c·((1 − λ) + λ / T)`` is the same interval for λ in [0, 1] (0: −c, 1: −c / T); the
labels with enough cases each give their own λ, the rare label takes their mean (:func:`pooled_share`) and
fits T alone with b tied to it, as it did with b = −c (λ = 0, still the rule when no label has enough).
Trained networks scale their labels' shifts alike (an MLP trained 100 epochs, 20 seeds: its .025-prevalence
label, about 7 validation positives, went from in-the-large +.47 to +.00, log-loss .1036 -> .1000); the risk
is a rare label whose network scaled its whole shift while the others did not (simulated: −.05 -> −1.2).

Measured in ``benchmarks/weighted_calibration.py`` (docs/evaluation-notes.md, "How much of the shift to remove"
and "Rare labels borrow the share of the shift").
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from meddx.evaluation.temperature_targets import fit_with_smoothing, soft_nll

MIN_CASES = 10  # of each class in a column for b to be fitted: 10 events per extra parameter (Peduzzi et al. 1996)
# What a bundle's calibration ``method`` says of the fitted bias (after "by a").
SHIFT_WORDS = ("bias fitted on validation jointly with T, between the shift removed after the temperature (−c) and "
               f"before it (−c / T); where validation had fewer than {MIN_CASES} cases of either class, −c, or for a "
               "label of a multi-label model the share of that interval pooled over its labels with enough cases "
               "(−c when none had)")


def bias_interval(shift: float, temperature: float) -> tuple[float, float]:
    """(low, high): the biases between ``−shift`` (shift removed after T) and ``−shift / T`` (before T)."""
    a, b = -shift, -shift / temperature
    return (a, b) if a <= b else (b, a)


def best_bias(targets: np.ndarray, scores: np.ndarray, temperature: float, shift: float) -> float:
    """The bias in :func:`bias_interval` minimising the binary negative log-likelihood of
    ``scores / T + b`` against ``targets`` (0/1 or smoothed), for one column: convex in b, so the root of
    its slope (mean predicted = mean target), or the end of the interval nearer it."""
    low, high = bias_interval(shift, temperature)
    if high - low < 1e-9:
        return float(-shift)
    z = scores / temperature

    def slope(b: float) -> float:  # d NLL / d b: mean predicted minus mean target, increasing in b
        return float(np.mean(expit(z + b) - targets))

    if slope(low) >= 0:
        return low
    if slope(high) <= 0:
        return high
    return float(brentq(slope, low, high, xtol=1e-10))


def fit_shift_between(y: Any, scores: Any, shift: float) -> tuple[float, float, bool]:
    """(T, b, smoothed) for ``sigmoid(scores / T + b)`` on one binary column: validation 0/1 outcomes ``y``
    (N,) and the network's log-odds ``scores`` (N,), its loss's shift ``c`` (``shift``); T and b minimise the
    negative log-likelihood together, b within :func:`bias_interval`; against Platt's smoothed targets
    when the column is separable (``temperature_targets``). With fewer than ``MIN_CASES`` validation cases
    of either class, b = −c and T alone is fitted (the rule before): with 2 positives among 150 the joint
    fit gave T = 0.16, b = −15.5 and a test in-the-large of +3.1 (a multi-label model's such label takes the
    pooled share instead: ``label_temperature``). The caller handles degenerate columns."""
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
    positives = float(y.sum())
    if min(positives, len(y) - positives) < MIN_CASES:  # too few to fit two parameters: the shift after T, as before
        t, smoothed = fit_with_smoothing(lambda q, t: soft_nll(q, s / t - shift, "multilabel"), y, "multilabel", s)
        return t, float(-shift), smoothed

    def loss(targets: np.ndarray, t: float) -> float:
        return soft_nll(targets, s / t + best_bias(targets, s, t, shift), "multilabel")

    t, smoothed = fit_with_smoothing(loss, y, "multilabel", s)
    if smoothed:
        from meddx.evaluation.temperature_targets import smoothed_targets

        targets = smoothed_targets(y, "multilabel", 1)
    else:
        targets = y
    return t, best_bias(targets, s, t, shift), smoothed


def bias_at_share(shift: float, temperature: float, share: float) -> float:
    """``b = −c·((1 − λ) + λ / T)``: the bias a share λ of the way from −c (λ = 0, the shift removed after T)
    to −c / T (λ = 1, before it); the same interval as :func:`bias_interval` for λ in [0, 1]."""
    return float(-shift * ((1.0 - share) + share / temperature))


def share_of(bias: float, shift: float, temperature: float) -> float | None:
    """λ of a fitted bias (the inverse of :func:`bias_at_share`, clipped to [0, 1]); ``None`` when the interval
    is too narrow to tell (|c·(1 − 1/T)| below 1e-6: T at 1, or no shift)."""
    width = shift * (1.0 - 1.0 / temperature)
    if abs(width) < 1e-6:
        return None
    return float(np.clip((bias + shift) / width, 0.0, 1.0))


def fit_shift_at_share(y: Any, scores: Any, shift: float, share: float) -> tuple[float, float, bool]:
    """(T, b, smoothed) for one binary column with b tied to T at a given share λ (:func:`bias_at_share`):
    T alone is fitted, as with b = −c (λ = 0, the rule for a column with too few cases of a class)."""
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
    t, smoothed = fit_with_smoothing(lambda q, t: soft_nll(q, s / t + bias_at_share(shift, t, share), "multilabel"),
                                     y, "multilabel", s)
    return t, bias_at_share(shift, t, share), smoothed


def enough_cases(y: Any) -> bool:
    """Whether a 0/1 column has at least ``MIN_CASES`` of each class (its bias fitted with its T)."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    positives = float(y.sum())
    return min(positives, len(y) - positives) >= MIN_CASES


def pooled_share(fits: list[tuple[float, float, float, int]]) -> float | None:
    """The share λ a multi-label model's rare labels borrow: the mean of the shares of its labels with enough
    cases, ``fits`` = (T, b, c, n) each (n: its validation cases of its less frequent class), weighted by
    ``n·(c·(1 − 1/T))²``, about the inverse of each share's variance (a label whose interval is narrow says
    little about λ); ``None`` when no label tells (none had enough cases, or every interval was empty)."""
    pairs = [(share_of(b, c, t), n * (c * (1.0 - 1.0 / t)) ** 2) for t, b, c, n in fits]
    pairs = [(lam, w) for lam, w in pairs if lam is not None and w > 0]
    if not pairs:
        return None
    return float(np.average([lam for lam, _ in pairs], weights=[w for _, w in pairs]))
