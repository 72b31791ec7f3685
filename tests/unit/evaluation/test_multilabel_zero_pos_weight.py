"""A multi-label label with ``pos_weight`` 0 no longer turns every label's shift removal off.

Found by a review: one zero among the per-label positive weights (a plan file's weight, or what the
plan computed for a label always positive in training: 0 negatives per positive) made
``label_weighted_loss`` false, so the bundle kept the temperature alone and every other label's
probabilities stayed inflated by its ``pos_weight``, and the zero-weight label's outputs dragged the
shared T (T 9.8 against 1.5; the .05-prevalence label's mean P .46 on test).
Now the zero-weight label alone is left unshifted and out of the temperature fit, and the bundle's
``calibration.method`` names it; the plan gives a label always (or never) positive a weight of 1.

Known answer: the design of test_multilabel_recalibration.py (prevalences .05/.2/.5, a network 1.5x
over-confident that reports a pos_weight-trained BCE's minimiser, odds w_j·odds), with label 1's
positives ignored by its loss (w = 0), so its output is pushed towards 0 whatever the case.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from meddx.evaluation.calibration import apply_temperature
from meddx.evaluation.recalibration import label_weighted_loss
from meddx.training.finish import _calibration

PREVALENCES = np.array([0.05, 0.2, 0.5])
WEIGHTS = [19.0, 0.0, 1.0]


def _network(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 3)) < PREVALENCES).astype(int)
    true_logit = logit(PREVALENCES) + 1.5 * (1.5 * y + rng.normal(size=(n, 3))) - 1.125
    shifted = true_logit + np.log([19.0, 1.0, 1.0])
    shifted[:, 1] -= 12.0  # positives ignored by the loss: the label's output driven towards 0
    return y, expit(1.5 * shifted)


def test_the_other_labels_keep_their_correction_when_one_pos_weight_is_zero() -> None:
    y_val, val = _network(800, seed=0)
    calibration = _calibration(y_val, val, "multilabel", WEIGHTS)
    t = calibration["temperature"]  # one per label; the zero-weight label is out of the fit: T = 1
    c = np.log(19.0)  # label 0's shift: its bias fitted with its T, between −c and −c / T
    assert -c <= calibration["bias"][0] <= -c / t[0] and calibration["bias"][1:] == [0.0, 0.0]
    assert t[2] == pytest.approx(1.5, rel=0.15) and t[1] == 1.0
    assert t[0] == pytest.approx(1.5, rel=0.2)  # fitted with its bias on 40 positives: a little looser
    assert calibration["not_fitted"] == ["1"]  # no names given: its position
    assert "position(s) 1 (from 0) had pos_weight 0" in calibration["method"]
    y, test = _network(40000, seed=1)
    after = apply_temperature(test, calibration["temperature"], "multilabel", bias=calibration["bias"])
    assert after[:, 0].mean() == pytest.approx(PREVALENCES[0], abs=0.015)  # .46 before
    assert after[:, 2].mean() == pytest.approx(PREVALENCES[2], abs=0.015)
    alone = apply_temperature(test[:, [1]], t[1], "multilabel")[:, 0]
    np.testing.assert_allclose(after[:, 1], alone, rtol=1e-12)  # left unshifted


def test_which_weights_turn_the_correction_on() -> None:
    from meddx.evaluation.recalibration import unshifted_labels

    assert label_weighted_loss([1.0, 0.0, 2.0]) and label_weighted_loss([0.0, 1.0])
    assert not label_weighted_loss([1.0, 1.0]) and not label_weighted_loss([0.0, 0.0]) and not label_weighted_loss(None)
    assert unshifted_labels([3.0, 0.0, 0.0]) == [1, 2] and unshifted_labels([3.0, 1.0]) == []


def test_all_weights_zero_keep_the_temperature_alone_and_no_label_is_shifted() -> None:
    y, val = _network(300, seed=2)
    calibration = _calibration(y, val, "multilabel", [0.0, 0.0, 0.0])
    assert "bias" not in calibration


def test_a_label_always_or_never_positive_in_training_gets_pos_weight_1() -> None:
    """The plan gave a label always positive 0 (its positives ignored; the calibration's shift
    undefined) and a label never positive the training split's size, which also turned the weights
    on for balanced labels (imbalance ratio = that size). Training refuses both labels
    (``check_classes_present``); the plan, a public verb, no longer writes such weights."""
    from meddx.data.synthetic import make_findings_source
    from meddx.training.config import TrainConfig
    from meddx.training.plan import make_plan

    source = make_findings_source("multilabel", n_train=60, n_val=20, n_test=20, size=16, seed=0)
    train = source.splits["train"].labels
    train[:, 0] = np.arange(len(train)) % 2  # balanced
    train[:, 1] = 1
    plan = make_plan(TrainConfig(data="x", class_weights=True), source)
    assert plan.class_weights == pytest.approx([1.0, 1.0])
    train[:, 1] = 0
    assert make_plan(TrainConfig(data="x"), source).class_weights is None  # balanced: no weights
    train[:, 0] = (np.arange(len(train)) % 5 == 0)  # 12 of 60 positive: 4 negatives per positive
    assert make_plan(TrainConfig(data="x"), source).class_weights == pytest.approx([4.0, 1.0])
