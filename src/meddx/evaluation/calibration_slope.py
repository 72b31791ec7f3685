"""Weak calibration: calibration slope and calibration-in-the-large (logistic recalibration).

ECE and the reliability diagram say how far the probabilities are off; the slope says how: a slope
below 1 means the predictions are too extreme (overfitting, typical of a model applied to new
data), above 1 too timid; calibration-in-the-large (the intercept with the slope fixed at 1) says
whether the risks are too high (< 0) or too low (> 0) on average. Cox (1958); the "weak
calibration" level of Van Calster et al. (2019), "Calibration: the Achilles heel of predictive
analytics", BMC Medicine 17:230, which TRIPOD+AI asks for.

Both are fitted on the same (confidence, outcome) pairs as the ECE (``calibration_targets``):
``logit(outcome = 1) = intercept + slope * logit(confidence)``, by scikit-learn's unpenalised
logistic regression; calibration-in-the-large solves ``sum(outcome - expit(a + logit(c))) = 0``
for ``a`` (a logistic regression with the logit as offset, which scikit-learn cannot fit).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

CLIP = 1e-12  # probabilities of exactly 0 or 1 have an infinite logit
# Logits closer together than this count as one value: a float32 network gives identical inputs logits one
# rounding step apart (the same row computed at another place in a batch), and a slope fitted across such a
# spread (1e-8 in logit for a collapsed table model) was wherever the optimiser stopped (0.097), not "undefined"
SAME_LOGIT = 1e-6


def calibration_slope(confidence: np.ndarray, outcome: np.ndarray) -> dict[str, Any]:
    """``{"slope", "intercept", "in_the_large"}`` (1, 0 and 0 when calibrated), ``None`` values with a
    ``note`` when they cannot be estimated: all three with one outcome only; slope and intercept alone
    when the outcomes are perfectly separated or every probability is the same (their logits within
    ``SAME_LOGIT``; in the large, a fit of the intercept alone, has a finite estimate whenever both
    outcomes occur)."""
    from scipy.optimize import brentq
    from scipy.special import expit, logit
    from sklearn.linear_model import LogisticRegression

    o = np.asarray(outcome, dtype=float).reshape(-1)
    x = logit(np.clip(np.asarray(confidence, dtype=float).reshape(-1), CLIP, 1 - CLIP))
    if o.min() == o.max():
        return {"slope": None, "intercept": None, "in_the_large": None,
                "note": "one outcome only: calibration slope and intercept are undefined"}
    # sum(o - expit(a + x)) falls from sum(o) > 0 to sum(o) - n < 0: one root, separated or not
    in_the_large = float(brentq(lambda a: float(np.sum(o - expit(a + x))), -60.0, 60.0))
    undefined = {"slope": None, "intercept": None, "in_the_large": in_the_large}
    positives, negatives = x[o == 1], x[o == 0]
    same = x.max() - x.min() <= SAME_LOGIT
    if not same and (positives.min() >= negatives.max() or negatives.min() >= positives.max()):
        # complete or quasi-complete separation (Albert & Anderson 1984): no finite maximum likelihood, and
        # scikit-learn stops wherever its tolerance does (a slope of .30 for p in {0, 1} right 100 of 101 times)
        return {**undefined, "note": "outcomes perfectly separated by the probabilities (ties at one value aside): "
                                     "the slope is infinite"}
    if same:  # a slope on a constant is not identified: the fit returned its start's direction
        return {**undefined, "note": "every probability is the same: the calibration slope and intercept are undefined"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # C=inf (no penalty) is how scikit-learn >= 1.8 spells it
        # fitted on the standardised logit: lbfgs stops on a gradient tolerance, and on a small spread (logits
        # 1e-3 apart, a nearly collapsed model) it stopped at once, a slope of .0006 where the maximum is 302
        centre, scale = float(x.mean()), float(x.std())
        fit = LogisticRegression(C=np.inf, max_iter=1000, tol=1e-10).fit(((x - centre) / scale)[:, None], o)
    slope = float(fit.coef_[0, 0]) / scale
    return {"slope": slope, "intercept": float(fit.intercept_[0]) - slope * centre, "in_the_large": in_the_large}
