"""Multi-label carves and cv folds are stratified iteratively (Sechidis et al. 2011), by group.

Stratifying by label SET made 52 strata of 300 notes with 12 labels (37% of them pooled as "rare"):
the carve's stratified split failed and fell back to "not stratified", and 5-fold cv placed a
6-positive label as [1, 0, 4, 1, 0]. Each label's positives are now spread in proportion, whole
patients moving; single-label and binary carves and folds are exactly what they were, and carvings
recorded with near-copy settings before version 4 re-carve by label combination as they trained.
"""

from __future__ import annotations

import numpy as np
import pytest

from meddx.data.base import ImageSource, SplitData, TextSource
from meddx.data.carve_groups import NEAR_COPY_SETTINGS
from meddx.data.splits import carve_validation
from meddx.evaluation.cv_folds import make_folds

PREVALENCE = np.array([0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02])


def _labels(n: int = 300, seed: int = 0) -> np.ndarray:
    y = (np.random.default_rng(seed).random((n, len(PREVALENCE))) < PREVALENCE).astype(np.int64)
    y[:6, -1] = 1  # the rarest label: at least 6 positives, the case cv placed as [1, 0, 4, 1, 0]
    return y


def _texts(n: int) -> list[str]:
    """``n`` documents of random words: no two near copies of each other."""
    rng = np.random.default_rng(11)
    words = [f"w{j}" for j in range(500)]
    return [" ".join(rng.choice(words, 12)) for _ in range(n)]


def _source(labels: np.ndarray, patients: list[str] | None = None) -> ImageSource:
    n = len(labels)
    texts = _texts(n)
    split = SplitData(ids=[f"n{i}" for i in range(n)], labels=labels, patient_ids=patients, texts=texts)
    return TextSource(name="notes", origin="notes.csv", task="multilabel" if labels.ndim == 2 else "multiclass",
                       label_names=[f"L{k}" for k in range(labels.shape[1] if labels.ndim == 2 else 4)],
                       spatial_dims=0, splits={"train": split})


def _within_one(counts: np.ndarray, totals: np.ndarray, share: float) -> bool:
    return bool(np.all(np.abs(counts - totals * share) < 1.0 + 1e-9))


def test_twelve_labels_over_five_folds_are_within_one_of_the_ideal() -> None:
    from meddx.data.multilabel_strata import iterative_folds

    y = _labels()
    folds = iterative_folds(y, 5, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(y)))
    assert [len(f) for f in folds] == [60] * 5
    for test in folds:
        assert _within_one(y[test].sum(axis=0), y.sum(axis=0), 1 / 5), y[test].sum(axis=0)


def test_groups_are_never_split_and_rare_labels_reach_every_fold() -> None:
    from meddx.data.multilabel_strata import iterative_assignment

    y = _labels()
    patients = np.repeat(np.arange(150), 2)  # two notes per patient
    rng = np.random.default_rng(1)
    patients = patients[rng.permutation(len(patients))]
    subset = iterative_assignment(y, [1.0] * 5, seed=0, groups=patients)
    for p in np.unique(patients):
        assert len(set(subset[patients == p].tolist())) == 1
    per_fold = np.array([y[subset == j].sum(axis=0) for j in range(5)])
    assert np.all(per_fold[:, y.sum(axis=0) >= 10] >= 1)  # every label of 10+ positives in every fold
    assert np.abs(per_fold - y.sum(axis=0) / 5).max() <= 2.0  # a pair moves two positives at most


def test_the_assignment_is_seeded_and_deterministic() -> None:
    from meddx.data.multilabel_strata import iterative_assignment

    y = _labels()
    a, b = iterative_assignment(y, [1.0] * 5, seed=3), iterative_assignment(y, [1.0] * 5, seed=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, iterative_assignment(y, [1.0] * 5, seed=4))


def test_the_carve_is_iteratively_stratified_and_says_so() -> None:
    y = _labels()
    carved = carve_validation(_source(y, [f"p{i}" for i in range(len(y))]), fraction=0.1, seed=0)
    note = carved.notes[-1]
    assert "iteratively stratified by label and grouped by patient" in note and "not stratified" not in note
    val = carved.splits["val"].labels
    assert len(val) == 30 and _within_one(val.sum(axis=0), y.sum(axis=0), 0.1), val.sum(axis=0)


def test_an_ungrouped_carve_takes_the_fraction_and_says_so() -> None:
    y = _labels()
    source = _source(y)  # no patient ids, no copies: samples carved one by one
    carved = carve_validation(source, fraction=0.2, seed=0, near_copies=False)  # old record: label sets
    assert "iteratively" not in carved.notes[-1]
    carved = carve_validation(source, fraction=0.2, seed=0, near_copies={**NEAR_COPY_SETTINGS, "near": 0})
    assert "iteratively stratified by label" in carved.notes[-1]
    assert len(carved.splits["val"]) == 60 and _within_one(carved.splits["val"].labels.sum(axis=0), y.sum(axis=0), 0.2)


def test_cv_folds_of_notes_with_twelve_labels() -> None:
    y = _labels()
    split = _source(y, [f"p{i}" for i in range(len(y))]).splits["train"]
    folds, how = make_folds(split, "notes.csv", 5, seed=0)
    assert "iteratively stratified by label" in how
    for test in folds:
        assert _within_one(y[test].sum(axis=0), y.sum(axis=0), 1 / 5), y[test].sum(axis=0)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_carvings_recorded_before_version_4_re_carve_by_label_combination(version: int) -> None:
    from meddx.data.carve_groups import stratifies_iteratively

    y = _labels()
    source = _source(y, [f"p{i}" for i in range(len(y))])
    recorded = {**NEAR_COPY_SETTINGS, "version": version}
    assert not stratifies_iteratively(recorded) and not stratifies_iteratively(False)
    assert stratifies_iteratively(True) and NEAR_COPY_SETTINGS["version"] >= 4
    old = carve_validation(source, fraction=0.1, seed=0, near_copies=recorded)
    assert "iteratively" not in old.notes[-1] and "StratifiedGroupKFold" in old.notes[-1]
    new = carve_validation(source, fraction=0.1, seed=0)
    assert old.splits["val"].ids != new.splits["val"].ids  # the recorded version decides which carve


def test_a_cv_resume_makes_the_folds_its_plan_recorded() -> None:
    from meddx.evaluation.cv_folds import recorded_iterative

    old = {"how": "5 folds, stratified by label and grouped by patient (StratifiedGroupKFold, seed 0)"}
    new = {"how": "5 folds, iteratively stratified by label and grouped by patient (iterative stratification, seed 0)"}
    assert recorded_iterative(None) and recorded_iterative(new) and not recorded_iterative(old)
    y = _labels()
    split = _source(y, [f"p{i}" for i in range(len(y))]).splits["train"]
    folds, how = make_folds(split, "notes.csv", 5, seed=0, iterative=False)
    assert how.startswith("5 folds, stratified by label") and "iteratively" not in how
