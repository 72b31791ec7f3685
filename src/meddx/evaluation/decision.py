"""The multi-class decision of a class-weighted model: argmax of p_k·w_k on its recalibrated
probabilities.

A loss weighing class k by w_k is minimised by q_k ∝ w_k·P(k | x); ``evaluation.recalibration``
removes the weights so the probabilities p_k estimate P(k | x) again. Deciding by argmax p_k would
then be the plain Bayes rule: with inverse-frequency weights it gives up the balanced decisions the
model was trained for. On 3 Gaussian classes with priors .7/.2/.1 (20 seeds,
docs/evaluation-notes.md, "Class-weighted multi-class models") the Bayes rule lowered macro
sensitivity from .689 to .601 (the rarest class's from .72 to .37); argmax p_k·w_k keeps it at .689
and is exactly the argmax of the uncorrected probabilities, so a bundle's decisions are the ones it
made before its probabilities were corrected. Every multi-class label derived from such
probabilities goes through :func:`decided_class`.

Our own code: a two-line rule that no library names; it lives here so metrics, intervals,
comparisons, plots and the predictors share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class WeightedArgmax:
    """A multi-class bundle's decision rule when its loss was class-weighted: the predicted class
    is argmax of p_k·``weights[k]``; ``class_thresholds`` are the per-class one-vs-rest cut-offs
    some bundles report (``None``: none). Passed wherever a ``threshold`` argument is taken."""

    weights: tuple[float, ...]
    class_thresholds: tuple[float, ...] | None = None


def decision_weights(threshold: Any, k: int) -> np.ndarray | None:
    """The (k,) weights of a :class:`WeightedArgmax` ``threshold``; ``None`` for any other value."""
    if not isinstance(threshold, WeightedArgmax):
        return None
    from meddx.core.errors import ConfigError

    w = np.asarray(threshold.weights, dtype=np.float64)
    if w.shape != (k,) or not np.isfinite(w).all() or (w <= 0).any():
        raise ConfigError(f"decision weights must be {k} positive numbers (one per class); "
                          f"got {list(threshold.weights)}")
    return w


def plain_threshold(threshold: Any) -> Any:
    """The per-class thresholds of a :class:`WeightedArgmax` (or ``None``); any other value as is."""
    if isinstance(threshold, WeightedArgmax):
        return None if threshold.class_thresholds is None else list(threshold.class_thresholds)
    return threshold


# Relative gap below which two p_k·w_k are the same number: the recalibration's float rounding
# (log, divide by T, shift, softmax, times w) leaves classes tied in the network's output up to
# about 1.3e-14 apart (measured: K <= 30, T in [0.05, 20], weights e^±4), so np.argmax alone broke
# those ties by rounding noise (a uniform output decided the rarest class, not the first).
TIE_RTOL = 1e-12


def decided_class(p: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """(N,) predicted class of (N, K) multi-class probabilities: argmax p_k, or argmax p_k·w_k.

    With weights, classes within ``TIE_RTOL`` of the largest p_k·w_k count as tied and the first
    wins, as ``np.argmax`` breaks a tie in the network's own output: the decision is then that of
    the uncorrected probabilities on ties too, whatever the temperature."""
    if weights is None:
        return np.asarray(p).argmax(axis=1)
    q = np.asarray(p) * weights
    return (q >= q.max(axis=1, keepdims=True) * (1.0 - TIE_RTOL)).argmax(axis=1)


def weighted_words(decision: dict[str, Any]) -> str:
    """For a stored multi-class decision by argmax p_k·w_k: what it is, for cards and reports
    (starting "; "); else nothing."""
    weights = decision.get("class_weights")
    if not weights:
        return ""
    return ("; the class of largest p_k·w_k, w = the loss's class weights (" + ", ".join(f"{w:.3g}" for w in weights)
            + "): the decisions the model was trained for, since its probabilities have the weights removed")
