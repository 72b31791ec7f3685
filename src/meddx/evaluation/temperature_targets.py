"""The targets and the optimiser every temperature fit shares; Platt's (1999) smoothed targets.

Why: when a validation split is separable (every case's true class scored above every other, common
with 30-150 validation cases or a val AUC of ~.998), the negative log-likelihood against the 0/1
labels falls monotonically as T -> 0, so its "minimum" is the lower bound of T: the calibrated model
is the most over-confident one on offer (a table bundle gave 93 of 129 test probabilities of exactly
0 or 1). The data then say nothing about T beyond "small". For that case Platt (1999) fits against
the out-of-sample probability of a label instead: by Laplace's rule of succession, a new case like
the N+ positives is positive with probability (N+ + 1)/(N+ + 2), and like the N- negatives with
1/(N- + 2). Targets strictly inside (0, 1) make the likelihood rise again as T -> 0, so the minimum
is finite. scikit-learn's sigmoid calibration (``CalibratedClassifierCV``) uses the same targets, but
fits a slope and an intercept on an estimator, not one temperature on stored probabilities, hence
this small module.

- binary: Platt's targets, on P(positive);
- multi-class (K classes, n_k cases of class k): the case's own class gets (n_k + 1)/(n_k + K),
  every other class 1/(n_k + K): the rule of succession with a uniform Dirichlet prior, which is
  Platt's for K = 2, and sums to 1;
- multi-label: Platt's targets per label (that label's own positives and negatives).

The smoothed targets are used only on a separable split (or if the 0/1 fit sits on the lower bound
anyway): everywhere else the likelihood has its own minimum and T is exactly what it was. Measured on a
known distribution (benchmarks/separable_temperature.py; docs/evaluation-notes.md, "Separable validation
splits": two Gaussian classes, AUC .998, a network 3x over-confident, 100 000 test cases, 20 draws):
smoothing every fit moved T from 2.79 to 3.90 (the truth: 3) on 524 non-separable validation cases,
doubling the test ECE (.0032 -> .0078), because targets 1/(N + 2) away from 0/1 bias T upwards when most
true probabilities are nearer 0/1 than that; smoothing only the separable splits cut the test log-loss
from .302 to .057 on 100 validation cases (4 of 20 separable; probabilities of exactly 0 or 1: 10.9 %
-> 0.2 %) and left every other fit unchanged.

Known limit (review): the switch is all or nothing, so one error by a log-odds margin of 1e-5 among
1 000 cases right by 1 gives T = 0.052 (0/1 fit) and one by 1e-6 gives 0.161 (smoothed). Platt's targets
always, Firth's penalised likelihood (always, only on the splits smoothed here, or only on the others)
and a Jeffreys-posterior median were measured against it (``benchmarks/separable_temperature.py
--arms``, docs/evaluation-notes.md "A known knife-edge"); none was no worse at every validation size, so
the switch stays. Firth fails on separable splits with a few cases near the boundary: with one parameter
its penalty is set by those cases' margins (T = 0.40 on a 300-case split whose right T is 3).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_expit, log_softmax

T_BOUNDS: tuple[float, float] = (0.05, 20.0)
# What a bundle's calibration ``method`` adds when the smoothed targets were used (nothing otherwise,
# as before them).
SMOOTHED_WORDS = (" against Platt's (1999) smoothed targets (a case of a class with n cases: (n + 1)/(n + K) on its "
                  "class, 1/(n + K) on each other; per label for multi-label), the validation split being separable, "
                  "or so nearly that against its 0/1 labels T ran to its lower bound anyway (as it would on a "
                  "separable one)")


def smoothed_targets(y: np.ndarray, task: str, k: int) -> np.ndarray:
    """Platt's smoothed targets: (N, k) rows summing to 1 for binary/multi-class labels ``y`` (N,);
    per (sample, label) probabilities for a multi-label 0/1 ``y`` (N, L)."""
    y = np.asarray(y)
    if task == "multilabel":
        pos = y.sum(axis=0).astype(np.float64)
        neg = y.shape[0] - pos
        return np.where(y == 1, (pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0))
    n = np.bincount(y, minlength=k).astype(np.float64)[y]  # cases of each row's own class
    targets = np.repeat((1.0 / (n + k))[:, None], k, axis=1)
    targets[np.arange(y.shape[0]), y] = (n + 1.0) / (n + k)
    return targets


def soft_nll(targets: np.ndarray, z: np.ndarray, task: str) -> float:
    """Mean cross-entropy of the rescaled scores ``z`` against soft ``targets``: per row over the
    classes (softmax), or mean binary cross-entropy over all (sample, label) pairs (multi-label)."""
    if task == "multilabel":
        return float(-np.mean(targets * log_expit(z) + (1.0 - targets) * log_expit(-z)))
    return float(-np.mean(np.sum(targets * log_softmax(z, axis=1), axis=1)))


def minimise_over_temperature(loss: Callable[[float], float]) -> float:
    """T in ``T_BOUNDS`` minimising ``loss(T)``: bounded 1-D search on log T (scipy)."""
    res = minimize_scalar(lambda log_t: loss(float(np.exp(log_t))), bounds=tuple(np.log(T_BOUNDS)),
                          method="bounded", options={"xatol": 1e-6})
    return float(np.clip(np.exp(res.x), *T_BOUNDS))


def separable(scores: np.ndarray, y: np.ndarray, task: str) -> bool:
    """Whether the likelihood against the 0/1 labels improves without limit as T -> 0: every case's
    true class scored strictly above every other (``scores`` (N, K)), or for multi-label every
    (sample, label) logit strictly on its label's side. Checked directly, not from where the 0/1 fit
    stopped: with saturated scores that likelihood underflows to exactly 0 above the bound."""
    if task == "multilabel":
        return bool(np.all(np.where(np.asarray(y) == 1, scores > 0, scores < 0)))
    rows = np.arange(scores.shape[0])
    others = scores.copy()
    others[rows, y] = -np.inf
    return bool(np.all(scores[rows, y] > others.max(axis=1)))


def fit_with_smoothing(loss: Callable[[np.ndarray, float], float], y: np.ndarray, task: str,
                       scores: np.ndarray) -> tuple[float, bool]:
    """(T, smoothed): T minimising ``loss(targets, T)`` against the 0/1 labels ``y``; when the split
    is ``separable`` by ``scores`` (or that fit sits on T's lower bound anyway), T against Platt's
    smoothed targets instead, and ``smoothed`` True."""
    k = scores.shape[1]
    if not separable(scores, y, task):
        hard = np.asarray(y, dtype=np.float64) if task == "multilabel" else np.eye(k)[np.asarray(y)]
        t = minimise_over_temperature(lambda temperature: loss(hard, temperature))
        if t > T_BOUNDS[0] * 1.001:
            return t, False
    soft = smoothed_targets(y, task, k)
    return minimise_over_temperature(lambda temperature: loss(soft, temperature)), True
