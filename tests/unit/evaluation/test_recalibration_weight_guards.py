"""A negative or NaN loss weight turns the shift removal off (the temperature alone), as before 7c1470c.

Found by a review of 7c1470c: ``label_weighted_loss`` went from "every pos_weight > 0" to "the largest
> 0", so a negative weight (the tabular and series plans accept one from a ``--plan`` file) switched
the correction on and the fit left that label unshifted and out of the temperature fit (``w > 0``)
without ``calibration.method`` naming it (it names zeros only); a NaN after the first weight did the
same (``max`` skips a NaN that is not first), a NaN first did not. Multi-class weights holding a NaN,
and binary ones with a NaN second (``min`` skips it), stored a NaN bias. Such a weight has no shift
to remove: the temperature alone, whatever its place.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from meddx.evaluation.recalibration import class_weighted_loss, label_weighted_loss, weighted_loss
from meddx.training.finish import _calibration

NAN = math.nan


def _multilabel(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 3)) < [0.1, 0.3, 0.5]).astype(int)
    return y, expit(1.5 * (2.0 * y - 1.0 + rng.normal(size=(n, 3))))


def test_a_negative_or_nan_pos_weight_keeps_the_temperature_alone_wherever_it_sits() -> None:
    y, probs = _multilabel()
    for weights in ([-1.0, 9.0, 1.0], [9.0, NAN, 1.0], [NAN, 9.0, 1.0], [9.0, 2.0, math.inf]):
        assert not label_weighted_loss(weights), weights
        assert "bias" not in _calibration(y, probs, "multilabel", weights), weights
    assert label_weighted_loss([9.0, 0.0, 1.0])  # a zero: that label alone is left unshifted, and named


def test_a_nan_or_negative_class_weight_keeps_the_temperature_alone() -> None:
    rng = np.random.default_rng(1)
    y = rng.choice(3, 300, p=[0.6, 0.3, 0.1])
    probs = np.eye(3)[y] * 0.5 + rng.dirichlet(np.ones(3), 300) * 0.5
    for weights in ([1.0, NAN, 2.0], [1.0, -1.0, 2.0], [NAN, 1.0, 2.0]):
        assert not class_weighted_loss(weights), weights
        calibration = _calibration(y, probs, "multiclass", weights)
        assert "bias" not in calibration and math.isfinite(calibration["temperature"]), weights


def test_a_nan_binary_weight_keeps_the_temperature_alone() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(300) < 0.3).astype(int)
    p1 = expit(1.5 * (2.0 * y - 1.0 + rng.normal(size=300)))
    probs = np.stack([1.0 - p1, p1], axis=1)
    for weights in ([1.0, NAN], [NAN, 1.0], [1.0, -2.0], [1.0, math.inf]):
        assert not weighted_loss(weights), weights
        assert "bias" not in _calibration(y, probs, "binary", weights), weights
    assert weighted_loss([1.0, 3.0])
