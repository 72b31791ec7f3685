"""Class-per-folder sources and the load_source dispatch around them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.imagefolder import load_imagefolder
from meddx.data.sources import load_source


def put(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (8, 8), dtype=np.uint8)).save(path)
    return path


def test_flat_class_folders_go_to_train(tmp_path: Path) -> None:
    for i in range(3):
        put(tmp_path / "normal" / f"n{i}.png", i)
        put(tmp_path / "pneumonia" / f"p{i}.png", 10 + i)
    (tmp_path / "normal" / "readme.txt").write_text("not an image")
    (tmp_path / "normal" / ".DS_Store").write_bytes(b"\0")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    src = load_imagefolder(tmp_path)
    assert src.task == "binary" and src.label_names == ["normal", "pneumonia"]
    assert list(src.splits) == ["train"] and src.spatial_dims == 2
    train = src.split("train")
    assert train.ids == [f"normal/n{i}.png" for i in range(3)] + [f"pneumonia/p{i}.png" for i in range(3)]
    assert train.labels.tolist() == [0, 0, 0, 1, 1, 1] and train.paths[0] == str(tmp_path / "normal" / "n0.png")
    assert any("ignored 1 non-image" in n for n in src.notes)
    assert src.get_image("train", 0).shape == (1, 8, 8)


def test_split_folders_case_insensitive(tmp_path: Path) -> None:
    seed = 0
    for split, n in (("Training", 3), ("Testing", 2)):
        for c in ("glioma", "meningioma", "pituitary"):
            for i in range(n):
                seed += 1
                put(tmp_path / split / c / f"{c}{i}.jpg", seed)
    src = load_imagefolder(tmp_path)
    assert list(src.splits) == ["train", "test"] and src.task == "multiclass"
    assert src.label_names == ["glioma", "meningioma", "pituitary"]
    assert src.split("test").ids[0] == "Testing/glioma/glioma0.jpg"
    assert src.split("test").labels.tolist() == [0, 0, 1, 1, 2, 2]


def test_class_missing_from_a_split_is_fine_and_a_test_only_class_loads(tmp_path: Path) -> None:
    put(tmp_path / "train" / "a" / "1.png")
    put(tmp_path / "train" / "b" / "1.png", 1)
    put(tmp_path / "val" / "a" / "1.png", 2)
    assert load_imagefolder(tmp_path).split("val").labels.tolist() == [0]
    put(tmp_path / "test" / "c" / "1.png", 3)
    # loads as a CSV manifest does: `data info|verify` report the class, `train` refuses it
    # (tests/unit/data/test_verify_audit.py)
    src = load_imagefolder(tmp_path)
    assert src.label_names == ["a", "b", "c"] and src.split("test").labels.tolist() == [2]


def test_layout_errors(tmp_path: Path) -> None:
    put(tmp_path / "one" / "only" / "1.png")
    with pytest.raises(DataError, match="expected at least 2 class sub-folders"):
        load_imagefolder(tmp_path / "one")
    put(tmp_path / "mixed" / "train" / "a" / "1.png")
    put(tmp_path / "mixed" / "cats" / "1.png")
    with pytest.raises(DataError, match="mixes split folders"):
        load_imagefolder(tmp_path / "mixed")
    put(tmp_path / "twice" / "train" / "a" / "1.png")
    put(tmp_path / "twice" / "Training" / "a" / "1.png")
    with pytest.raises(DataError, match="both mean split 'train'"):
        load_imagefolder(tmp_path / "twice")
    put(tmp_path / "seg" / "imagesTr" / "1.png")
    put(tmp_path / "seg" / "labelsTr" / "1.png")
    with pytest.raises(DataError, match="segmentation layout"):
        load_imagefolder(tmp_path / "seg")


def test_load_source_carves_val_and_refuses_unlabelled_inputs(tmp_path: Path) -> None:
    for c in ("a", "b"):
        for i in range(10):
            put(tmp_path / "data" / c / f"{i}.png", i + (100 if c == "b" else 0))
    src = load_source(tmp_path / "data", val_fraction=0.2, seed=1)
    assert set(src.splits) == {"train", "val"}
    assert len(src.split("val")) == 4 and sorted(src.split("val").labels.tolist()) == [0, 0, 1, 1]
    assert any("validation carved" in n for n in src.notes) and any("no test split" in n for n in src.notes)
    assert load_source(tmp_path / "data", val_fraction=0.2, seed=1).split("val").ids == src.split("val").ids

    with pytest.raises(DataError, match="no such file or folder; expected a folder"):
        load_source(tmp_path / "nope")
    with pytest.raises(DataError, match="single PNG/JPEG/BMP/TIFF image has no label"):
        load_source(tmp_path / "data" / "a" / "0.png")
    put(tmp_path / "flat" / "1.png")
    with pytest.raises(DataError, match="without class sub-folders"):
        load_source(tmp_path / "flat")


def test_class_folders_holding_only_series_folders_say_to_list_them_in_a_manifest(tmp_path: Path) -> None:
    """The layout of ../shared/data/dicom-mr-series (<class>/<series folder>/*.dcm): the error named
    no folder and gave no way forward; it names the nested folders and the manifest that reads them."""
    for cls, series in (("Study1", "13_HCropVolume"), ("Study2", "14_HCropVolume")):
        put(tmp_path / cls / series / "1.png")
    with pytest.raises(DataError) as err:
        load_imagefolder(tmp_path)
    message = str(err.value)
    assert "\n" not in message
    assert "Study1/13_HCropVolume, Study2/14_HCropVolume" in message
    assert "CSV manifest" in message


def test_the_ignored_note_names_only_what_was_ignored(tmp_path: Path) -> None:
    """Found by a review: sub-folders alone were reported as 'ignored 0 non-image file(s) and 1 sub-folder(s)'."""
    for i in range(2):
        put(tmp_path / "only_dirs" / "normal" / f"n{i}.png", i)
        put(tmp_path / "only_dirs" / "pneumonia" / f"p{i}.png", 10 + i)
    (tmp_path / "only_dirs" / "normal" / "extra").mkdir()
    notes = [n for n in load_imagefolder(tmp_path / "only_dirs").notes if n.startswith("ignored")]
    assert notes == ["ignored 1 sub-folder(s) inside class folders"]
    (tmp_path / "only_dirs" / "pneumonia" / "readme.txt").write_text("not an image")
    notes = [n for n in load_imagefolder(tmp_path / "only_dirs").notes if n.startswith("ignored")]
    assert notes == ["ignored 1 non-image file(s) and 1 sub-folder(s) inside class folders"]
    (tmp_path / "only_dirs" / "normal" / "extra").rmdir()
    notes = [n for n in load_imagefolder(tmp_path / "only_dirs").notes if n.startswith("ignored")]
    assert notes == ["ignored 1 non-image file(s) inside class folders"]
