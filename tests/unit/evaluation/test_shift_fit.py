"""The class-weighted loss's shift is fitted with T, between −c (removed after T) and −c / T (before it).

Known answer: outcome y ~ Bernoulli(prev), score x ~ N(1.5·y, 1), so the true log-odds are
η = logit(prev) + 1.5·x − 1.125. A loss weighing positives by w = (1 − prev)/prev moves a well-fit
network's log-odds by c = log w; the simulated network reports z = s·η + a·c. An over-confident network
that scales only part of its shift (s = 3, a = 2: where trained MLPs sat, benchmarks/weighted_calibration.py)
needs b = −2c/3, which ``z / T − c`` (the rule before) misses: risks too low, in the large about +.28.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit, logit

from meddx.evaluation.calibration import apply_temperature
from meddx.evaluation.calibration_slope import calibration_slope
from meddx.evaluation.operating import choose_operating_point
from meddx.evaluation.recalibration import fit_temperature_after_shift
from meddx.evaluation.shift_fit import MIN_CASES, bias_interval, fit_shift_between
from meddx.evaluation.temperature_targets import fit_with_smoothing, soft_nll
from meddx.training.finish import _calibration

PREV = 0.3
C = math.log((1 - PREV) / PREV)


def _network(n: int, seed: int, s: float, a: float, prev: float = PREV) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes (n,) and the network's (n, 2) probabilities from log-odds s·η + a·c."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prev).astype(int)
    eta = logit(prev) + 1.5 * (1.5 * y + rng.normal(size=n)) - 1.125
    p1 = expit(s * eta + a * math.log((1 - prev) / prev))
    return y, np.column_stack([1 - p1, p1])


def _in_the_large(y: np.ndarray, p1: np.ndarray) -> float:
    return calibration_slope(p1, y)["in_the_large"]


def test_an_over_confident_networks_risks_are_calibrated_in_the_large_after_the_fit() -> None:
    y_val, val = _network(2000, 0, s=3.0, a=2.0)
    temperature, bias = fit_temperature_after_shift(y_val, val, [1.0, (1 - PREV) / PREV])
    low, high = bias_interval(C, temperature)
    assert low <= bias <= high and temperature == pytest.approx(3.0, rel=0.1)
    assert bias == pytest.approx(-2 * C / 3, abs=0.1)  # the truth, inside the interval
    y, test = _network(100_000, 1, s=3.0, a=2.0)
    after = apply_temperature(test, temperature, "binary", bias=bias)[:, 1]
    assert abs(_in_the_large(y, after)) < 0.06  # z / T − c: +.28 (risks too low)


def test_a_pos_weighted_multilabel_networks_labels_are_calibrated_in_the_large_after_the_fit() -> None:
    prevs = (0.3, 0.1)
    nets = [_network(2000, j, s=3.0, a=2.0, prev=p) for j, p in enumerate(prevs)]
    y_val = np.stack([n[0] for n in nets], 1)
    val = np.stack([n[1][:, 1] for n in nets], 1)
    weights = [(1 - p) / p for p in prevs]
    calibration = _calibration(y_val, val, "multilabel", weights, ["a", "b"])
    assert "between the shift removed after the temperature" in calibration["method"]
    tests = [_network(100_000, 10 + j, s=3.0, a=2.0, prev=p) for j, p in enumerate(prevs)]
    y = np.stack([t[0] for t in tests], 1)
    after = apply_temperature(np.stack([t[1][:, 1] for t in tests], 1), calibration["temperature"], "multilabel",
                              bias=calibration["bias"])
    for j in range(2):  # z / T − c: +.28 and +.5
        assert abs(_in_the_large(y[:, j], after[:, j])) < 0.08, j


def test_a_well_fit_network_keeps_the_weights_correction() -> None:
    y_val, val = _network(2000, 2, s=1.0, a=1.0)
    temperature, bias = fit_temperature_after_shift(y_val, val, [1.0, (1 - PREV) / PREV])
    assert temperature == pytest.approx(1.0, rel=0.08) and bias == pytest.approx(-C, abs=0.1)


def test_too_few_cases_of_a_class_keep_the_rule_before() -> None:
    y_val, val = _network(150, 3, s=3.0, a=2.0, prev=0.03)
    assert 0 < y_val.sum() < MIN_CASES
    d = np.log(val[:, 1]) - np.log(val[:, 0])
    t, b, _ = fit_shift_between(y_val, d, C)
    before, _ = fit_with_smoothing(lambda q, t: soft_nll(q, d[:, None] / t - C, "multilabel"),
                                   y_val[:, None].astype(float), "multilabel", d[:, None])
    assert b == -C and t == pytest.approx(before, rel=1e-9)


def test_the_fitted_bias_moves_the_threshold_but_not_the_validation_decisions() -> None:
    y_val, val = _network(2000, 4, s=3.0, a=2.0)
    temperature, bias = fit_temperature_after_shift(y_val, val, [1.0, (1 - PREV) / PREV])
    fitted = choose_operating_point(y_val, apply_temperature(val, temperature, "binary", bias=bias), "binary")
    fixed = choose_operating_point(y_val, apply_temperature(val, temperature, "binary", bias=-C), "binary")
    assert fitted["val"] == fixed["val"] and fitted["threshold"] != fixed["threshold"]
