"""CSV manifests: columns, relative/absolute paths, multi-label, splits and row-level errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.manifest import load_manifest
from meddx.data.sources import load_source


def images(folder: Path, n: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        Image.fromarray(np.full((4, 4), i * 10, np.uint8)).save(folder / f"{i}.png")
        names.append(f"img/{i}.png")
    return names


def test_manifest_with_patients_and_splits(tmp_path: Path) -> None:
    names = images(tmp_path / "img", 6)
    rows = ["path,label,patient_id,split"]
    for i, name in enumerate(names):
        rows.append(f"{name},{'10' if i % 2 else '2'},p{i // 2},{['Train', 'train', 'validation', 'val', 'TEST', 'test'][i]}")
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    src = load_manifest(tmp_path / "m.csv")
    assert src.label_names == ["2", "10"] and src.task == "binary"  # numeric order, not "10" < "2"
    assert list(src.splits) == ["train", "val", "test"]
    train = src.split("train")
    assert train.ids == ["img/0.png", "img/1.png"] and train.patient_ids == ["p0", "p0"]
    assert train.labels.tolist() == [0, 1] and train.paths[0] == str(tmp_path / "img" / "0.png")
    assert src.get_image("test", 1).shape == (1, 4, 4)


def test_absolute_paths_multilabel_and_no_split_column(tmp_path: Path) -> None:
    images(tmp_path / "img", 3)
    p = [tmp_path / "img" / f"{i}.png" for i in range(3)]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.csv").write_text(f"path,label\n{p[0]},effusion|mass\n{p[1]},\n{p[2]},mass\n")
    src = load_manifest(tmp_path / "sub" / "m.csv")
    assert src.task == "multilabel" and src.label_names == ["effusion", "mass"]
    assert src.split("train").labels.tolist() == [[1, 1], [0, 0], [0, 1]]
    assert list(src.splits) == ["train"]


def test_missing_columns(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("path,diagnosis\nimg/0.png,a\n")
    with pytest.raises(DataError) as err:
        load_manifest(tmp_path / "m.csv")
    assert str(err.value) == (
        f"{tmp_path / 'm.csv'}: no 'label' column; found columns: path, diagnosis; "
        "expected path,label[,patient_id][,split]"
    )
    (tmp_path / "n.csv").write_text("file,label\nimg/0.png,a\n")
    with pytest.raises(DataError, match="no 'path' column; found columns: file, label"):
        load_manifest(tmp_path / "n.csv")


def test_row_errors_name_the_line(tmp_path: Path) -> None:
    names = images(tmp_path / "img", 2)
    (tmp_path / "m.csv").write_text(f"path,label\n{names[0]},a\nimg/missing.png,b\n")
    with pytest.raises(DataError, match=r"line 3: file 'img/missing.png' not found"):
        load_manifest(tmp_path / "m.csv")
    (tmp_path / "s.csv").write_text(f"path,label,split\n{names[0]},a,train\n{names[1]},b,holdout\n")
    with pytest.raises(DataError, match="line 3: unknown split 'holdout'"):
        load_manifest(tmp_path / "s.csv")
    (tmp_path / "d.csv").write_text(f"path,label\n{names[0]},a\n{names[0]},b\n")
    with pytest.raises(DataError, match="already listed on line 2"):
        load_manifest(tmp_path / "d.csv")
    (tmp_path / "e.csv").write_text(f"path,label\n{names[0]},a\n{names[1]},\n")
    with pytest.raises(DataError, match="line 3: empty label"):
        load_manifest(tmp_path / "e.csv")


def test_load_source_dispatches_csv_and_groups_val_by_patient(tmp_path: Path) -> None:
    names = images(tmp_path / "img", 20)
    rows = ["path,label,patient_id"] + [f"{n},{'ab'[i % 2]},pt{i // 4}" for i, n in enumerate(names)]
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    src = load_source(tmp_path / "m.csv", val_fraction=0.2)
    train_p, val_p = set(src.split("train").patient_ids), set(src.split("val").patient_ids)
    assert val_p and not train_p & val_p
