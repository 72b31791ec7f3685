"""A collapsed model (every case the same risk) has no calibration slope, also when its float32 network
gives identical inputs probabilities a rounding step apart.

Found by the evaluation walk: a table bundle evaluated on rows whose features were all equal gave
probabilities 0.34562193 ± 1e-9 (alternate rows one float32 step apart in a logit), and metrics.json
reported a calibration slope of 0.097 where docs/evaluation.md promises null ("every probability is
the same (a collapsed model)").
"""

from __future__ import annotations

import numpy as np
import pytest

from meddx.evaluation.calibration_slope import calibration_slope


@pytest.mark.parametrize("ordered", [False, True])  # True: the noise happens to put every positive above
def test_probabilities_a_rounding_step_apart_have_no_slope(ordered: bool) -> None:
    rng = np.random.default_rng(0)
    o = (rng.random(150) < 0.45).astype(int)
    step = np.where(np.arange(150) % 2 == 0, 1.9e-9, 0.0)  # as measured: alternate rows
    p = 0.34562193 + (np.where(o == 1, 1.9e-9, 0.0) if ordered else step)
    out = calibration_slope(p, o)
    assert out["slope"] is None and out["intercept"] is None
    assert "every probability is the same" in out["note"]
    assert out["in_the_large"] == pytest.approx(np.log(o.mean() / (1 - o.mean())) - np.log(0.34562193 / 0.65437807),
                                                abs=1e-6)


def _newton_fit(x: np.ndarray, o: np.ndarray) -> np.ndarray:
    """(intercept, slope) maximising the logistic likelihood, by Newton's method (an independent check)."""
    b = np.zeros(2)
    design = np.column_stack([np.ones_like(x), x])
    for _ in range(100):
        q = 1 / (1 + np.exp(-design @ b))
        step = np.linalg.solve(design.T @ (design * (q * (1 - q))[:, None]), design.T @ (o - q))
        b += step
        if np.abs(step).max() < 1e-13 * max(1.0, np.abs(b).max()):
            break
    return b


@pytest.mark.parametrize(("sd", "true", "centre"), [(1e-3, 300.0, 0.0), (1e-2, 30.0, 0.5), (0.1, 3.0, 0.0), (2.0, 0.6, -1.0)])
def test_slope_and_intercept_are_the_maximum_likelihood_fit(sd: float, true: float, centre: float) -> None:
    """Also on a small spread of logits (a model close to collapse, still ranking): before, scikit-learn's
    lbfgs on the raw logits stopped at once there (a slope of .0006 where the fit is 302) and was 1 %
    off at a spread of .01."""
    rng = np.random.default_rng(1)
    x = rng.normal(centre, sd, 2000)
    o = (rng.random(2000) < 1 / (1 + np.exp(-(x - centre) * true))).astype(int)
    out = calibration_slope(1 / (1 + np.exp(-x)), o)
    intercept, slope = _newton_fit(x, o)
    assert out["slope"] == pytest.approx(slope, rel=1e-5)
    assert out["intercept"] == pytest.approx(intercept, rel=1e-5, abs=1e-6)
