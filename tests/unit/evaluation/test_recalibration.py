"""Temperature after removing a class-weighted loss's log-odds shift (binary): the risks' mean
becomes the observed rate, the ranking is kept, and a bias is refused where it does not apply."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from meddx.core.errors import ConfigError
from meddx.evaluation.calibration import apply_temperature, fit_temperature
from meddx.evaluation.recalibration import binary_log_odds, fit_temperature_after_shift, weight_shift, weighted_loss

WEIGHTS = [0.6, 2.4]  # balanced weights of a 20 % positive class: c = log 4


def _shifted(n: int = 4000, scale: float = 1.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes from true log-odds t, and a model reporting (t + c) * T with T = scale: what a loss
    weighting the rarer positive class 4x does to the log-odds, plus over-confidence."""
    rng = np.random.default_rng(seed)
    true = rng.normal(-1.5, 2.0, n)
    y = (rng.random(n) < expit(true)).astype(int)
    p1 = expit((true + math.log(4)) * scale)
    return y, np.column_stack([1 - p1, p1])


def test_the_shift_of_the_weights_is_removed_and_the_temperature_fitted() -> None:
    y, probs = _shifted()
    assert weight_shift(WEIGHTS) == pytest.approx(math.log(4))
    temperature, bias = fit_temperature_after_shift(y, probs, WEIGHTS)
    assert temperature == pytest.approx(1.5, rel=0.08)
    # fitted with T between −c and −c/T; this network scales its shift with its logit, so near −c
    assert -math.log(4) <= bias <= -math.log(4) / temperature and bias == pytest.approx(-math.log(4), abs=0.1)
    after = apply_temperature(probs, temperature, "binary", bias=bias)[:, 1]
    assert abs(after.mean() - y.mean()) < 0.01  # in the large: the mean risk is the observed rate
    t_only = apply_temperature(probs, fit_temperature(y, probs, "binary"), "binary")[:, 1]
    assert t_only.mean() - y.mean() > 0.05  # a temperature alone leaves the risks too high


def test_the_map_keeps_the_ranking_and_equals_the_formula() -> None:
    y, probs = _shifted(n=500, seed=1)
    out = apply_temperature(probs, 2.0, "binary", bias=-0.7)
    np.testing.assert_allclose(out[:, 1], expit(binary_log_odds(probs) / 2.0 - 0.7), rtol=1e-12)
    assert (np.argsort(out[:, 1], kind="stable") == np.argsort(probs[:, 1], kind="stable")).all()
    np.testing.assert_allclose(apply_temperature(probs[:, 1], 2.0, "binary", bias=-0.7), out[:, 1])


def test_degenerate_validation_and_other_tasks() -> None:
    temperature, bias = fit_temperature_after_shift(np.ones(20, int), np.full((20, 2), 0.5), WEIGHTS)
    assert temperature == 1.0 and bias == pytest.approx(-math.log(4))  # the shift needs no validation data
    with pytest.raises(ConfigError, match="binary models only"):
        apply_temperature(np.full((3, 3), 1 / 3), 1.0, "multiclass", bias=0.5)
    assert weighted_loss([1.0, 2.9]) and not weighted_loss([1.0, 1.0]) and not weighted_loss(None)
    assert not weighted_loss([1.0, 2.0, 3.0])
