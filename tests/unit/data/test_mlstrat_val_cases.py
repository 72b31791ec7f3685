"""The small-validation note names a class or label that val holds only once or twice.

It fired only for a label with NO positive in val, yet a threshold and a temperature chosen on one
positive are as fragile. It now names each label with fewer than 3 positives (or negatives) in val,
with its count, and each class held once or twice.
"""

from __future__ import annotations

import numpy as np

from meddx.data.base import ImageSource, SplitData
from meddx.data.val_checks import NOTE_START, small_validation_note


def _source(train: np.ndarray, val: np.ndarray, names: list[str], task: str, **extra: object) -> ImageSource:
    def split(y: np.ndarray, tag: str) -> SplitData:
        return SplitData(ids=[f"{tag}{i}" for i in range(len(y))], labels=y)

    source = ImageSource(name="t", origin="t.csv", task=task, label_names=names, spatial_dims=0,  # type: ignore[arg-type]
                         splits={"train": split(train, "tr"), "val": split(val, "va")})
    for key, value in extra.items():
        setattr(source, key, value)
    return source


def _multilabel_val(positives: list[int], n: int = 20) -> np.ndarray:
    val = np.zeros((n, len(positives)), dtype=np.int64)
    for k, count in enumerate(positives):
        val[:count, k] = 1
    return val


def test_labels_with_one_or_two_positives_or_few_negatives_are_named_with_counts() -> None:
    train = np.tile(np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]), (50, 1))
    val = _multilabel_val([1, 2, 5, 0, 19])  # e has 1 negative among 20
    note = small_validation_note(_source(train, val, ["a", "b", "c", "d", "e"], "multilabel"))
    assert note is not None and note.startswith(NOTE_START)
    assert "no sample of label(s) 'd' that train has" in note
    assert "fewer than 3 positives of label(s) 'a' (1), 'b' (2)" in note and "'c'" not in note
    assert "fewer than 3 negatives of label(s) 'e' (1)" in note


def test_a_binary_val_with_two_positives_is_named() -> None:
    train = np.array([0, 1] * 50)
    val = np.array([0] * 18 + [1] * 2)
    note = small_validation_note(_source(train, val, ["negative", "positive"], "binary"))
    assert note is not None and "fewer than 3 samples of class(es) 'positive' (2)" in note


def test_three_of_each_gets_no_note() -> None:
    train = np.tile(np.array([[1, 0], [0, 1]]), (50, 1))
    assert small_validation_note(_source(train, _multilabel_val([3, 17]), ["a", "b"], "multilabel")) is None
    assert small_validation_note(_source(np.array([0, 1] * 50), np.array([0] * 17 + [1] * 3), ["n", "p"],
                                         "binary")) is None


def test_labels_are_not_named_when_the_columns_look_swapped() -> None:
    train = np.tile(np.array([[1, 1], [0, 0]]), (50, 1))
    note = small_validation_note(_source(train, _multilabel_val([1, 10]), ["chest pain at rest", "b"], "multilabel",
                                         columns={"looks_swapped": True}))
    assert note is not None and "fewer than 3 positives of 1 label(s) (not named" in note
    assert "chest pain" not in note
