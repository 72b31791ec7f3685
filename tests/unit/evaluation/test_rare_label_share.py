"""A multi-label model's rare label borrows where its shift's bias sits from the labels with enough cases.

Known answer: 4 labels with prevalences .004/.2/.3/.5; label j's score x ~ N(1.5·y, 1), so its true log-odds
are η = logit(prev) + 1.5·x − 1.125; BCE ``pos_weight`` w = (1 − prev)/prev moves a well-fit network's
log-odds by c = log w, and the simulated network reports z = 3·η + 2·c (over-confident, its shift scaled
part-way, where trained MLPs sat: benchmarks/weighted_calibration.py). The right map is z / 3 − 2c/3, the
share λ = 1/2 of the way from −c to −c / T. On 2 000 validation cases the rare label has under 10 positives,
so its own bias cannot be fitted; b = −c (the rule before) leaves its risks too low (in the large +.6 to +.8).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from meddx.evaluation.calibration import apply_temperature
from meddx.evaluation.calibration_slope import calibration_slope
from meddx.evaluation.label_temperature import fit_label_temperatures, per_label_words
from meddx.evaluation.shift_fit import (MIN_CASES, SHIFT_WORDS, bias_at_share, bias_interval, fit_shift_at_share,
                                        pooled_share, share_of)
from meddx.evaluation.temperature_targets import fit_with_smoothing, soft_nll
from meddx.training.finish import _calibration

PREVS = np.array([0.004, 0.2, 0.3, 0.5])
WEIGHTS = list((1 - PREVS) / PREVS)
NAMES = ["rare", "a", "b", "c"]


def _network(n: int, seed: int, a: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Labels (n, 4) and the network's probabilities from log-odds 3·η + a·c."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 4)) < PREVS).astype(int)
    eta = logit(PREVS) + 1.5 * (1.5 * y + rng.normal(size=(n, 4))) - 1.125
    return y, expit(3.0 * eta + a * np.log((1 - PREVS) / PREVS))


def _rare_in_the_large(fit_t: list[float], fit_b: list[float], seed: int) -> float:
    y, test = _network(100_000, 100 + seed)
    after = apply_temperature(test, fit_t, "multilabel", bias=fit_b)
    return calibration_slope(after[:, 0], y[:, 0])["in_the_large"]


@pytest.mark.parametrize("seed", [1, 4])
def test_a_rare_label_is_calibrated_in_the_large_with_the_pooled_share(seed: int) -> None:
    y_val, val = _network(2000, seed)
    assert 0 < y_val[:, 0].sum() < MIN_CASES
    fit = fit_label_temperatures(y_val, val, WEIGHTS)
    assert fit.pooled == [0] and fit.share == pytest.approx(0.5, abs=0.1)
    assert fit.bias[0] == pytest.approx(bias_at_share(np.log(WEIGHTS[0]), fit.temperatures[0], fit.share), rel=1e-12)
    assert abs(_rare_in_the_large(fit.temperatures, fit.bias, seed)) < 0.25  # b = −c: +.60 and +.81


def test_without_pooling_the_rare_label_keeps_the_rule_before() -> None:
    y_val, val = _network(2000, 4)
    fit = fit_label_temperatures(y_val, val, WEIGHTS, pool_rare=False)
    c = float(np.log(WEIGHTS[0]))
    s = np.log(val[:, :1]) - np.log1p(-val[:, :1])
    before, _ = fit_with_smoothing(lambda q, t: soft_nll(q, s / t - c, "multilabel"), y_val[:, :1].astype(float),
                                   "multilabel", s)
    assert fit.bias[0] == -c and fit.temperatures[0] == pytest.approx(before, rel=1e-9)
    assert fit.pooled == [] and fit.share is None
    assert _rare_in_the_large(fit.temperatures, fit.bias, 4) > 0.5


def test_with_no_label_to_borrow_from_every_rare_label_keeps_minus_c_exactly() -> None:
    y_val, val = _network(300, 5)
    y_val, val = y_val[:, :1], val[:, :1]  # the rare label alone
    assert 0 < y_val.sum() < MIN_CASES
    fit = fit_label_temperatures(y_val, val, WEIGHTS[:1])
    before = fit_label_temperatures(y_val, val, WEIGHTS[:1], pool_rare=False)
    assert fit.bias == before.bias == [-float(np.log(WEIGHTS[0]))] and fit.temperatures == before.temperatures
    assert fit.pooled == [] and per_label_words(fit, NAMES[:1]) == ""


def test_the_labels_with_enough_cases_are_fitted_as_before() -> None:
    y_val, val = _network(2000, 1)
    pooled, alone = fit_label_temperatures(y_val, val, WEIGHTS), fit_label_temperatures(y_val, val, WEIGHTS, False)
    assert pooled.temperatures[1:] == alone.temperatures[1:] and pooled.bias[1:] == alone.bias[1:]


def test_share_and_bias_are_inverse_and_the_share_stays_in_the_interval() -> None:
    c, t = 3.2, 2.5
    for lam in (0.0, 0.3, 1.0):
        b = bias_at_share(c, t, lam)
        low, high = bias_interval(c, t)
        assert low - 1e-12 <= b <= high + 1e-12 and share_of(b, c, t) == pytest.approx(lam, abs=1e-12)
    assert bias_at_share(c, t, 0.0) == -c and bias_at_share(c, t, 1.0) == pytest.approx(-c / t)
    assert share_of(-c, c, 1.0) is None  # T = 1: the interval is a point, it says nothing about λ


def test_the_pooled_share_weighs_labels_by_cases_and_interval_width() -> None:
    assert pooled_share([]) is None and pooled_share([(1.0, -2.0, 2.0, 50)]) is None
    wide, narrow = (4.0, bias_at_share(2.0, 4.0, 0.8), 2.0, 40), (1.1, bias_at_share(0.5, 1.1, 0.0), 0.5, 40)
    assert pooled_share([wide]) == pytest.approx(0.8)
    assert 0.79 < pooled_share([wide, narrow]) < 0.8  # the narrow interval hardly counts
    assert pooled_share([wide, (4.0, bias_at_share(2.0, 4.0, 0.2), 2.0, 120)]) == pytest.approx(0.35)


def test_a_fit_at_share_zero_is_the_rule_before_to_the_bit() -> None:
    y_val, val = _network(300, 5)
    s = np.log(val[:, 0]) - np.log1p(-val[:, 0])
    c = float(np.log(WEIGHTS[0]))
    t, b, _ = fit_shift_at_share(y_val[:, 0], s, c, 0.0)
    before, _ = fit_with_smoothing(lambda q, t: soft_nll(q, s[:, None] / t - c, "multilabel"),
                                   y_val[:, :1].astype(float), "multilabel", s[:, None])
    assert b == -c and t == before


def test_the_bundles_method_names_the_pooled_labels_and_the_share() -> None:
    y_val, val = _network(2000, 4)
    calibration = _calibration(y_val, val, "multilabel", WEIGHTS, NAMES)
    method = calibration["method"]
    assert SHIFT_WORDS in method and "pooled" in SHIFT_WORDS
    assert "label(s) rare had fewer than 10 validation cases of a class" in method
    fit = fit_label_temperatures(y_val, val, WEIGHTS)
    assert f"λ = {fit.share:.2f}" in method and calibration["bias"] == fit.bias
