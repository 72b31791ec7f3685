"""Multi-label models trained with a per-label positive weight (BCE ``pos_weight`` = negatives per
positive): each label's log-odds shift, log w_j, is removed before each label's temperature is fitted,
so each label's probabilities mean what they say; each label's ranking (AUC) is unchanged.

Known answer: 3 independent labels with prevalences .05/.2/.5; label j's score x_j ~ N(1.5·y_j, 1),
so its true log-odds are logit(prev_j) + 1.5·x_j − 1.125. A BCE with pos_weight w_j is minimised by
odds w_j·odds; the "network" below reports exactly that, 1.5x over-confident.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from meddx.evaluation.calibration import apply_temperature
from meddx.training.finish import _calibration

PREVALENCES = np.array([0.05, 0.2, 0.5])
POS_WEIGHTS = [float(w) for w in (1 - PREVALENCES) / PREVALENCES]  # neg/pos, as the plan sets them: 19, 4, 1


def _weighted_network(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels (n, 3), the true probabilities, and a pos_weight-trained network's over-confident output."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 3)) < PREVALENCES).astype(int)
    x = 1.5 * y + rng.normal(size=(n, 3))
    true_logit = logit(PREVALENCES) + 1.5 * x - 1.125
    return y, expit(true_logit), expit(1.5 * (true_logit + np.log(POS_WEIGHTS)))


def _nll(y: np.ndarray, p: np.ndarray) -> float:
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _recalibrated(calibration: dict, probs: np.ndarray) -> np.ndarray:
    return apply_temperature(probs, calibration["temperature"], "multilabel", bias=calibration.get("bias", 0.0))


def test_the_mean_probability_of_each_label_is_its_prevalence_after_the_pos_weights_are_removed() -> None:
    from sklearn.metrics import roc_auc_score

    y_val, _, val = _weighted_network(800, seed=0)
    calibration = _calibration(y_val, val, "multilabel", POS_WEIGHTS)
    y, truth, test = _weighted_network(40000, seed=1)
    after = _recalibrated(calibration, test)
    np.testing.assert_allclose(after.mean(axis=0), PREVALENCES, atol=0.015)
    c, t = np.log(POS_WEIGHTS), np.array(calibration["temperature"])  # each bias fitted with its T
    assert np.all((np.minimum(-c, -c / t) <= calibration["bias"]) & (calibration["bias"] <= np.maximum(-c, -c / t)))
    assert calibration["temperature"] == pytest.approx([1.5] * 3, rel=0.2)  # one T per label (fitted with its bias)
    assert "pos_weight" in calibration["method"]
    t_alone = _calibration(y_val, val, "multilabel", None)["temperature"]
    temperature_only = apply_temperature(test, t_alone, "multilabel")
    assert np.abs(temperature_only.mean(axis=0) - PREVALENCES).max() > 0.05  # the rare labels inflated
    assert _nll(y, after) < _nll(y, temperature_only) - 0.02
    assert _nll(y, after) == pytest.approx(_nll(y, truth), abs=0.005)  # as good as the true probabilities
    for j in range(3):  # each label's map is increasing: its AUC (ranking) is unchanged
        assert roc_auc_score(y[:, j], after[:, j]) == pytest.approx(roc_auc_score(y[:, j], test[:, j]), abs=1e-12)


def test_thresholds_chosen_after_the_correction_keep_each_labels_validation_decisions() -> None:
    from meddx.evaluation.operating import choose_operating_point

    y_val, _, val = _weighted_network(800, seed=2)
    calibration = _calibration(y_val, val, "multilabel", POS_WEIGHTS)
    corrected = _recalibrated(calibration, val)
    names = ["a", "b", "c"]
    for rule in ("youden-empirical", "sensitivity>=0.9"):
        before = choose_operating_point(y_val, val, "multilabel", rule, label_names=names)
        after = choose_operating_point(y_val, corrected, "multilabel", rule, label_names=names)
        for j, name in enumerate(names):  # the same validation cases are called positive
            assert ((val[:, j] >= before["class_thresholds"][name])
                    == (corrected[:, j] >= after["class_thresholds"][name])).all(), (rule, name)
            assert after["val"][name] == before["val"][name]


def test_unit_or_missing_pos_weights_keep_the_temperature_alone() -> None:
    # a zero weight no longer does (it turned every label's correction off): test_multilabel_zero_pos_weight.py
    y, _, probs = _weighted_network(300, seed=3)
    for weights in (None, [1.0, 1.0, 1.0]):
        assert "bias" not in _calibration(y, probs, "multilabel", weights)


def test_a_pos_weight_list_of_the_wrong_length_is_named() -> None:
    from meddx.core.errors import ConfigError

    y, _, probs = _weighted_network(50, seed=4)
    with pytest.raises(ConfigError, match="one pos_weight per label"):
        _calibration(y, probs, "multilabel", [2.0, 3.0])
    with pytest.raises(ConfigError, match="one per label"):
        apply_temperature(probs, 1.0, "multilabel", bias=[0.1, 0.2])
    with pytest.raises(ConfigError, match="binary models only"):
        apply_temperature(probs, 1.0, "multilabel", bias=0.5)


def test_a_multilabel_bundle_adds_no_decision_weights() -> None:
    from meddx.evaluation.recalibration import decision_of

    calibration = {"temperature": 1.0, "bias": list(-np.log(POS_WEIGHTS))}
    assert decision_of(calibration, POS_WEIGHTS, "multilabel") == {}
    assert decision_of(calibration, POS_WEIGHTS, "multiclass") == {"class_weights": POS_WEIGHTS}
