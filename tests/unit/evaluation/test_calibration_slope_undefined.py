"""The calibration slope is reported only where it has a finite maximum-likelihood estimate.

Found by review: two cases reached scikit-learn's unpenalised fit, which then reported wherever its
optimiser stopped. (1) Every probability the same (a collapsed model, a dead-ReLU network's
constant output): the slope is not identified (logit(c) is a constant, collinear with the
intercept), yet it read 0.0 for P = .5 and 0.51 for a uniform 3-class output: the direction of the
optimiser's first step. (2) Quasi-complete separation (Albert & Anderson 1984): every positive
scored at or above every negative, ties at one value only (saturated probabilities of exactly 0
and 1, right 100 times of 101): the likelihood rises without limit as the slope grows, yet 0.30
("too extreme") was reported. Both are now null with a note, as complete separation already was;
calibration-in-the-large, defined for a constant output, is still given there.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, logit

from meddx.evaluation.calibration import calibration_summary
from meddx.evaluation.calibration_slope import CLIP, calibration_slope


def _best_loglik_at_slope(c: np.ndarray, o: np.ndarray, slope: float) -> float:
    """The Bernoulli log-likelihood at ``slope`` with the best intercept (scipy), on logit(c)."""
    x = logit(np.clip(c, CLIP, 1 - CLIP))

    def nll(a: float) -> float:
        z = a + slope * x
        return -float(np.sum(o * log_expit(z) + (1 - o) * log_expit(-z)))

    return -minimize_scalar(nll, bounds=(-500, 500), method="bounded", options={"xatol": 1e-10}).fun


QUASI = {
    "saturated, one wrong 1.0": (np.r_[np.zeros(50), np.ones(51)], np.r_[np.zeros(50), np.ones(50), 0]),
    "three levels, the middle split": (np.r_[np.full(50, .1), np.full(30, .5), np.full(50, .9)],
                                       np.r_[np.zeros(65), np.ones(65)]),
}


@pytest.mark.parametrize("case", sorted(QUASI))
def test_quasi_separated_outcomes_have_no_slope(case: str) -> None:
    c, o = QUASI[case]
    lik = [_best_loglik_at_slope(c, o, s) for s in (0.05, 0.15, 0.45)]
    assert lik[0] < lik[1] < lik[2]  # independent check: the likelihood keeps rising with the slope
    out = calibration_slope(c, o)
    assert out["slope"] is None and out["intercept"] is None and "separated" in out["note"]


@pytest.mark.parametrize(("y", "probs", "task"), [
    (np.array([0, 1, 0, 1, 1]), np.full((5, 2), 0.5), "binary"),
    (np.array([0, 1, 2, 1]), np.full((4, 3), 1 / 3), "multiclass"),
])
def test_a_constant_output_has_no_slope_but_has_its_in_the_large(y: np.ndarray, probs: np.ndarray, task: str) -> None:
    out = calibration_summary(y, probs, task)
    assert out["slope"] is None and out["intercept"] is None and "same" in out["slope_note"]
    confidence = probs[:, 1] if task == "binary" else probs.max(axis=1)
    outcome = (y == 1) if task == "binary" else (probs.argmax(axis=1) == y)
    # in the large: a with mean(expit(a + logit(c))) = observed rate, i.e. logit(rate) - logit(c)
    assert out["in_the_large"] == pytest.approx(logit(outcome.mean()) - logit(confidence[0]), abs=1e-9)
    assert expit(out["in_the_large"] + logit(confidence[0])) == pytest.approx(outcome.mean())


def test_overlapping_outcomes_still_get_the_fitted_slope() -> None:
    rng = np.random.default_rng(0)
    c = rng.uniform(0.05, 0.95, 400)
    o = (rng.uniform(size=400) < expit(2.0 * logit(c))).astype(float)  # a slope of 2 by construction
    out = calibration_slope(c, o)
    slopes = np.linspace(0.5, 4.0, 351)
    best = slopes[np.argmax([_best_loglik_at_slope(c, o, s) for s in slopes])]
    assert out["slope"] == pytest.approx(best, abs=0.011) and 1.3 < out["slope"] < 3.0


@pytest.mark.parametrize("c, o", [
    (np.r_[np.full(10, 0.6), np.full(5, 0.9)], np.r_[np.zeros(10), np.ones(5)]),  # complete: risks too high
    (np.r_[np.full(50, 0.4), np.full(30, 0.7), np.full(20, 0.9)], np.r_[np.zeros(65), np.ones(35)]),  # quasi
])
def test_separated_outcomes_still_get_their_in_the_large(c: np.ndarray, o: np.ndarray) -> None:
    """Found by review: separation leaves the slope infinite, but calibration-in-the-large (the
    intercept with the slope fixed at 1) has a finite estimate whenever both outcomes occur; it was
    null there (a small test split ranked perfectly, its risks far too high, read as no estimate)."""
    x = logit(c)

    def nll(a: float) -> float:  # independent: the offset model's likelihood, maximised by scipy
        return -float(np.sum(o * log_expit(a + x) + (1 - o) * log_expit(-(a + x))))

    expected = minimize_scalar(nll, bounds=(-20, 20), method="bounded", options={"xatol": 1e-10}).x
    out = calibration_slope(c, o)
    assert out["slope"] is None and "separated" in out["note"]
    assert out["in_the_large"] == pytest.approx(expected, abs=1e-6)
    assert out["in_the_large"] < -0.5  # mean predicted risk above the observed rate
