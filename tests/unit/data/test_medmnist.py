"""MedMNIST npz reading, name resolution under MEDDX_HOME and the offline/download errors."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data import medmnist
from meddx.data.info import source_info
from meddx.data.medmnist import load_medmnist, load_medmnist_file, parse_name
from meddx.data.sources import load_source


def make_npz(path: Path, image_shape: tuple[int, ...], n: tuple[int, int, int] = (6, 3, 4),
             classes: int = 2, multilabel: int = 0, label_shape_n1: bool = True) -> Path:
    rng = np.random.default_rng(0)
    arrays = {}
    for split, k in zip(("train", "val", "test"), n):
        arrays[f"{split}_images"] = rng.integers(0, 255, (k, *image_shape), dtype=np.uint8)
        if multilabel:
            arrays[f"{split}_labels"] = rng.integers(0, 2, (k, multilabel), dtype=np.uint8)
        else:
            labels = (np.arange(k) % classes).astype(np.uint8)
            arrays[f"{split}_labels"] = labels[:, None] if label_shape_n1 else labels
    np.savez(path, **arrays)
    return path


def test_known_flag_grey_2d(tmp_path: Path) -> None:
    src = load_medmnist_file(make_npz(tmp_path / "pneumoniamnist.npz", (28, 28)))
    assert src.name == "pneumoniamnist" and src.task == "binary"
    assert src.label_names == ["normal", "pneumonia"] and src.spatial_dims == 2
    train = src.split("train")
    assert train.images.shape == (6, 1, 28, 28) and train.images.dtype == np.uint8
    assert train.labels.shape == (6,) and train.labels.dtype == np.int64
    assert train.ids[:2] == ["train-0", "train-1"] and src.split("test").ids[-1] == "test-3"
    assert any("split sizes" in n for n in src.notes) and any("MD5" in n for n in src.notes)
    again = load_medmnist_file(tmp_path / "pneumoniamnist.npz")
    assert again.split("val").ids == src.split("val").ids


def test_rgb_unknown_name_infers_multiclass(tmp_path: Path) -> None:
    src = load_medmnist_file(make_npz(tmp_path / "mine.npz", (8, 8, 3), classes=3, label_shape_n1=False))
    assert src.task == "multiclass" and src.label_names == ["class_0", "class_1", "class_2"]
    images = src.split("train").images
    raw = np.load(tmp_path / "mine.npz")["train_images"]
    assert images.shape == (6, 3, 8, 8)
    np.testing.assert_array_equal(images[2], raw[2].transpose(2, 0, 1))


def test_3d_and_multilabel(tmp_path: Path) -> None:
    src = load_medmnist_file(make_npz(tmp_path / "adrenalmnist3d_64.npz", (5, 5, 5)))
    assert src.name == "adrenalmnist3d_64" and src.spatial_dims == 3
    assert src.split("train").images.shape == (6, 1, 5, 5, 5)
    assert src.label_names == ["normal", "hyperplasia"]
    info = source_info(src)
    assert info["splits"]["train"]["shapes"] == [{"shape": [1, 5, 5, 5], "count": 6}]
    assert info["splits"]["val"]["class_counts"] == {"normal": 2, "hyperplasia": 1}
    assert 0 <= info["splits"]["test"]["intensity"]["min"] <= info["splits"]["test"]["intensity"]["max"] <= 255

    ml = load_medmnist_file(make_npz(tmp_path / "tags.npz", (8, 8), multilabel=4))
    assert ml.task == "multilabel" and ml.split("train").labels.shape == (6, 4)
    assert ml.num_classes == 4
    counts = source_info(ml)["splits"]["train"]["class_counts"]  # positives per label
    assert list(counts) == ["class_0", "class_1", "class_2", "class_3"]
    assert sum(counts.values()) == int(ml.split("train").labels.sum())


def test_missing_keys_lists_found_and_expected(tmp_path: Path) -> None:
    np.savez(tmp_path / "bad.npz", x_train=np.zeros((2, 4, 4)), y_train=np.zeros(2))
    with pytest.raises(DataError) as err:
        load_medmnist_file(tmp_path / "bad.npz")
    msg = str(err.value)
    assert "found keys: x_train, y_train" in msg and "expected train_images, train_labels" in msg


def test_name_resolution_under_meddx_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("MEDDX_HOME", str(home))
    (home / "datasets").mkdir(parents=True)
    make_npz(home / "datasets" / "pneumoniamnist.npz", (28, 28))
    make_npz(home / "datasets" / "adrenalmnist3d_64.npz", (4, 4, 4))
    monkeypatch.setattr(medmnist, "_download", _no_network)
    src = load_source("medmnist:pneumoniamnist")
    assert src.origin == str(home / "datasets" / "pneumoniamnist.npz") and set(src.splits) == {"train", "val", "test"}
    assert load_medmnist("medmnist:adrenalmnist3d_64").spatial_dims == 3
    assert parse_name("medmnist:PneumoniaMNIST_224") == ("pneumoniamnist", 224)
    with pytest.raises(DataError, match="did you mean pneumoniamnist"):
        parse_name("pneumoniamnst")
    with pytest.raises(DataError, match="size 224 does not exist for adrenalmnist3d"):
        parse_name("adrenalmnist3d_224")


def _no_network(url: str, dest: Path, md5: str | None) -> None:
    raise OSError("network is unreachable")


def test_offline_error_names_file_and_url(meddx_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(medmnist, "_download", _no_network)
    with pytest.raises(DataError) as err:
        load_source("medmnist:breastmnist_64")
    msg = str(err.value)
    assert str(meddx_home / "datasets" / "breastmnist_64.npz") in msg
    assert "https://zenodo.org/records/10519652/files/breastmnist_64.npz?download=1" in msg
    assert "network is unreachable" in msg


class _FakeResponse(io.BytesIO):
    def __enter__(self) -> "_FakeResponse":
        return self


def test_download_checks_md5_and_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = b"not really an npz"
    monkeypatch.setattr("urllib.request.urlopen", lambda url, timeout: _FakeResponse(payload))
    dest = tmp_path / "x.npz"
    with pytest.raises(DataError, match="expected 0123"):
        medmnist._download("https://example.org/x.npz", dest, "0123")
    assert list(tmp_path.iterdir()) == []
    medmnist._download("https://example.org/x.npz", dest, hashlib.md5(payload).hexdigest())
    assert dest.read_bytes() == payload and list(tmp_path.iterdir()) == [dest]
