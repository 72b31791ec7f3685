"""Temperature fits on a separable validation split: Platt's (1999) smoothed targets keep T finite.

Found by a docs walk: on a separable validation split the NLL against the 0/1 labels falls as T -> 0,
so every temperature fit returned its lower bound 0.05 and a table bundle gave 93 of 129 test
probabilities of exactly 0 or 1. The designs below have a known answer: the probabilities are built
so that one T meets every smoothed target exactly, which is then the minimum of the smoothed NLL.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, log_softmax, softmax

from meddx.evaluation.calibration import T_BOUNDS, apply_temperature, fit_temperature
from meddx.evaluation.recalibration import fit_temperature_after_class_shift, fit_temperature_after_shift

OLD_METHOD = "temperature scaling (Guo et al. 2017), validation negative log-likelihood"


def _binary(margins: np.ndarray) -> np.ndarray:
    """(N, 2) probabilities whose log-odds are ``margins``, each computed as a float64 softmax does (the
    smaller probability kept far beyond the margin where the larger rounds to 1)."""
    return np.stack([expit(-margins), expit(margins)], axis=1)


def _separable_binary(t_star: float, n_pos: int = 5, n_neg: int = 15, bias: float = 0.0):
    """Separable labels and probabilities whose smoothed-target NLL is minimised at exactly ``t_star``:
    sigmoid(d / T + bias) equals (N+ + 1)/(N+ + 2) on every positive and 1/(N- + 2) on every negative."""
    d_pos = t_star * (np.log(n_pos + 1) - bias)
    d_neg = t_star * (-np.log(n_neg + 1) - bias)
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    return y, _binary(np.r_[np.full(n_pos, d_pos), np.full(n_neg, d_neg)])


def test_binary_separable_split_has_platts_known_temperature() -> None:
    from meddx.evaluation.calibration import temperature_fit
    from meddx.evaluation.temperature_targets import smoothed_targets

    y, probs = _separable_binary(0.7)
    assert ((probs[:, 1] > 0.5) == y).all()  # separable: the 0/1 fit ran to the bound 0.05
    assert fit_temperature(y, probs, "binary") == pytest.approx(0.7, rel=1e-4)
    assert temperature_fit(y, probs, "binary") == (pytest.approx(0.7, rel=1e-4), True)
    targets = smoothed_targets(y, "binary", 2)[:, 1]
    np.testing.assert_allclose(targets, np.r_[np.full(5, 6 / 7), np.full(15, 1 / 17)])


def test_multiclass_separable_split_has_the_laplace_known_temperature() -> None:
    counts, t_star = (4, 6, 10), 0.5
    rows, y = [], []
    for k, n in enumerate(counts):  # own class a, the two others b, with log(a / b) = T* log(n_k + 1)
        ratio = (n + 1) ** t_star
        row = np.full(3, 1.0 / (ratio + 2))
        row[k] = ratio / (ratio + 2)
        rows += [row] * n
        y += [k] * n
    probs, y = np.array(rows), np.array(y)
    assert fit_temperature(y, probs, "multiclass") == pytest.approx(t_star, rel=1e-4)
    scaled = apply_temperature(probs, t_star, "multiclass")  # its own class: (n_k + 1) / (n_k + 3)
    np.testing.assert_allclose(scaled[np.arange(len(y)), y], [(counts[k] + 1) / (counts[k] + 3) for k in y])


def test_multilabel_separable_labels_have_platts_known_temperature() -> None:
    t_star, y = 2.0, np.array([[1, 0]] * 3 + [[0, 1]] * 5 + [[0, 0]] * 4)  # label 0: 3 of 12; label 1: 5 of 12
    pos, neg = y.sum(axis=0), len(y) - y.sum(axis=0)
    margins = np.where(y == 1, t_star * np.log(pos + 1), -t_star * np.log(neg + 1))
    assert fit_temperature(y, expit(margins), "multilabel") == pytest.approx(t_star, rel=1e-4)


def test_binary_after_the_weights_shift_separable_split_has_a_known_temperature() -> None:
    from meddx.evaluation.recalibration import shifted_temperature_fit

    weights = (1.0, 3.0)  # bias = -log 3
    y, probs = _separable_binary(0.7, bias=-np.log(3.0))
    assert ((probs[:, 1] > 0.5) == y).all()
    t, bias = fit_temperature_after_shift(y, probs, weights)
    assert bias == pytest.approx(-np.log(3.0)) and t == pytest.approx(0.7, rel=1e-4)
    assert shifted_temperature_fit(y, probs, weights)[2] is True


def _smoothed_grid_minimum(y: np.ndarray, probs: np.ndarray, bias: np.ndarray) -> float:
    """The smoothed NLL's minimum over a fine grid of T, written out independently of the fit."""
    k = probs.shape[1]
    n = np.bincount(y, minlength=k)[y]
    q = (1.0 + n[:, None] * np.eye(k)[y]) / (n[:, None] + k)
    grid = np.exp(np.linspace(np.log(T_BOUNDS[0]), np.log(T_BOUNDS[1]), 20001))
    losses = [-np.mean(np.sum(q * log_softmax(np.log(probs) / t + bias, axis=1), axis=1)) for t in grid]
    return float(grid[int(np.argmin(losses))])


def test_multiclass_after_the_class_shift_on_a_separable_split() -> None:
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], [20, 8, 4])
    logits = 6.0 * np.eye(3)[y] + rng.normal(0, 0.5, (len(y), 3))  # every argmax right
    probs, weights = softmax(logits, axis=1), np.array([1.0, 2.5, 5.0])
    assert (probs.argmax(axis=1) == y).all()
    t, bias = fit_temperature_after_class_shift(y, probs, weights)
    assert t > 10 * T_BOUNDS[0]
    assert t == pytest.approx(_smoothed_grid_minimum(y, probs, -np.log(weights)), rel=2e-3)


def _gaussian(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two unit Gaussians 4.07 apart (AUC .998), prevalence .3, seen by a network 3x over-confident."""
    y = (rng.random(n) < 0.3).astype(int)
    x = rng.standard_normal(n) + np.where(y == 1, 2.035, -2.035)
    return y, _binary(3.0 * (4.07 * x + np.log(0.3 / 0.7)))


def test_separable_validation_gives_no_test_probability_of_exactly_zero_or_one() -> None:
    y_val, p_val = _gaussian(np.random.default_rng(0), 40)
    assert ((p_val[:, 1] > 0.5) == y_val).all()  # this draw is separable
    t = fit_temperature(y_val, p_val, "binary")
    assert t > 1.0  # the 0/1 fit: 0.05, the most over-confident T allowed; the truth: 3
    y_test, p_test = _gaussian(np.random.default_rng(1), 20000)
    scaled = apply_temperature(p_test, t, "binary")
    assert not ((scaled == 0.0) | (scaled == 1.0)).any()
    at_bound = apply_temperature(p_test, T_BOUNDS[0], "binary")
    nll = [-np.mean(np.log(np.maximum(p[np.arange(len(y_test)), y_test], 1e-300))) for p in (scaled, at_bound)]
    assert nll[0] < nll[1] / 3


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_non_separable_fits_are_the_plain_likelihoods_as_before(task: str) -> None:
    from meddx.evaluation.calibration import temperature_fit

    rng = np.random.default_rng(5)
    k = 2 if task == "binary" else 3
    y = rng.integers(0, k, 400)
    logits = 2.0 * (1.5 * np.eye(k)[y] + rng.standard_normal((400, k)))  # over-confident, many errors
    probs = softmax(logits, axis=1)
    grid = np.exp(np.linspace(np.log(0.5), np.log(8.0), 20001))
    losses = [-np.mean(log_softmax(np.log(probs) / t, axis=1)[np.arange(400), y]) for t in grid]
    t, smoothed = temperature_fit(y, probs, task)
    assert smoothed is False and t == pytest.approx(grid[int(np.argmin(losses))], rel=1e-3)


def test_bundle_method_says_which_targets_were_used() -> None:
    from meddx.training.finish import _calibration

    y, probs = _separable_binary(0.7)
    separable = _calibration(y, probs, "binary", None)
    assert separable["temperature"] == pytest.approx(0.7, rel=1e-4)
    assert separable["method"].startswith(OLD_METHOD + " against Platt's (1999) smoothed targets")
    flipped = y.copy()
    flipped[0] = 0  # one positive scored as a negative: no longer separable
    assert _calibration(flipped, probs, "binary", None)["method"] == OLD_METHOD
    weighted = _calibration(*_separable_binary(0.7, bias=-np.log(3.0)), "binary", [1.0, 3.0])
    assert "Platt" in weighted["method"] and weighted["temperature"] == pytest.approx(0.7, rel=1e-4)
