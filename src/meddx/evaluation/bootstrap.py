"""Bootstrap confidence intervals (percentile and BCa) for any statistic.

The classification metrics' intervals built on this engine live in ``evaluation/intervals.py``.

- ``bootstrap_ci``: generic engine. Resampling is stratified (each stratum keeps its count, so
  a rare class is never resampled away) and optionally clustered: with ``groups`` (patient
  ids) whole patients are drawn with replacement, because samples of one patient are not
  independent and resampling them one by one gives intervals that are too narrow.

scipy.stats.bootstrap does BCa, but neither it nor scikit-learn resamples clusters within
strata or takes a dict-valued statistic; the BCa and jackknife code here is our own (Efron &
Tibshirani 1993, ch. 14; delete-a-block jackknife: Kott 2001).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from meddx.core.errors import ConfigError, DataError

Statistic = Callable[[np.ndarray], dict[str, Any]]
ONE_CLUSTER_NOTE = ("fewer than 2 patients (groups): samples resampled instead of patients, so the interval "
                    "ignores that the samples share a patient")


# --- resampling units --------------------------------------------------------------------


@dataclass(frozen=True)
class _Units:
    """Resampling units (samples, or clusters of samples) with their strata.

    Unit ``u`` owns the sample indices ``order[starts[u]:starts[u] + sizes[u]]`` (a CSR layout,
    so a list of drawn units expands to sample indices without a Python loop).
    """

    order: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    strata: np.ndarray  # (M,) stratum code per unit
    clustered: bool

    @property
    def count(self) -> int:
        return len(self.sizes)

    def expand(self, units: np.ndarray) -> np.ndarray:
        """Sample indices of ``units`` (with repetition when a unit is drawn twice)."""
        if not self.clustered:
            return units
        sizes = self.sizes[units]
        first = np.cumsum(sizes) - sizes  # position of each unit's first sample in the output
        offsets = np.repeat(self.starts[units] - first, sizes) + np.arange(int(sizes.sum()))
        return self.order[offsets]


def _per_sample(values: np.ndarray | None, n: int, field: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise DataError(f"{field} must have shape ({n},), one value per sample; got shape {arr.shape}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise DataError(f"{field} must not contain NaN; found {int(np.isnan(arr).sum())} missing values")
    if arr.dtype.kind == "O" and any(v is None for v in arr):
        raise DataError(f"{field} must not contain None; found missing values")
    return arr


def _make_units(n: int, strata: np.ndarray | None, groups: np.ndarray | None) -> _Units:
    """Units and their strata. A cluster's stratum is the largest stratum value among its
    samples: with 0/1 labels, "the patient has any positive sample". Fewer than 2 clusters
    cannot be resampled (every resample would be the same patient): samples are the units then,
    and ``bootstrap_ci`` says so in a note (a one-patient validation split must not abort the
    training run that evaluates it)."""
    # np.unique sorts, so stratum codes keep the order of the stratum values (max is meaningful).
    codes = np.zeros(n, dtype=int) if strata is None else np.unique(strata, return_inverse=True)[1]
    inverse = None if groups is None else np.unique(groups, return_inverse=True)[1].reshape(-1)
    if inverse is None or inverse.max(initial=0) < 1:
        idx = np.arange(n)
        return _Units(idx, idx, np.ones(n, dtype=int), codes, clustered=False)
    sizes = np.bincount(inverse)
    unit_strata = np.full(len(sizes), -1)
    np.maximum.at(unit_strata, inverse, codes)
    return _Units(np.argsort(inverse, kind="stable"), np.cumsum(sizes) - sizes, sizes, unit_strata, True)


def _resamples(units: _Units, n_resamples: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Sample-index arrays of ``n_resamples`` stratified bootstrap resamples of the units."""
    by_stratum = [np.flatnonzero(units.strata == s) for s in np.unique(units.strata)]
    for _ in range(n_resamples):
        drawn = np.concatenate([u[rng.integers(0, len(u), len(u))] for u in by_stratum])
        yield units.expand(drawn)


def _jackknife_sets(units: _Units, max_jackknife: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Leave-one-unit-out sample-index arrays, or, with more than ``max_jackknife`` units,
    delete-a-block: units are assigned at random to ``max_jackknife`` near-equal blocks and one
    block is left out at a time. The acceleration formula below is unchanged for blocks (its
    ratio of third to 1.5th power of second moments does not depend on the block size)."""
    m = units.count
    block = np.arange(m) if m <= max_jackknife else rng.permutation(m) % max_jackknife
    for b in range(min(m, max_jackknife)):
        yield units.expand(np.flatnonzero(block != b))


# --- intervals ---------------------------------------------------------------------------


def _as_float(value: Any) -> float:
    """NaN for ``None`` (undefined), else the float value."""
    return math.nan if value is None else float(value)


# Weight-matrix elements per ``batch`` call: 2.5e6 float64 = 20 MB per (rows x n) array, so a
# statistic's few temporaries of that shape stay under ~200 MB even at n = 100,000 (measured with
# tracemalloc: 72 MB peak for 5-class ``metric_intervals``' statistic at n = 100,000).
BATCH_ELEMENTS = 2_500_000


def _multiplicities(index_sets: list[np.ndarray], n: int) -> np.ndarray:
    """(len(index_sets), n) float matrix: row r counts how often each sample is in set r. Built
    as the transpose of a C-ordered (n, rows) array: per-sample products then need no copy."""
    w = np.empty((len(index_sets), n))
    for row, idx in enumerate(index_sets):  # one bincount per row: its writes stay in cache
        w[row] = np.bincount(idx, minlength=n)
    return np.ascontiguousarray(w.T).T


def _evaluate_batched(batch: Callable[[np.ndarray], dict[str, np.ndarray]], index_sets: Iterator[np.ndarray],
                      names: list[str], n: int) -> np.ndarray:
    """``_evaluate`` through ``statistic.batch``: the index sets (drawn in the same order, so the
    same resamples) go in chunks of multiplicity rows, each chunk one call."""
    chunk = max(1, BATCH_ELEMENTS // max(n, 1))
    blocks = []
    pending: list[np.ndarray] = []
    for idx in itertools.chain(index_sets, [None]):
        if idx is not None:
            pending.append(np.asarray(idx))
        if pending and (idx is None or len(pending) == chunk):
            out = batch(_multiplicities(pending, n))
            blocks.append(np.column_stack([np.asarray(out[name], dtype=float).reshape(len(pending))
                                           for name in names]))
            pending = []
    return np.vstack(blocks) if blocks else np.zeros((0, len(names)))


def _evaluate(statistic: Statistic, index_sets: Iterator[np.ndarray], names: list[str], n: int = 0) -> np.ndarray:
    """(len(index_sets), len(names)) values of ``statistic``; NaN where it returned None/NaN.

    A statistic with a ``batch(W)`` method (W: rows of multiplicities, see ``bootstrap_ci``) is
    evaluated many resamples per call; otherwise once per index set."""
    batch = getattr(statistic, "batch", None)
    if batch is not None and n > 0:
        return _evaluate_batched(batch, index_sets, names, n)
    rows = []
    for idx in index_sets:
        out = statistic(idx)
        rows.append([_as_float(out.get(name)) for name in names])
    return np.array(rows, dtype=float).reshape(-1, len(names))


def _acceleration(jack: np.ndarray) -> float | None:
    """BCa acceleration from jackknife values (skewness of their influence); ``None`` when
    fewer than 2 are defined or they do not vary."""
    j = jack[~np.isnan(jack)]
    if len(j) < 2:
        return None
    d = j.mean() - j
    ss = float((d**2).sum())
    if ss <= 0.0:
        return None
    return float((d**3).sum() / (6.0 * ss**1.5))


def _bca(estimate: float | None, boot: np.ndarray, jack: np.ndarray, level: float) -> list[float] | None:
    """BCa interval (Efron 1987) from valid resampled values; ``None`` where undefined."""
    if estimate is None or np.all(boot == boot[0]):
        return None
    # Bias correction: fraction of resampled values below the estimate, equal ones count half
    # (a discrete statistic such as accuracy often equals it exactly).
    below = (np.sum(boot < estimate) + 0.5 * np.sum(boot == estimate)) / len(boot)
    a = _acceleration(jack)
    if a is None or not 0.0 < below < 1.0:
        return None
    z0 = norm.ppf(below)
    z = z0 + norm.ppf([(1 - level) / 2, (1 + level) / 2])
    denom = 1.0 - a * z
    if np.any(denom <= 0):
        return None
    return [float(q) for q in np.quantile(boot, norm.cdf(z0 + z / denom))]


def _interval(estimate: float | None, boot: np.ndarray, jack: np.ndarray, level: float) -> dict[str, Any]:
    """One ``bootstrap_ci`` entry from the resampled (NaN = undefined) and jackknife values."""
    valid = boot[~np.isnan(boot)]
    entry: dict[str, Any] = {"estimate": estimate, "percentile": [None, None], "bca": [None, None],
                             "n_valid": int(len(valid)), "bca_fallback": False}
    if 2 * len(valid) < len(boot):
        return entry
    entry["percentile"] = [float(q) for q in np.quantile(valid, [(1 - level) / 2, (1 + level) / 2])]
    bca = _bca(estimate, valid, jack, level)
    entry["bca"] = entry["percentile"] if bca is None else bca
    entry["bca_fallback"] = bca is None
    return entry


def _check_settings(n: int, level: float, n_resamples: int, max_jackknife: int) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise DataError(f"bootstrap needs n >= 2 samples; got n={n!r}")
    if not isinstance(level, (int, float)) or not 0.0 < level < 1.0:
        raise ConfigError(f"level must be a confidence level in (0, 1), e.g. 0.95; got {level!r}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 10:
        raise ConfigError(f"n_resamples must be an integer >= 10 (1000 or more for reporting); got {n_resamples!r}")
    if not isinstance(max_jackknife, (int, np.integer)) or max_jackknife < 2:
        raise ConfigError(f"max_jackknife must be an integer >= 2; got {max_jackknife!r}")


def bootstrap_ci(
    statistic: Callable[[np.ndarray], dict[str, float | None]],
    n: int,
    *,
    strata: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    max_jackknife: int = 200,
    unstratified: Collection[str] = (),
) -> dict[str, dict[str, Any]]:
    """Percentile and BCa bootstrap intervals for each value of a dict-valued statistic.

    Args:
        statistic: ``statistic(idx)`` takes an int index array into the ``n`` samples (with
            repeats) and returns a flat dict name -> value, ``None`` (or NaN) where undefined.
            It is called, in this order, once on ``np.arange(n)`` (the estimates; its keys are
            the names reported), ``n_resamples`` times on resamples, then once per jackknife
            unit/block with that unit left out (for the BCa acceleration). Optional speed-up: a
            ``statistic.batch(W)`` method taking a (rows, n) float matrix of multiplicities (how
            often each sample is in a resample) and returning name -> (rows,) array (NaN where
            undefined), equal to calling ``statistic`` on those indices; the resamples and
            jackknife sets then go to it in chunks (same draws, so the same intervals).
        n: number of samples.
        strata: (n,) stratum per sample (e.g. class): each resample keeps every stratum's
            count of units. With ``groups``, a cluster's stratum is the largest stratum value
            among its samples (0/1 labels: "patient has any positive").
        groups: (n,) cluster id per sample (patient id): whole clusters are resampled, and the
            jackknife leaves out whole clusters. With fewer than 2 clusters samples are resampled
            and every entry gets a ``note`` saying so.
        n_resamples: bootstrap resamples (>= 10).
        level: confidence level in (0, 1).
        seed: seeds the resampling and the jackknife block assignment (deterministic).
        max_jackknife: with more units than this, the jackknife is delete-a-block over this many
            blocks of units assigned at random (cost bound: at most this many extra calls).
        unstratified: names whose intervals come from resamples that ignore ``strata`` (a second
            set of ``n_resamples``, same clusters). A value that depends on the class mix (PPV,
            NPV, accuracy, AUPRC) varies with it between samples of a population; resampling
            that holds the class counts fixed leaves that variation out and under-covers (PPV:
            89% of nominal 95% intervals held the true value at n=150, prevalence 0.2, against
            97% unstratified; see ``test_ppv_intervals_cover_the_population_value``).

    Returns:
        name -> ``{"estimate", "percentile": [lo, hi], "bca": [lo, hi], "n_valid",
        "bca_fallback"}``. ``n_valid`` counts resamples where the value is defined (the others
        are skipped); with fewer than half valid both intervals are ``[None, None]``. Where BCa
        is undefined (estimate ``None``, all resamples equal, jackknife values constant or
        undefined, bias fraction 0 or 1), ``bca`` repeats the percentile interval and
        ``bca_fallback`` is True.
    """
    _check_settings(n, level, n_resamples, max_jackknife)
    units = _make_units(int(n), _per_sample(strata, n, "strata"), _per_sample(groups, n, "groups"))
    resample_seed, jackknife_seed, free_seed = np.random.SeedSequence(seed).spawn(3)  # first two as before
    full = statistic(np.arange(n))
    if not isinstance(full, dict) or not full:
        raise ConfigError("statistic must return a non-empty dict name -> float | None; "
                          f"got {full!r:.80}")
    names = list(full)
    estimates = [_as_float(full[name]) for name in names]
    boot = _evaluate(statistic, _resamples(units, n_resamples, np.random.default_rng(resample_seed)), names, n)
    jack = _evaluate(statistic, _jackknife_sets(units, max_jackknife, np.random.default_rng(jackknife_seed)), names, n)
    free = [i for i, name in enumerate(names) if name in set(unstratified)]
    if free and strata is not None:
        free_units = _make_units(int(n), None, _per_sample(groups, n, "groups"))
        boot[:, free] = _evaluate(statistic, _resamples(free_units, n_resamples, np.random.default_rng(free_seed)),
                                  names, n)[:, free]
    out = {
        name: _interval(None if math.isnan(est) else est, boot[:, i], jack[:, i], level)
        for i, (name, est) in enumerate(zip(names, estimates))
    }
    if groups is not None and not units.clustered:
        for entry in out.values():
            entry["note"] = ONE_CLUSTER_NOTE
    return out
