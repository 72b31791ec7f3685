"""Calibration: do the predicted probabilities mean what they say?

A model with AUC 0.95 can still report "90 % risk" for cases that are positive half the time;
clinicians read the probability, so it has to be checked (reliability bins, ECE/MCE, Brier)
and, where needed, corrected on validation data (temperature scaling, Guo et al. 2017).

Conventions are those of :mod:`meddx.evaluation.metrics`: ``probs`` is (N, K), softmax for
binary (K=2, column 1 = positive; (N,) P(positive) accepted) and multiclass, per-label sigmoid
for multilabel. What the calibration metrics are computed on (see ``calibration_targets``):

- binary: P(positive) against y, the risk a clinician reads;
- multiclass: top-label confidence against "argmax is correct" (Guo et al. 2017);
- multilabel: every (sample, label) probability against its 0/1 outcome, pooled.

scikit-learn provides ``brier_score_loss`` and ``calibration_curve`` (used here and in the
tests as cross-checks); it has no ECE, MCE, adaptive (equal-count) ECE or temperature scaling,
so those are implemented here with numpy/scipy.

Bundles store probabilities (averaged over test-time flips), never logits, so temperature
scaling works on log-probabilities: ``softmax(log p / T)`` for binary/multiclass (``log p``
equals the logits up to a per-row constant, which softmax ignores) and
``sigmoid(logit(p) / T)`` per label for multilabel, with only exact 0s (and per label 1s)
moved to the nearest representable value before the logs (``_scores``). On a separable
validation split T is fitted against Platt's smoothed targets, which keeps it finite
(:mod:`meddx.evaluation.temperature_targets`).

Everything returned is JSON-serialisable (plain floats, ints, lists, dicts).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from scipy.special import expit, logit, softmax
from sklearn.metrics import brier_score_loss

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.metrics import TASKS, _validate
from meddx.evaluation.temperature_targets import T_BOUNDS  # noqa: F401  (re-exported: read from here before)
from meddx.evaluation.temperature_targets import fit_with_smoothing, soft_nll

STRATEGIES: tuple[str, ...] = ("uniform", "quantile")
TARGETS: dict[str, str] = {
    "binary": "positive-class probability",
    "multiclass": "top-label confidence",
    "multilabel": "per-label probability (pooled)",
}
TINY = np.finfo(np.float64).tiny


# --------------------------------------------------------------------------- validation


def _check_n_bins(n_bins: int) -> int:
    """``n_bins`` must be a positive integer (bools rejected: ``True`` is not a bin count)."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ConfigError(f"n_bins must be an integer >= 1; got {n_bins!r}")
    return int(n_bins)


def _check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ConfigError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}")
    return strategy


def _check_temperature(temperature: float) -> float:
    try:
        t = float(temperature)
    except (TypeError, ValueError):
        t = math.nan
    if not math.isfinite(t) or t <= 0.0:
        raise ConfigError(f"temperature must be a finite number > 0; got {temperature!r}")
    return t


def _check_pairs(confidence: Any, outcome: Any) -> tuple[np.ndarray, np.ndarray]:
    """Flat float confidences in [0, 1] and 0/1 outcomes of the same, non-zero length."""
    c = np.asarray(confidence, dtype=float).reshape(-1)
    o = np.asarray(outcome).reshape(-1)
    if c.size == 0 or c.shape != o.shape:
        raise DataError(
            "confidence and outcome must be non-empty and of the same length; "
            f"got shapes {np.shape(confidence)} and {np.shape(outcome)}"
        )
    if not np.isfinite(c).all() or c.min() < 0.0 or c.max() > 1.0:
        raise DataError("confidence must hold finite probabilities in [0, 1]; found values outside")
    if not np.isin(o, (0, 1)).all():
        raise DataError(f"outcome must be 0/1; found values {sorted(set(np.unique(o).tolist()) - {0, 1})}")
    return c, o.astype(float)


def _validate_probs(probs: Any, task: str) -> np.ndarray:
    """(N, K) float probabilities, checked by ``metrics._validate`` with placeholder labels
    (only ``probs`` is known when applying a temperature)."""
    if task not in TASKS:
        raise ConfigError(f"task must be one of {', '.join(TASKS)}; got {task!r}")
    shape = np.shape(probs)
    if task == "multilabel":
        dummy = np.zeros(shape, dtype=int)
    else:
        dummy = np.zeros(shape[:1], dtype=int)
    return _validate(dummy, probs, task)[1]


# --------------------------------------------------------------------------- targets and bins


def calibration_targets(y_true: Any, probs: Any, task: str) -> tuple[np.ndarray, np.ndarray]:
    """``(confidence, outcome)`` pairs the calibration metrics are computed on.

    binary: P(positive) vs y (the clinically read risk);
    multiclass: top-label confidence vs (argmax == y) (Guo et al. 2017);
    multilabel: every (sample, label) P vs its 0/1 outcome, pooled.
    Both arrays are 1-D floats of the same length.
    """
    y, p = _validate(y_true, probs, task)
    if task == "binary":
        return p[:, 1].copy(), y.astype(float)
    if task == "multiclass":
        return p.max(axis=1), (p.argmax(axis=1) == y).astype(float)
    return p.reshape(-1).copy(), y.reshape(-1).astype(float)


def _bin_edges(confidence: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    """``n_bins + 1`` edges: equal width on [0, 1], or quantiles of ``confidence`` (adaptive,
    equal-count bins; ties stay together, so such bins may hold more or be empty)."""
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    # Same float expression as sklearn: a data point sitting exactly on an edge then falls
    # in the same bin as in ``calibration_curve``.
    return np.percentile(confidence, np.linspace(0.0, 1.0, n_bins + 1) * 100)


def _bin_stats(
    confidence: np.ndarray, outcome: np.ndarray, n_bins: int, strategy: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin (edges, count, mean confidence, observed frequency), empty bins included.

    Bin assignment is that of sklearn ``calibration_curve`` (``searchsorted`` on the inner
    edges: bins are (lo, hi], the first one [0, hi]) so its output is an exact cross-check.
    """
    edges = _bin_edges(confidence, n_bins, strategy)
    ids = np.searchsorted(edges[1:-1], confidence)
    count = np.bincount(ids, minlength=n_bins)
    sum_conf = np.bincount(ids, weights=confidence, minlength=n_bins)
    sum_out = np.bincount(ids, weights=outcome, minlength=n_bins)
    safe = np.maximum(count, 1)
    return edges, count, sum_conf / safe, sum_out / safe


def reliability_bins(
    confidence: Any, outcome: Any, n_bins: int = 15, strategy: str = "uniform"
) -> list[dict[str, Any]]:
    """Reliability-diagram bins.

    ``strategy`` is ``"uniform"`` (equal-width in [0, 1]) or ``"quantile"`` (adaptive:
    equal-count bins, edges at the quantiles of ``confidence``). One dict per non-empty bin:
    ``{"lo", "hi", "count", "confidence" (mean predicted), "accuracy" (observed frequency)}``.
    """
    n_bins, strategy = _check_n_bins(n_bins), _check_strategy(strategy)
    c, o = _check_pairs(confidence, outcome)
    edges, count, conf, acc = _bin_stats(c, o, n_bins, strategy)
    return [
        {
            "lo": float(edges[b]),
            "hi": float(edges[b + 1]),
            "count": int(count[b]),
            "confidence": float(conf[b]),
            "accuracy": float(acc[b]),
        }
        for b in range(n_bins)
        if count[b] > 0
    ]


def _gaps(confidence: Any, outcome: Any, n_bins: int, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    """(|accuracy - confidence|, weight = count / N) of every non-empty bin."""
    bins = reliability_bins(confidence, outcome, n_bins, strategy)
    gaps = np.array([abs(b["accuracy"] - b["confidence"]) for b in bins])
    counts = np.array([b["count"] for b in bins], dtype=float)
    return gaps, counts / counts.sum()


def expected_calibration_error(
    confidence: Any, outcome: Any, n_bins: int = 15, strategy: str = "uniform"
) -> float:
    """ECE: count-weighted mean over bins of |observed frequency - mean confidence|.

    Not in scikit-learn. ``strategy="quantile"`` gives the adaptive ECE (Nixon et al. 2019),
    less biased when predictions crowd into a few uniform bins.
    """
    gaps, weights = _gaps(confidence, outcome, n_bins, strategy)
    return float(np.sum(weights * gaps))


def maximum_calibration_error(
    confidence: Any, outcome: Any, n_bins: int = 15, strategy: str = "uniform"
) -> float:
    """MCE: the largest |observed frequency - mean confidence| over non-empty bins (worst
    case; noisy for sparsely populated bins). Not in scikit-learn."""
    gaps, _ = _gaps(confidence, outcome, n_bins, strategy)
    return float(gaps.max())


# --------------------------------------------------------------------------- Brier, summary


def brier_score(y_true: Any, probs: Any, task: str) -> float:
    """Brier score (lower is better; 0 = perfect).

    binary: sklearn ``brier_score_loss`` on P(positive); multiclass: mean over samples of the
    sum over classes of (p - onehot)^2 (range [0, 2]); multilabel: mean over labels of the
    per-label Brier.
    """
    y, p = _validate(y_true, probs, task)
    if task == "binary":
        return float(brier_score_loss(y, p[:, 1], pos_label=1))
    if task == "multiclass":
        onehot = np.eye(p.shape[1])[y]
        return float(np.mean(np.sum((p - onehot) ** 2, axis=1)))
    return float(np.mean(np.mean((p - y) ** 2, axis=0)))


def calibration_summary(y_true: Any, probs: Any, task: str, n_bins: int = 15) -> dict[str, Any]:
    """Everything a report needs about calibration, JSON-serialisable.

    ``{"ece": uniform-bin ECE, "ece_adaptive": quantile-bin ECE, "mce": uniform-bin MCE,
    "brier", "n_bins", "target": what was binned (see ``calibration_targets``),
    "reliability": {"uniform": [...bins], "quantile": [...bins]}, "slope", "intercept",
    "in_the_large"}`` (logistic recalibration of the same pairs, ``calibration_slope``; ``None``
    with a ``slope_note`` when it cannot be estimated).
    """
    from meddx.evaluation.calibration_slope import calibration_slope

    n_bins = _check_n_bins(n_bins)
    conf, out = calibration_targets(y_true, probs, task)
    weak = calibration_slope(conf, out)
    if "note" in weak:
        weak["slope_note"] = weak.pop("note")
    return {
        **weak,
        "ece": expected_calibration_error(conf, out, n_bins, "uniform"),
        "ece_adaptive": expected_calibration_error(conf, out, n_bins, "quantile"),
        "mce": maximum_calibration_error(conf, out, n_bins, "uniform"),
        "brier": brier_score(y_true, probs, task),
        "n_bins": n_bins,
        "target": TARGETS[task],
        "reliability": {
            "uniform": reliability_bins(conf, out, n_bins, "uniform"),
            "quantile": reliability_bins(conf, out, n_bins, "quantile"),
        },
    }


# --------------------------------------------------------------------------- temperature scaling


def _scores(p: np.ndarray, task: str) -> np.ndarray:
    """Logit surrogates: log p (binary/multiclass; logits up to a per-row constant) or
    logit(p) per label (multilabel), in float64.

    Only zeros (and, per label, ones) are clipped, to the smallest positive double: clipping at a
    coarser bound would flatten the confident cases' ranking. A network's float64 softmax keeps
    the smaller class probability exactly far beyond the point where the larger rounds to 1, so
    ``log p`` recovers logit margins of several hundred and T rescales them without ties."""
    q = np.asarray(p, dtype=np.float64)
    if task == "multilabel":
        q = np.clip(q, TINY, 1.0 - np.finfo(np.float64).epsneg)
        return logit(q)
    return np.log(np.maximum(q, TINY))


def _degenerate(y: np.ndarray) -> bool:
    """Fewer than 2 samples, or a single class in y (pooled over labels for multilabel):
    the likelihood then rewards ever sharper (or flatter) probabilities without limit."""
    return y.shape[0] < 2 or np.unique(y).size < 2


def fit_temperature(y_true: Any, probs: Any, task: str) -> float:
    """Temperature T > 0 minimising the validation NLL of the rescaled probabilities
    (Guo et al. 2017). T > 1 softens over-confident predictions, T < 1 sharpens.

    Bounded 1-D optimisation of log T (``scipy.optimize.minimize_scalar``, T in [0.05, 20]).
    When the validation split is separable, the NLL against the 0/1 labels keeps falling as
    T -> 0 and would return the most over-confident T allowed; T is then fitted against
    Platt's (1999) smoothed targets instead (``temperature_fit``, ``temperature_targets``), which
    keeps it finite. Degenerate validation data (fewer than 2 samples, or only one class in
    ``y_true``) cannot identify T: 1.0 (no change) is returned. Fit on validation data, never on
    the test split. Multi-label: one T for all labels, pooled (bundles fit one per label:
    :mod:`meddx.evaluation.label_temperature`).
    """
    return temperature_fit(y_true, probs, task)[0]


def temperature_fit(y_true: Any, probs: Any, task: str) -> tuple[float, bool]:
    """(T, smoothed) of :func:`fit_temperature`: ``smoothed`` says whether the split was separable
    and T was fitted against Platt's smoothed targets (the bundle's calibration ``method`` says so)."""
    y, p = _validate(y_true, probs, task)
    if _degenerate(y):
        return 1.0, False
    scores = _scores(p, task)
    return fit_with_smoothing(lambda targets, t: soft_nll(targets, scores / t, task), y, task, scores)


def apply_temperature(probs: np.ndarray, temperature: float | Sequence[float], task: str,
                      bias: Any = 0.0) -> np.ndarray:
    """Rescale probabilities by T: ``softmax(log p / T)`` (binary, multiclass) or
    ``sigmoid(logit(p) / T)`` per label (multilabel), where a multi-label T may also be one per label
    (``sigmoid(logit(p_j) / T_j)``, :mod:`meddx.evaluation.label_temperature`). ``bias`` is added to the rescaled scores
    (``meddx.evaluation.recalibration``): binary, one number, to the positive class's log-odds;
    multiclass, one per class (``softmax(log p / T + b)``, which can change the argmax); multilabel,
    one per label (``sigmoid(logit(p_j) / T + b_j)``, increasing in each label).

    T = 1 returns ``probs`` unchanged up to float error; rows still sum to 1 for
    binary/multiclass; without a multi-class bias the argmax is kept, and for binary the ranking of
    P(positive), so AUC is unchanged, as long as the input still holds it: float32 probabilities tie at 1.0 from a
    logit margin of about 17, which is why the predictors return float64. The output has
    the shape of ``probs`` (a binary (N,) P(positive) stays (N,)); float32 in -> float32 out,
    anything else -> float64.
    """
    p = _validate_probs(probs, task)
    z = _calibrated_logits(p, temperature, task, bias)
    out = expit(z) if task == "multilabel" else softmax(z, axis=1)
    if task == "binary" and (np.ndim(probs) == 1 or np.shape(probs)[1] == 1):  # P(positive) given
        out = out[:, 1].reshape(np.shape(probs))
    dtype = np.float32 if np.asarray(probs).dtype == np.float32 else np.float64
    return out.astype(dtype)


def _calibrated_logits(p: np.ndarray, temperature: Any, task: str, bias: Any) -> np.ndarray:
    """The (N, K) scores whose softmax (binary, multiclass) or sigmoid (multilabel) ``apply_temperature``
    returns: ``_scores(p) / T`` plus the bias."""
    if np.ndim(temperature) == 1:
        t: float | np.ndarray = _label_temperatures(temperature, p.shape[1], task)
    else:
        t = _check_temperature(temperature)
    z = _scores(p, task) / t
    if np.ndim(bias) == 1 and task in ("multiclass", "multilabel"):
        z += _class_bias(bias, z.shape[1], "class" if task == "multiclass" else "label")
    elif np.ndim(bias) or bias:
        if task != "binary" or np.ndim(bias):
            raise ConfigError(f"a single calibration bias applies to binary models only (multi-class: one per class; "
                              f"multi-label: one per label); this one is {task}, got {bias!r}")
        z[:, 1] += float(bias)
    return z


def log_calibrated(probs: Any, temperature: float | Sequence[float], task: str, bias: Any = 0.0) -> np.ndarray:
    """The logarithm of ``apply_temperature(probs, ...)``, (N, K) float64, computed without forming the
    probabilities: ``log_softmax`` / ``log_sigmoid`` of the rescaled scores.

    Why: the ranking metrics (AUC, AUPRC, DeLong) rank these. A probability rounds to exactly 1.0 once its
    log-odds pass ~36.7 (at T = 0.05: a network margin of 1.84), tying cases the network ranks apart; its
    logarithm, -exp(-margin), is distinct up to margins of ~700. Binary, multi-label: monotone in the network's
    scores, so AUC does not depend on T; multi-class: each class's calibrated order (T can reorder one-vs-rest)."""
    from scipy.special import log_expit

    z = _calibrated_logits(_validate_probs(probs, task), temperature, task, bias)
    return log_expit(z) if task == "multilabel" else _log_softmax(z)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax that keeps the top class's value below 0: ``(z - max) - log1p(others)``, where
    ``others`` sums exp(z_j - max) over all but one maximal column. scipy's ``log_softmax`` forms
    ``log(1 + others)``, which is exactly 0 once ``others`` < 1e-16: the ties this is here to avoid."""
    top = np.argmax(z, axis=1)
    shifted = z - z[np.arange(len(z)), top][:, None]
    rest = np.exp(shifted)
    rest[np.arange(len(z)), top] = 0.0
    return shifted - np.log1p(rest.sum(axis=1))[:, None]


def _class_bias(bias: Any, k: int, per: str = "class") -> np.ndarray:
    """A multi-class (or multi-label: ``per="label"``) calibration bias as a (k,) float64 array; a
    ConfigError unless k finite numbers."""
    try:
        b = np.asarray(bias, dtype=np.float64)
    except (TypeError, ValueError):
        b = np.full(0, np.nan)
    if b.shape != (k,) or not np.isfinite(b).all():
        what = "multi-class" if per == "class" else "multi-label"
        raise ConfigError(f"a {what} calibration bias must be {k} finite numbers (one per {per}); got {bias!r}")
    return b


def _label_temperatures(temperature: Any, k: int, task: str) -> np.ndarray:
    """One temperature per label as a (k,) float64 array: multi-label only (binary and multi-class models
    have one T), k finite numbers > 0; a ConfigError otherwise."""
    if task != "multilabel":
        raise ConfigError(f"one temperature per label applies to multi-label models only; this one is {task}, "
                          f"got {list(temperature)!r}")
    t = np.array([_check_temperature(v) for v in temperature], dtype=np.float64)
    if t.shape != (k,):
        raise ConfigError(f"a per-label temperature must be {k} numbers (one per label); got {len(t)}")
    return t
