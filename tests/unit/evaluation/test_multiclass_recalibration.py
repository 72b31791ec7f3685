"""Multi-class models trained with a class-weighted loss: the weights' shifts are removed before the
temperature is fitted, so each class's probabilities mean what they say, while the decisions stay
argmax p_k·w_k (the ones the model was trained for) everywhere a label is derived.

Known answer: 3 Gaussian classes with priors .7/.2/.1. A cross-entropy weighted by w_k is
minimised by q_k ∝ w_k·P(k | x); the "network" below reports exactly that, 1.5x over-confident.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax, softmax

from meddx.evaluation.calibration import apply_temperature
from meddx.training.finish import _calibration

PRIORS = np.array([0.7, 0.2, 0.1])
MEANS = np.array([[0.0, 0.0], [1.5, 0.5], [0.5, 1.8]])
WEIGHTS = [float(w) for w in 1 / (3 * PRIORS)]  # inverse class frequency, as the plan sets them


def _weighted_network(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, the true posteriors P(k | x), and a weighted-loss network's over-confident output."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=PRIORS)
    x = MEANS[y] + rng.normal(size=(n, 2))
    log_post = log_softmax(np.log(PRIORS) - 0.5 * ((x[:, None, :] - MEANS[None]) ** 2).sum(-1), axis=1)
    return y, np.exp(log_post), softmax(1.5 * (log_post + np.log(WEIGHTS)), axis=1)


def _nll(y: np.ndarray, p: np.ndarray) -> float:
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def _recalibrated(calibration: dict, probs: np.ndarray) -> np.ndarray:
    return apply_temperature(probs, calibration["temperature"], "multiclass", bias=calibration.get("bias", 0.0))


def test_the_mean_probability_of_each_class_is_its_prior_after_the_weights_are_removed() -> None:
    y_val, _, val = _weighted_network(600, seed=0)
    calibration = _calibration(y_val, val, "multiclass", WEIGHTS)
    y, truth, test = _weighted_network(40000, seed=1)
    after = _recalibrated(calibration, test)
    np.testing.assert_allclose(after.mean(axis=0), PRIORS, atol=0.02)  # T alone: off by .20/.08/.12
    assert calibration["bias"] == pytest.approx(list(-np.log(WEIGHTS)))
    assert calibration["temperature"] == pytest.approx(1.5, rel=0.15)
    t_alone = _calibration(y_val, val, "multiclass", None)["temperature"]
    temperature_only = apply_temperature(test, t_alone, "multiclass")
    assert np.abs(temperature_only.mean(axis=0) - PRIORS).max() > 0.1
    assert _nll(y, after) < _nll(y, temperature_only) - 0.1
    assert _nll(y, after) == pytest.approx(_nll(y, truth), abs=0.01)  # as good as the true posteriors


def test_equal_or_missing_weights_and_other_tasks_keep_the_temperature_alone() -> None:
    # a zero weight no longer does (it turned every class's correction off): test_multiclass_zero_class_weight.py
    y, _, probs = _weighted_network(300, seed=2)
    for weights in (None, [1.0, 1.0, 1.0]):
        assert "bias" not in _calibration(y, probs, "multiclass", weights)


def test_a_weighted_decision_is_the_decision_of_the_uncorrected_probabilities() -> None:
    from meddx.evaluation.compare import correctness
    from meddx.evaluation.decision import WeightedArgmax
    from meddx.evaluation.intervals import metric_intervals
    from meddx.evaluation.metrics import classification_metrics

    y, _, raw = _weighted_network(2000, seed=3)
    corrected = apply_temperature(raw, 1.5, "multiclass", bias=list(-np.log(WEIGHTS)))  # = P(k | x)
    rule = WeightedArgmax(tuple(WEIGHTS))
    before = classification_metrics(y, raw, "multiclass")
    after = classification_metrics(y, corrected, "multiclass", threshold=rule)
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "confusion_matrix"):
        assert after[key] == before[key], key
    assert after["decision_weights"] == pytest.approx(WEIGHTS) and "decision_weights" not in before
    bayes = classification_metrics(y, corrected, "multiclass")  # what argmax of the corrected probabilities gives
    assert bayes["balanced_accuracy"] < after["balanced_accuracy"] - 0.03
    ci = metric_intervals(y, corrected, "multiclass", threshold=rule, n_resamples=0)
    assert ci["balanced_accuracy"]["estimate"] == pytest.approx(before["balanced_accuracy"])
    assert (correctness(y, corrected, "multiclass", rule) == (raw.argmax(axis=1) == y)).all()
    with_thresholds = WeightedArgmax(tuple(WEIGHTS), (0.5, 0.2, 0.1))
    per_class = classification_metrics(y, corrected, "multiclass", threshold=with_thresholds)
    assert per_class["threshold"] == [0.5, 0.2, 0.1] and per_class["accuracy"] == before["accuracy"]


def test_a_weighted_decision_is_refused_where_it_does_not_apply() -> None:
    from meddx.core.errors import ConfigError
    from meddx.evaluation.decision import WeightedArgmax
    from meddx.evaluation.metrics import classification_metrics

    y, _, raw = _weighted_network(50, seed=4)
    with pytest.raises(ConfigError, match="multi-class models only"):
        classification_metrics((y > 0).astype(int), raw[:, :2] / raw[:, :2].sum(1, keepdims=True), "binary",
                               threshold=WeightedArgmax((1.0, 2.0)))
    with pytest.raises(ConfigError, match="3 positive numbers"):
        classification_metrics(y, raw, "multiclass", threshold=WeightedArgmax((1.0, -2.0, 1.0)))
    with pytest.raises(ConfigError, match="one per class"):
        apply_temperature(raw, 1.0, "multiclass", bias=[0.1, 0.2])
    with pytest.raises(ConfigError, match="one per class"):
        apply_temperature(raw[:, :2] / raw[:, :2].sum(1, keepdims=True), 1.0, "binary", bias=[0.1, 0.2])
