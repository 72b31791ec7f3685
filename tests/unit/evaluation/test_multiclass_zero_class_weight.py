"""A multi-class class weight of 0 no longer turns every class's shift removal off.

Found by a review (the multi-class twin of the multi-label fix in test_multilabel_zero_pos_weight.py):
one zero among a plan's class weights (a ``--plan`` file's ``class_weights: [w0, 0, w2]``, "ignore
this class") made ``class_weighted_loss`` false, so the bundle kept the temperature alone: the other
classes' probabilities stayed inflated by their weights, and the ignored class's outputs dragged the
temperature (T 17.9 against 1.5; the .1-prior class's mean P .41). Now that class alone is left
unshifted and out of the temperature fit, and its decision weight is 1 (it was left unshifted), so the
decisions stay the network's own argmax and the bundle's stored weights stay positive.

Known answer: the design of test_multiclass_recalibration.py (3 Gaussian classes, priors .7/.2/.1, a
network 1.5x over-confident reporting the weighted loss's minimiser q_k ∝ w_k·P(k | x)), with class 1's
weight 0: that loss is minimised by q_1 = 0, so its output is pushed down whatever the case, and the
other classes' corrected probabilities estimate P(k | x, not class 1).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax, softmax

from meddx.evaluation.calibration import apply_temperature
from meddx.evaluation.decision import decided_class
from meddx.evaluation.recalibration import class_weighted_loss, decision_of
from meddx.training.finish import _calibration

PRIORS = np.array([0.7, 0.2, 0.1])
MEANS = np.array([[0.0, 0.0], [1.5, 0.5], [0.5, 1.8]])
WEIGHTS = [1 / (3 * 0.7), 0.0, 1 / (3 * 0.1)]


def _network(n: int, seed: int, pushed_down: float = 12.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, true posteriors, and the output of a network trained with class 1's weight 0 (its
    log-probability ``pushed_down`` below the rest), 1.5x over-confident."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=PRIORS)
    x = MEANS[y] + rng.normal(size=(n, 2))
    log_post = log_softmax(np.log(PRIORS) - 0.5 * ((x[:, None, :] - MEANS[None]) ** 2).sum(-1), axis=1)
    shifted = log_post + np.log([WEIGHTS[0], 1.0, WEIGHTS[2]])
    shifted[:, 1] -= pushed_down
    return y, np.exp(log_post), softmax(1.5 * shifted, axis=1)


def _kept_nll(y: np.ndarray, p: np.ndarray) -> float:
    """Log-loss of classes 0 and 2 on the cases of those classes, renormalised over them."""
    rows = y != 1
    q = p[rows][:, [0, 2]] / p[rows][:, [0, 2]].sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(q[np.arange(rows.sum()), (y[rows] == 2).astype(int)])))


def test_the_other_classes_keep_their_correction_when_one_class_weight_is_zero() -> None:
    y_val, _, val = _network(3000, seed=3)
    calibration = _calibration(y_val, val, "multiclass", WEIGHTS)
    assert calibration["bias"] == pytest.approx([-np.log(WEIGHTS[0]), 0.0, -np.log(WEIGHTS[2])])
    assert calibration["temperature"] == pytest.approx(1.5, rel=0.15)  # the ignored class is out of the fit
    y, truth, test = _network(40000, seed=1)
    after = apply_temperature(test, calibration["temperature"], "multiclass", bias=calibration["bias"])
    assert _kept_nll(y, after) == pytest.approx(_kept_nll(y, truth), abs=0.02)  # .625 with T alone
    rows = y != 1
    share = (after[rows, 2] / (after[rows, 0] + after[rows, 2])).mean()
    assert share == pytest.approx(PRIORS[2] / (PRIORS[0] + PRIORS[2]), abs=0.015)  # P(2 | not 1): .47 with T alone


def test_decisions_stay_the_networks_own_argmax_and_the_stored_weights_positive() -> None:
    from meddx.bundle.bundle import _check_class_weighting

    y, _, probs = _network(2000, seed=4, pushed_down=1.0)  # class 1 not fully suppressed: sometimes first
    own = probs.argmax(axis=1)
    assert (own == 1).sum() > 20
    calibration = _calibration(y, probs, "multiclass", WEIGHTS)
    decision = decision_of(calibration, WEIGHTS, "multiclass")
    assert decision["class_weights"] == pytest.approx([WEIGHTS[0], 1.0, WEIGHTS[2]])
    after = apply_temperature(probs, calibration["temperature"], "multiclass", bias=calibration["bias"])
    np.testing.assert_array_equal(decided_class(after, np.asarray(decision["class_weights"])), own)

    def bad(field: str, expected: str, found: object) -> AssertionError:
        return AssertionError(f"{field}: {expected}, found {found}")

    _check_class_weighting({"task": "multiclass", "calibration": calibration, "decision": decision}, 3, bad)


def test_which_weights_turn_the_correction_on() -> None:
    from meddx.evaluation.recalibration import unshifted_class_words

    assert class_weighted_loss([1.0, 0.0, 2.0]) and class_weighted_loss([1.0, 0.0, 1.0])
    for weights in (None, [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, -1.0, 2.0], [1.0, 2.0]):
        assert not class_weighted_loss(weights)
    assert "position(s) 1 (from 0) had class weight 0" in unshifted_class_words([1.0, 0.0, 2.0])
    assert unshifted_class_words([1.0, 3.0, 2.0]) == ""


def test_a_single_class_left_gives_the_temperature_1_and_its_shift() -> None:
    y, _, probs = _network(300, seed=5)
    calibration = _calibration(y, probs, "multiclass", [0.0, 0.0, 3.0])
    assert calibration["temperature"] == 1.0
    assert calibration["bias"] == pytest.approx([0.0, 0.0, -np.log(3.0)])


def test_the_bundle_names_the_class_left_out() -> None:
    """The run's calibration record (``training.finish._calibration``) says which class had weight 0."""
    from meddx.training.finish import _calibration

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3)) + 2.0 * np.eye(3)[y]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    method = _calibration(y, probs, "multiclass", [2.0, 0.0, 3.0])["method"]
    assert "class(es) at position(s) 1 (from 0) had class weight 0" in method
    assert "had class weight 0" not in _calibration(y, probs, "multiclass", [2.0, 1.0, 3.0])["method"]
