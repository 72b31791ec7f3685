"""Multi-label models get one temperature per label, fitted on that label alone (each label is its own
binary problem, as scikit-learn's one-vs-rest ``CalibratedClassifierCV``); binary and multi-class keep one.

Known answer: 3 independent labels with prevalences .05/.5/.9; label j's score x_j ~ N(1.5·y_j, 1), so
its true log-odds are logit(prev_j) + 1.5·x_j − 1.125; the simulated network reports them multiplied by
its own over-confidence c_j = 3.0/1.0/0.6 (T_j = c_j recovers the truth).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit, softmax

from meddx.core.errors import ConfigError
from meddx.evaluation.calibration import apply_temperature, temperature_fit
from meddx.training.finish import _calibration

PREVALENCES = np.array([0.05, 0.5, 0.9])
OVERCONFIDENCE = np.array([3.0, 1.0, 0.6])
NAMES = ["rare", "half", "common"]


def _network(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels (n, 3), the true probabilities, and the network's output (each label mis-scaled its own way)."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 3)) < PREVALENCES).astype(int)
    true_logit = logit(PREVALENCES) + 1.5 * (1.5 * y + rng.normal(size=(n, 3))) - 1.125
    return y, expit(true_logit), expit(OVERCONFIDENCE * true_logit)


def test_each_label_gets_its_own_temperature_which_recovers_the_known_one() -> None:
    y_val, _, val = _network(3000, seed=0)
    calibration = _calibration(y_val, val, "multilabel", None)
    assert isinstance(calibration["temperature"], list) and len(calibration["temperature"]) == 3
    assert calibration["temperature"] == pytest.approx(list(OVERCONFIDENCE), rel=0.1)
    assert "per label" in calibration["method"] and "not_fitted" not in calibration


def test_each_labels_calibration_in_the_large_is_near_zero_on_held_out_cases() -> None:
    from sklearn.metrics import roc_auc_score

    y_val, _, val = _network(3000, seed=0)
    calibration = _calibration(y_val, val, "multilabel", None)
    y, truth, test = _network(60000, seed=1)
    after = apply_temperature(test, calibration["temperature"], "multilabel")
    np.testing.assert_allclose(after.mean(axis=0), y.mean(axis=0), atol=0.01)
    shared = apply_temperature(test, temperature_fit(y_val, val, "multilabel")[0], "multilabel")
    assert np.abs(shared.mean(axis=0) - y.mean(axis=0)).max() > 0.02  # one T for all: some label off
    np.testing.assert_allclose(after, truth, atol=0.03)  # each label's probabilities the true ones
    for j in range(3):  # each label's map is increasing: AUC unchanged
        assert roc_auc_score(y[:, j], after[:, j]) == pytest.approx(roc_auc_score(y[:, j], test[:, j]), abs=1e-12)


def test_a_label_with_one_class_on_validation_keeps_t_1_and_is_named() -> None:
    y_val, _, val = _network(600, seed=2)
    y_val[:, 0] = 0  # no "rare" positive on validation
    calibration = _calibration(y_val, val, "multilabel", None, NAMES)
    t = calibration["temperature"]
    assert t[0] == 1.0 and t[1] != 1.0 and t[2] != 1.0
    assert calibration["not_fitted"] == ["rare"]
    assert "label(s) rare had a single class on validation: T = 1" in calibration["method"]


def test_a_separable_label_is_fitted_against_smoothed_targets_on_its_own() -> None:
    y_val, _, val = _network(600, seed=3)
    margin = np.where(y_val[:, 1] == 1, 2.0, -2.0) + 0.1 * np.random.default_rng(4).normal(size=600)
    val[:, 1] = expit(margin)  # "half": every case on its side
    calibration = _calibration(y_val, val, "multilabel", None, NAMES)
    assert "label(s) half separable on validation" in calibration["method"]
    t = calibration["temperature"]
    assert 0.05 < t[1] < 20 and t[0] == pytest.approx(OVERCONFIDENCE[0], rel=0.25)  # the others as before


def test_per_label_temperatures_with_pos_weights_remove_each_shift_then_scale_each_label() -> None:
    y_val, truth, _ = _network(3000, seed=0)
    weights = [19.0, 1.0, 1.0 / 9.0]
    shifted = expit(OVERCONFIDENCE * (logit(truth) + np.log(weights)))  # a pos_weight loss's odds w·odds, mis-scaled
    calibration = _calibration(y_val, shifted, "multilabel", weights, NAMES)
    # fitted with each T between −log w and −log w / T; this network scales its shifts, so near −log w
    assert calibration["bias"] == pytest.approx([-np.log(w) for w in weights], abs=0.1)
    assert calibration["temperature"] == pytest.approx(list(OVERCONFIDENCE), rel=0.1)


def test_binary_and_multiclass_keep_one_temperature_exactly_as_before() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 400)
    probs = softmax(2.0 * (1.5 * np.eye(2)[y] + rng.standard_normal((400, 2))), axis=1)
    binary = _calibration(y, probs, "binary", None)
    assert binary["temperature"] == temperature_fit(y, probs, "binary")[0] and "not_fitted" not in binary
    y3 = rng.integers(0, 3, 400)
    probs3 = softmax(2.0 * (1.5 * np.eye(3)[y3] + rng.standard_normal((400, 3))), axis=1)
    multi = _calibration(y3, probs3, "multiclass", None)
    assert multi["temperature"] == temperature_fit(y3, probs3, "multiclass")[0]
    assert "per label" not in multi["method"]


def test_apply_temperature_takes_one_per_label_for_multilabel_only() -> None:
    p = np.array([[0.2, 0.7, 0.9], [0.6, 0.1, 0.5]])
    np.testing.assert_allclose(apply_temperature(p, [2.0, 1.0, 0.5], "multilabel"),
                               expit(logit(p) / np.array([2.0, 1.0, 0.5])), rtol=1e-12)
    np.testing.assert_allclose(apply_temperature(p, 2.0, "multilabel"), expit(logit(p) / 2.0), rtol=1e-12)
    with pytest.raises(ConfigError, match="one per label"):
        apply_temperature(p, [2.0, 1.0], "multilabel")
    with pytest.raises(ConfigError, match="multi-label models only"):
        apply_temperature(np.array([[0.3, 0.7]]), [1.0, 2.0], "binary")
    with pytest.raises(ConfigError, match="finite number > 0"):
        apply_temperature(p, [2.0, 0.0, 1.0], "multilabel")


def test_reports_show_the_temperature_per_label() -> None:
    from meddx.evaluation.label_temperature import temperature_text

    assert temperature_text([1.314, 0.88], ["a", "b"]) == "T per label: a 1.31, b 0.88"
    assert temperature_text(1.314) == "T = 1.31"
    assert temperature_text([1.0, 2.0], ["only one name"]) == "T per label: 0 1.00, 1 2.00"
