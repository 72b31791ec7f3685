"""Iterative stratification of multi-label data, by groups (patients, copies), for the carve and the cv folds.

Stratifying multi-label samples by their label SET (each distinct combination one stratum) breaks down
with more than a few labels: 300 notes with 12 labels made 52 strata, 37% of the notes fell into a
pooled "rare" one, the carve's stratified split could not be made (fewer val slots than strata) and
5-fold cv placed a 6-positive label as [1, 0, 4, 1, 0]. Iterative stratification (Sechidis,
Tsoumakas & Vlahavas 2011, "On the stratification of multi-label data", ECML PKDD) balances each
label's positives instead: it takes the label with the fewest remaining positives, gives each unit
holding it to the subset that most wants that label (ties: the subset wanting the most samples, then
a seeded random choice), and repeats; units without any positive fill the subsets' remaining wants.
One tie rule is added before the paper's: the subset that most wants the unit's OTHER labels, which keeps
common labels (placed last, mostly as a side effect of rare ones) balanced when units are groups
(pairs of notes per patient: worst deviation from the ideal per fold 4.4 positives without it, 0.8 with it).

Written here (about sixty lines) because no package for it is installed: scikit-multilearn's
``IterativeStratification`` is unmaintained and does not keep groups together. The unit distributed is
a GROUP (a patient, samples sharing content), never a sample, so a patient is never split; within a
label, larger groups are placed first (the usual greedy bin-packing order), then in seeded random order.
Deterministic for a given ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

HOW = "iteratively stratified by label"
"""How a carving or fold note names this method (``meddx cv --resume`` reads it from ``cv_plan.json``)."""


def iterative_assignment(labels: np.ndarray, proportions: Sequence[float], seed: int = 0,
                         groups: np.ndarray | None = None) -> np.ndarray:
    """The subset (``0..len(proportions)-1``) of each sample of the ``(N, L)`` 0/1 ``labels``, whole
    ``groups`` (one code per sample; ``None``: each sample its own) moving together, each subset
    receiving about ``proportions[j]`` of every label's positives and of the samples."""
    y = np.asarray(labels) > 0
    n = len(y)
    rng = np.random.default_rng(seed)
    codes = np.arange(n) if groups is None else np.unique(np.asarray(groups).astype(str), return_inverse=True)[1]
    n_units = int(codes.max()) + 1 if n else 0
    counts = np.zeros((n_units, y.shape[1] if y.ndim == 2 else 0), dtype=np.int64)
    np.add.at(counts, codes, y.astype(np.int64))
    sizes = np.bincount(codes, minlength=n_units).astype(np.float64)
    shuffled = rng.permutation(n_units)  # the seeded order that breaks ties between units of equal size
    rank = np.empty(n_units, dtype=np.int64)
    rank[shuffled] = np.arange(n_units)
    share = np.asarray(proportions, dtype=np.float64) / float(np.sum(proportions))
    want_label = share[:, None] * counts.sum(axis=0)[None, :].astype(np.float64)  # (k, L)
    want_size = share * float(n)
    subset_of = np.full(n_units, -1, dtype=np.int64)
    remaining = counts.sum(axis=0)

    def place(unit: int, wants: np.ndarray) -> None:
        best = np.flatnonzero(wants == wants.max())
        for tie in (want_label[:, counts[unit] > 0].sum(axis=1), want_size):  # then its other labels, then size
            if len(best) > 1:
                best = best[tie[best] == tie[best].max()]
        j = int(best[0] if len(best) == 1 else rng.choice(best))
        subset_of[unit] = j
        want_label[j] -= counts[unit]
        want_size[j] -= sizes[unit]

    while remaining.any():
        held = np.flatnonzero(remaining > 0)
        label = int(held[np.argmin(remaining[held])])  # the rarest label still to place (first on ties)
        units = np.flatnonzero((counts[:, label] > 0) & (subset_of < 0))
        units = units[np.lexsort((rank[units], -counts[units, label], -sizes[units]))]
        for unit in units:
            place(int(unit), want_label[:, label])
        remaining = counts[subset_of < 0].sum(axis=0)
    rest = np.flatnonzero(subset_of < 0)
    for unit in rest[np.lexsort((rank[rest], -sizes[rest]))]:  # no positive: larger first, where most are wanted
        place(int(unit), want_size)
    return subset_of[codes] if n else np.zeros(0, dtype=np.int64)


def iterative_folds(labels: np.ndarray, k: int, seed: int = 0, groups: np.ndarray | None = None) -> list[np.ndarray]:
    """Test indices (sorted) of ``k`` equal folds of :func:`iterative_assignment`."""
    subset = iterative_assignment(labels, [1.0] * k, seed, groups)
    return [np.flatnonzero(subset == j) for j in range(k)]


def iterative_split(labels: np.ndarray, fraction: float, seed: int = 0,
                    groups: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Train and val indices (sorted), val about ``fraction`` of the samples and of each label's positives."""
    subset = iterative_assignment(labels, [1.0 - fraction, fraction], seed, groups)
    return np.flatnonzero(subset == 0), np.flatnonzero(subset == 1)
