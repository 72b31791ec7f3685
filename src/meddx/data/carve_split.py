"""The stratified split a validation carve takes, whole groups (patients, copies) moving together.

Single-label and binary labels are stratified by class (scikit-learn's ``StratifiedShuffleSplit``, or one
fold of ``StratifiedGroupKFold`` when samples are grouped). Multi-label labels are stratified iteratively
(:mod:`meddx.data.multilabel_strata`, each label's positives spread in proportion) from near-copy settings
version 4 (:func:`meddx.data.carve_groups.stratifies_iteratively`); carvings recorded with older settings
(and those without near-copy grouping) stratify by label combination (:func:`label_strata`), as they did,
so that a bundle or a resumed run re-carves the split it trained against.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np

from meddx.core.errors import DataError


def label_strata(labels: np.ndarray) -> np.ndarray:
    """One stratum per sample: the class, or the label combination for multi-label (before near-copy settings
    version 4, and in ``meddx cv`` runs started before then; since, :mod:`meddx.data.multilabel_strata`
    stratifies multi-label labels iteratively).

    Multi-label combinations seen fewer than twice share one "rare" stratum so stratification
    stays possible.
    """
    if labels.ndim == 1:
        return labels.astype(np.int64)
    keys = ["".join(map(str, row)) for row in labels.astype(np.int64)]
    counts = Counter(keys)
    keys = [k if counts[k] >= 2 else "rare" for k in keys]
    _, codes = np.unique(keys, return_inverse=True)
    return codes


def stratified_split(labels: np.ndarray, fraction: float, seed: int,
                     iterative: bool = False) -> tuple[np.ndarray, np.ndarray, str]:
    """Train and val indices of ungrouped samples and how they were made: multi-label ``labels`` stratified
    iteratively when ``iterative``, else by :func:`label_strata` (``StratifiedShuffleSplit``)."""
    if iterative and np.asarray(labels).ndim == 2:
        from meddx.data.multilabel_strata import HOW, iterative_split

        tr, va = iterative_split(labels, fraction, seed)
        return tr, va, HOW
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    strata = label_strata(np.asarray(labels))
    idx = np.zeros(len(strata))
    try:
        tr, va = next(StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed).split(idx, strata))
        how = "stratified by label"
    except ValueError as exc:  # a class with one sample, or fewer val slots than classes
        tr, va = next(ShuffleSplit(n_splits=1, test_size=fraction, random_state=seed).split(idx))
        how = f"not stratified ({str(exc).splitlines()[0]})"
    return np.sort(tr), np.sort(va), how


def grouped_split(labels: np.ndarray, groups: np.ndarray, fraction: float, seed: int, origin: str,
                  unit: str = "patient", min_groups: int = 0,
                  iterative: bool = False) -> tuple[np.ndarray, np.ndarray, str]:
    """One fold of StratifiedGroupKFold with about 1/fraction folds: whole groups move (multi-label
    ``labels`` with ``iterative``: one of as many folds of iterative stratification).

    Fold 1, unless its val holds fewer than ``min(min_groups, expected)`` groups or fewer than half
    ``expected`` (``fraction`` of the groups; 0 ``min_groups``: fold 1 always): then the first fold
    that holds that many (else the one with the most groups). StratifiedGroupKFold
    places the largest groups first, so a group larger than a fold (one patient with many samples)
    can fill fold 1 alone."""
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    n_groups = len(set(groups.tolist()))
    if n_groups < 2:
        raise DataError(
            f"{origin}: train holds a single {unit} group; at least 2 are needed to carve a validation split "
            f"grouped by {unit}: provide a val split"
        )
    n_splits = min(max(2, int(round(1.0 / fraction))), n_groups)
    if iterative and np.asarray(labels).ndim == 2:
        return _iterative_fold(labels, groups, n_splits, fraction, seed, unit, min_groups)
    strata = label_strata(np.asarray(labels))
    idx = np.zeros(len(strata))
    try:
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        with warnings.catch_warnings():  # "least populated class has only k members": expected
            warnings.simplefilter("ignore", UserWarning)
            folds = cv.split(idx, strata, groups)
            tr, va = next(folds)
            fold = 1
            wanted = _wanted_groups(n_groups, fraction, min_groups)
            if len(set(groups[va].tolist())) < wanted:
                fold, tr, va = fold_with_groups([(tr, va), *folds], groups, wanted)
        how = f"stratified by label and grouped by {unit} (fold {fold} of {n_splits} of StratifiedGroupKFold)"
    except ValueError as exc:
        gss = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        tr, va = next(gss.split(idx, groups=groups))
        how = f"grouped by {unit}, not stratified ({str(exc).splitlines()[0]})"
    return np.sort(tr), np.sort(va), how


def fold_with_groups(folds: list[tuple[np.ndarray, np.ndarray]], groups: np.ndarray,
                     wanted: int) -> tuple[int, np.ndarray, np.ndarray]:
    """The first of ``folds`` (1-based number, train, val) whose val holds ``wanted`` groups, else
    the first with the most groups."""
    counts = [len(set(groups[va].tolist())) for _, va in folds]
    k = next((i for i, c in enumerate(counts) if c >= wanted), int(np.argmax(counts)))
    return k + 1, folds[k][0], folds[k][1]


def _wanted_groups(n_groups: int, fraction: float, min_groups: int) -> int:
    """The fewest groups the chosen fold's val should hold (0: fold 1 whatever it holds)."""
    expected = int(n_groups * fraction)
    return max(min(min_groups, expected), expected // 2) if min_groups else 0


def _iterative_fold(labels: np.ndarray, groups: np.ndarray, n_splits: int, fraction: float, seed: int, unit: str,
                    min_groups: int) -> tuple[np.ndarray, np.ndarray, str]:
    """:func:`grouped_split` for multi-label labels: fold 1 of ``n_splits`` folds of iterative stratification
    by group, or the first that holds enough groups (as for StratifiedGroupKFold)."""
    from meddx.data.multilabel_strata import HOW, iterative_folds

    everyone = np.arange(len(groups))
    folds = [(np.setdiff1d(everyone, test), test) for test in iterative_folds(labels, n_splits, seed, groups)]
    fold, tr, va = 1, *folds[0]
    wanted = _wanted_groups(len(set(groups.tolist())), fraction, min_groups)
    if len(set(groups[va].tolist())) < wanted:
        fold, tr, va = fold_with_groups(folds, groups, wanted)
    return np.sort(tr), np.sort(va), f"{HOW} and grouped by {unit} (fold {fold} of {n_splits} of iterative stratification)"
