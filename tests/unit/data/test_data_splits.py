"""carve_validation: stratified, patient-grouped, deterministic; patient overlap detection."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.data.base import ImageSource, SplitData
from meddx.data.splits import carve_validation, check_patient_overlap, split_alias


def _distinct_images(n: int) -> np.ndarray:
    """``n`` random 8x8 images, none a near copy of another (carving groups near copies, and
    images that differ only by a brightness offset, as ``np.arange`` blocks do, are near copies)."""
    return np.random.default_rng(0).integers(0, 256, (n, 1, 8, 8)).astype(np.int32)


def source(n: int = 100, patients: bool = False, with_val: bool = False) -> ImageSource:
    labels = np.array([0] * (n * 4 // 5) + [1] * (n - n * 4 // 5), dtype=np.int64)  # 80/20 imbalance
    pids = [f"p{i // 4}" for i in range(n)] if patients else None
    splits = {"train": SplitData(ids=[f"s{i}" for i in range(n)], labels=labels, patient_ids=pids,
                                 images=_distinct_images(n))}
    if with_val:
        splits["val"] = splits["train"].subset([0, 1])
    splits["test"] = splits["train"].subset([2, 3])
    return ImageSource("toy", "memory", "binary", ["neg", "pos"], 2, splits)


def test_stratified_and_deterministic() -> None:
    src = source()
    out = carve_validation(src, fraction=0.2, seed=0)
    assert list(out.splits) == ["train", "val", "test"]
    val, train = out.split("val"), out.split("train")
    assert len(val) == 20 and len(train) == 80
    assert np.bincount(val.labels).tolist() == [16, 4]  # class ratio kept exactly
    assert not set(val.ids) & set(train.ids)
    assert "stratified by label" in out.notes[-1] and "seed 0" in out.notes[-1] and "val 20" in out.notes[-1]
    assert carve_validation(src, fraction=0.2, seed=0).split("val").ids == val.ids
    assert carve_validation(src, fraction=0.2, seed=1).split("val").ids != val.ids
    assert src.notes == [] and "val" not in src.splits  # input left untouched


def test_grouped_by_patient() -> None:
    src = source(patients=True)
    out = carve_validation(src, fraction=0.2, seed=3)
    train_p, val_p = set(out.split("train").patient_ids), set(out.split("val").patient_ids)
    assert val_p and not train_p & val_p
    assert "grouped by patient" in out.notes[-1]
    assert carve_validation(src, fraction=0.2, seed=3).split("val").ids == out.split("val").ids


def test_existing_val_kept_and_bad_fraction() -> None:
    src = source(with_val=True)
    assert carve_validation(src) is src
    with pytest.raises(ConfigError, match="val_fraction"):
        carve_validation(source(), fraction=1.5)


def test_single_sample_class_falls_back_to_unstratified() -> None:
    src = source(n=10)
    src.splits["train"].labels[:] = 0
    src.splits["train"].labels[0] = 1
    out = carve_validation(src, fraction=0.2)
    assert len(out.split("val")) == 2 and "not stratified" in out.notes[-1]


def test_patient_overlap() -> None:
    src = source(patients=True)  # test holds s2, s3 of patient p0, who is also in train
    overlap = check_patient_overlap(src)
    assert overlap == [{"patient_id": "p0", "splits": {"train": 4, "test": 2},
                        "ids": {"train": ["s0", "s1", "s2", "s3"], "test": ["s2", "s3"]}}]
    assert check_patient_overlap(source()) == []
    assert split_alias(" Validation ") == "val" and split_alias("holdout") is None


def test_identical_samples_stay_on_one_side_of_a_carved_split() -> None:
    """Without patient ids, byte-identical copies are grouped: none straddles train and val."""
    src = source(n=100)
    images = src.splits["train"].images.copy()
    for i in range(0, 60, 2):  # 30 pairs of exact copies
        images[i + 1] = images[i]
    src.splits["train"] = SplitData(ids=src.splits["train"].ids, labels=src.splits["train"].labels, images=images)
    out = carve_validation(src, fraction=0.2, seed=1)
    train_bytes = {img.tobytes() for img in out.split("train").images}
    assert not any(img.tobytes() in train_bytes for img in out.split("val").images)
    assert "grouped by identical content" in out.notes[-1]
    assert carve_validation(source(n=100), fraction=0.2, seed=1).notes[-1].count("identical") == 0
