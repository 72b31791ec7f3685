"""Platt's smoothed targets are also used on a split that is not separable but whose 0/1 fit still
stops at T's lower bound; the bundle's ``calibration.method`` said "the validation split being
separable" there too, which was untrue. Found by review: 1 000 cases right by a log-odds margin of 1
and one positive wrong by 1e-6 is not separable, and its 0/1 likelihood is smallest below T = 0.05.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit

from meddx.evaluation.calibration import temperature_fit
from meddx.evaluation.temperature_targets import SMOOTHED_WORDS, T_BOUNDS, separable


def _nearly_separable(n: int = 500) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.r_[np.full(n, 1.0), np.full(n, -1.0), [-1e-6]]
    y = np.r_[np.ones(n, int), np.zeros(n, int), [1]]
    return y, d, np.stack([expit(-d), expit(d)], axis=1)


def _fit(loss) -> float:  # independent: scipy on log T within the bounds
    res = minimize_scalar(lambda lt: loss(np.exp(lt)), bounds=np.log(T_BOUNDS), method="bounded",
                          options={"xatol": 1e-9})
    return float(np.exp(res.x))


def test_a_nearly_separable_split_is_smoothed_and_the_record_does_not_call_it_separable() -> None:
    y, d, p = _nearly_separable()
    assert not separable(np.log(p), y, "binary")
    hard = _fit(lambda t: -np.mean(y * log_expit(d / t) + (1 - y) * log_expit(-d / t)))
    assert hard == pytest.approx(T_BOUNDS[0], rel=1e-3)  # the 0/1 fit runs to the bound here
    pos, neg = y.sum(), (1 - y).sum()
    q = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (neg + 2))  # Platt's targets
    platt = _fit(lambda t: -np.mean(q * log_expit(d / t) + (1 - q) * log_expit(-d / t)))
    t, smoothed = temperature_fit(y, p, "binary")
    assert smoothed and t == pytest.approx(platt, rel=1e-4) and t > 2 * T_BOUNDS[0]
    assert "separable, or so nearly" in SMOOTHED_WORDS  # what calibration.method says of this split
