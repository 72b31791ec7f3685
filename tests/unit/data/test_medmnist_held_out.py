"""A MedMNIST-style ``.npz`` of held-out splits only (``val_*`` and ``test_*``).

Found by a docs audit: ``meddx federated server --eval-data held_out.npz`` refused such a file
("missing MedMNIST keys ... expected train_images"), although the coordinator's data are held out by
design. The reader now accepts any non-empty subset of the splits inside ``held_out_allowed``; without
it (training) the file is refused in one line naming the file and the missing arrays, and a split with
one of its two arrays is refused naming the missing key.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.base import held_out_allowed
from meddx.data.medmnist import load_medmnist_file


def _arrays(n: int, shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8), (np.arange(n) % 2)[:, None]


def held_out_npz(path: Path, shape: tuple[int, ...] = (12, 12), splits: tuple[str, ...] = ("val", "test")) -> Path:
    arrays = {}
    for i, split in enumerate(splits):
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = _arrays(6 + 2 * i, shape, seed=i)
    np.savez(path, **arrays)
    return path


def test_val_and_test_only_is_read_where_held_out_data_are_allowed(tmp_path: Path) -> None:
    path = held_out_npz(tmp_path / "held_out.npz")
    with held_out_allowed():
        source = load_medmnist_file(path)
    assert list(source.splits) == ["val", "test"] and source.spatial_dims == 2
    assert source.split("val").images.shape == (6, 1, 12, 12) and len(source.split("test")) == 8
    assert source.task == "binary" and source.label_names == ["class_0", "class_1"]
    assert any("no train split in the file" in note for note in source.notes)
    with held_out_allowed():  # a single held-out split, 3D: dims and task from that split
        volumes = load_medmnist_file(held_out_npz(tmp_path / "vol.npz", (4, 5, 6), splits=("test",)))
    assert list(volumes.splits) == ["test"] and volumes.spatial_dims == 3
    assert volumes.split("test").images.shape[1:] == (1, 4, 5, 6)


def test_without_train_arrays_training_refuses_in_one_line_naming_file_and_arrays(tmp_path: Path) -> None:
    path = held_out_npz(tmp_path / "held_out.npz")
    with pytest.raises(DataError) as err:
        load_medmnist_file(path)  # outside held_out_allowed: what `meddx train` gets
    msg = str(err.value)
    assert msg.startswith(f"{path}: no training arrays") and "\n" not in msg
    assert "train_images, train_labels missing" in msg and "val_images" in msg  # what is missing, what is there


@pytest.mark.parametrize("drop", ["val_labels", "test_images", "train_labels"])
def test_a_split_with_one_of_its_two_arrays_is_refused_naming_the_missing_key(tmp_path: Path, drop: str) -> None:
    arrays = {}
    for i, split in enumerate(("train", "val", "test")):
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = _arrays(6, (8, 8), seed=i)
    del arrays[drop]
    np.savez(tmp_path / "half.npz", **arrays)
    split = drop.split("_")[0]
    other = f"{split}_labels" if drop.endswith("images") else f"{split}_images"
    with held_out_allowed(), pytest.raises(DataError) as err:
        load_medmnist_file(tmp_path / "half.npz")
    assert f"{other} without {drop}" in str(err.value) and "\n" not in str(err.value)
