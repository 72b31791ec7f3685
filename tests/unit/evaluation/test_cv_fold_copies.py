"""``meddx cv`` folds with patient ids: an image filed under two patient ids (byte-identical
files) must not sit in one fold's training part and in its test part, just as the validation
carve keeps such patients together (audit 56: ``make_folds`` grouped by patient id alone)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from meddx.data.base import SplitData
from meddx.evaluation.cv import make_folds


def _split_with_copies(tmp_path: Path) -> tuple[SplitData, list[tuple[int, int]]]:
    """40 files of 40 patients; files 2i and 2i+1 of the first 12 pairs hold the same bytes."""
    rng = np.random.default_rng(0)
    paths, pairs = [], []
    for i in range(40):
        path = tmp_path / f"{i:02d}.bin"
        content = rng.bytes(64) if i % 2 == 0 or i >= 24 else (tmp_path / f"{i - 1:02d}.bin").read_bytes()
        path.write_bytes(content)
        paths.append(str(path))
        if i % 2 == 1 and i < 24:
            pairs.append((i - 1, i))
    labels = np.array([(i // 2) % 2 for i in range(40)], dtype=np.int64)
    split = SplitData(ids=[f"s{i}" for i in range(40)], labels=labels, patient_ids=[f"p{i}" for i in range(40)],
                      paths=paths)
    return split, pairs


def test_folds_keep_patients_sharing_a_file_together(tmp_path: Path) -> None:
    split, pairs = _split_with_copies(tmp_path)
    for seed in range(3):
        folds, how = make_folds(split, "manifest.csv", k=4, seed=seed)
        fold_of = np.empty(len(split), dtype=int)
        for k, test in enumerate(folds):
            fold_of[test] = k
        assert sorted(np.concatenate(folds).tolist()) == list(range(len(split)))
        split_pairs = [(a, b) for a, b in pairs if fold_of[a] != fold_of[b]]
        assert split_pairs == [], f"seed {seed}: copies in two folds: {split_pairs}"
        assert "identical content" in how


def test_folds_without_copies_group_by_patient_only(tmp_path: Path) -> None:
    split, _ = _split_with_copies(tmp_path)
    unique = split.subset(list(range(24, 40)))  # no shared bytes among these
    folds, how = make_folds(unique, "manifest.csv", k=2, seed=0)
    assert "identical content" not in how and "grouped by patient" in how
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(unique)))
