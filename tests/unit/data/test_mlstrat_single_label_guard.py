"""Guard: single-label and binary carves and cv folds are exactly scikit-learn's, as before iterative
multi-label stratification, and recorded multi-label carvings re-carve by label combination."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from meddx.data.base import ImageSource, SplitData, TextSource
from meddx.data.carve_groups import NEAR_COPY_SETTINGS
from meddx.data.splits import carve_validation
from meddx.evaluation.cv_folds import make_folds


def _split(labels: np.ndarray, patients: list[str] | None) -> SplitData:
    rng = np.random.default_rng(11)
    words = [f"w{j}" for j in range(500)]
    texts = [" ".join(rng.choice(words, 12)) for _ in range(len(labels))]  # documents, no two near copies
    return SplitData(ids=[f"s{i}" for i in range(len(labels))], labels=labels, patient_ids=patients, texts=texts)


def _source(split: SplitData, task: str, k: int) -> ImageSource:
    return TextSource(name="toy", origin="toy.csv", task=task, label_names=[f"c{j}" for j in range(k)],  # type: ignore[arg-type]
                       spatial_dims=0, splits={"train": split})


def _sgkf(strata: np.ndarray, groups: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedGroupKFold

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
                    .split(np.zeros(len(strata)), strata, groups))


@pytest.mark.parametrize("k", [2, 4])
def test_single_label_folds_and_grouped_carve_are_stratified_group_k_fold(k: int) -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, k, 200)
    patients = [f"p{i // 2}" for i in range(200)]
    split = _split(y, patients)
    groups = np.unique(np.asarray(patients), return_inverse=True)[1]
    folds, how = make_folds(split, "toy.csv", 5, seed=2)
    assert "StratifiedGroupKFold" in how and "iteratively" not in how
    assert [f.tolist() for f in folds] == [te.tolist() for _, te in _sgkf(y, groups, 5, 2)]
    carved = carve_validation(_source(split, "binary" if k == 2 else "multiclass", k), fraction=0.1, seed=1)
    _, va = _sgkf(y, np.asarray(patients), 10, 1)[0]
    assert carved.splits["val"].ids == [f"s{i}" for i in sorted(va)]
    assert "stratified by label and grouped by patient (fold 1 of 10 of StratifiedGroupKFold)" in carved.notes[-1]


def test_an_ungrouped_binary_carve_is_stratified_shuffle_split() -> None:
    from sklearn.model_selection import StratifiedShuffleSplit

    y = np.random.default_rng(6).integers(0, 2, 150)
    carved = carve_validation(_source(_split(y, None), "binary", 2), fraction=0.2, seed=4)
    _, va = next(StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=4).split(np.zeros(150), y))
    assert carved.splits["val"].ids == [f"s{i}" for i in sorted(va)]
    assert "seed 4, stratified by label;" in carved.notes[-1]


def test_a_version_3_multi_label_record_re_carves_by_label_combination() -> None:
    from collections import Counter

    y = (np.random.default_rng(7).random((120, 3)) < 0.3).astype(np.int64)
    patients = [f"p{i}" for i in range(120)]
    carved = carve_validation(_source(_split(y, patients), "multilabel", 3), fraction=0.1, seed=0,
                              near_copies={**NEAR_COPY_SETTINGS, "version": 3})
    keys = ["".join(map(str, row)) for row in y]
    counts = Counter(keys)
    strata = np.unique([k if counts[k] >= 2 else "rare" for k in keys], return_inverse=True)[1]
    _, va = _sgkf(strata, np.asarray(patients), 10, 0)[0]
    assert carved.splits["val"].ids == [f"s{i}" for i in sorted(va)]
