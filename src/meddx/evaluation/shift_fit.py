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
result is about what it was; with fewer than 10 validation cases of a class b stays −c. The bias is
the bundle's existing ``calibration.bias``, so no new field: old bundles predict exactly as before.
The map stays increasing, so AUC and rankings are unchanged; the operating point is chosen
afterwards on the recalibrated validation probabilities.

Measured in ``benchmarks/weighted_calibration.py`` (docs/evaluation.md).
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
               f"before it (−c / T); −c where validation had fewer than {MIN_CASES} cases of either class")


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
    fit gave T = 0.16, b = −15.5 and a test in-the-large of +3.1. The caller handles degenerate columns."""
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
