"""A class-weighted multi-class model decides by argmax p_k·w_k on its recalibrated probabilities,
documented as exactly the argmax of the uncorrected probabilities. Found by review: on classes tied
in the network's output (a uniform output, equal logits) the recalibration's float rounding broke
the tie: a uniform output under weights .5/.8/1.7/5 was decided the rarest class (the network's own
argmax: the first), and ``meddx cv`` pooled yet another class for the same row (it renormalised
p_k·w_k, merging near-equal products), so cv.json's pooled metrics did not count the labels
``oof_predictions.csv`` and ``meddx predict`` gave.

Known answer: the uncorrected argmax, ``np.argmax`` of the network's probabilities (first of tied).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from meddx.evaluation.calibration import apply_temperature
from meddx.evaluation.decision import WeightedArgmax, decided_class

WEIGHTS = np.array([0.5, 0.8, 1.7, 5.0])
TEMPERATURES = [0.05, 0.3, 0.7, 1.0, 1.3, 3.7, 20.0]


def _tied_network_output(seed: int, n: int = 3000) -> np.ndarray:
    """Softmax of float32 logits (as a network gives them, in float64): the first third with the
    top class tied to the next one exactly, the rest untied."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, len(WEIGHTS))).astype(np.float32).astype(np.float64)
    top = z[: n // 3].argmax(axis=1)
    z[np.arange(n // 3), (top + 1) % len(WEIGHTS)] = z[np.arange(n // 3), top]
    return softmax(z, axis=1)


def _recalibrated(raw: np.ndarray, temperature: float) -> np.ndarray:
    return apply_temperature(raw, temperature, "multiclass", bias=list(-np.log(WEIGHTS)))


@pytest.mark.parametrize("temperature", TEMPERATURES)
def test_weighted_decisions_are_the_uncorrected_argmax_on_ties_too(temperature: float) -> None:
    raw = _tied_network_output(seed=int(temperature * 100))
    decided = decided_class(_recalibrated(raw, temperature), WEIGHTS)
    np.testing.assert_array_equal(decided, raw.argmax(axis=1))


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_a_uniform_output_is_decided_as_the_network_decides_it(temperature: float) -> None:
    p = _recalibrated(np.full((3, len(WEIGHTS)), 1 / len(WEIGHTS)), temperature)
    assert p[0] == pytest.approx(1 / WEIGHTS / np.sum(1 / WEIGHTS))  # the probabilities are corrected
    assert decided_class(p, WEIGHTS).tolist() == [0, 0, 0]  # the decision is the network's (first of tied)


def test_weighted_decisions_still_follow_the_weights_off_ties() -> None:
    # P = .55/.40/.05 under weights 1/2/1: the second class (.80 > .55), not the most probable one
    assert decided_class(np.array([[0.55, 0.40, 0.05]]), np.array([1.0, 2.0, 1.0])).tolist() == [1]
    raw = _tied_network_output(seed=7)[1000:]  # untied rows: argmax p_k·w_k is the raw argmax as before
    np.testing.assert_array_equal(decided_class(_recalibrated(raw, 1.7), WEIGHTS), raw.argmax(axis=1))


def test_cv_pools_exactly_the_labels_each_weighted_fold_gave() -> None:
    from meddx.evaluation.cv import _deciding_scores
    from meddx.evaluation.intervals import metric_intervals

    p = np.concatenate([_recalibrated(_tied_network_output(seed=s, n=600), t) for s, t in enumerate(TEMPERATURES)])
    labels = decided_class(p, WEIGHTS)  # Predictor.decide, oof_predictions.csv's "predicted"
    scores = _deciding_scores(p, WEIGHTS)
    np.testing.assert_array_equal(scores.argmax(axis=1), labels)
    y = np.random.default_rng(0).integers(0, len(WEIGHTS), len(p))
    pooled = metric_intervals(y, scores, "multiclass", n_resamples=0)
    assert pooled["accuracy"]["estimate"] == pytest.approx(accuracy_score(y, labels))
    assert pooled["balanced_accuracy"]["estimate"] == pytest.approx(balanced_accuracy_score(y, labels))
    assert pooled["macro_f1"]["estimate"] == pytest.approx(f1_score(y, labels, average="macro"))
    assert _deciding_scores(p, None) is not None and np.array_equal(_deciding_scores(p, None), p)  # unweighted fold


def test_report_operating_points_use_the_same_decisions() -> None:
    from meddx.evaluation.metrics import classification_metrics
    from meddx.evaluation.report_plots import _op_points

    p = _recalibrated(_tied_network_output(seed=3, n=900), 0.7)
    y = np.random.default_rng(1).integers(0, len(WEIGHTS), len(p))
    names = ["a", "b", "c", "d"]
    m = classification_metrics(y, p, "multiclass", threshold=WeightedArgmax(tuple(WEIGHTS)), label_names=names)
    points = _op_points(m, "multiclass", np.eye(4, dtype=int)[y], p, [0, 1, 2, 3], names)
    for c, name in enumerate(names):
        pc = m["per_class"][name]
        assert points[c] == pytest.approx((1 - pc["specificity"], pc["sensitivity"], pc["ppv"]))
    truth_c = y == 0
    pred_c = _tied_network_output(seed=3, n=900).argmax(axis=1) == 0  # the network's own decisions
    assert m["per_class"]["a"]["sensitivity"] == pytest.approx((pred_c & truth_c).sum() / truth_c.sum())
