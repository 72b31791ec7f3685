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


def test_paths_with_spaces_and_unicode_and_ids_that_differ_in_leading_zeros(tmp_path: Path) -> None:
    """A hospital export: file names with spaces and accents; patient ids as text ("007") in one
    export and as numbers (7) in another. The ids stay distinct (compared as written) but a note
    says so, since verify would otherwise miss that patient on two sides of the split (audit)."""
    folder = tmp_path / "sub dir"
    folder.mkdir()
    for i, name in enumerate(["a b.png", "ünï cödé.png", "c.png", "d.png"]):
        Image.fromarray(np.full((4, 4), i, np.uint8)).save(folder / name)
    (tmp_path / "m.csv").write_text("path,label,patient_id,split\nsub dir/a b.png,neg,007,train\n"
                                    "sub dir/ünï cödé.png,pos,7,test\nsub dir/c.png,neg,12,train\n"
                                    "sub dir/d.png,pos,012,train\n", encoding="utf-8")
    src = load_manifest(tmp_path / "m.csv")
    assert src.split("test").paths == [str(folder / "ünï cödé.png")]
    assert src.split("test").patient_ids == ["7"] and src.split("train").patient_ids == ["007", "12", "012"]
    assert int(src.get_image("test", 0)[0, 0, 0]) == 1
    notes = [n for n in src.notes if "leading zeros" in n]
    assert len(notes) == 1 and "2 patient id" in notes[0]
    assert "'007' and '7'" in notes[0] and "'012' and '12'" in notes[0]


def test_a_manifest_written_on_windows_finds_its_files(tmp_path: Path) -> None:
    """``img\\0.png`` (a CSV exported on Windows) was "not found" on Linux and macOS (audit)."""
    names = images(tmp_path / "img", 2)
    (tmp_path / "m.csv").write_text("path,label\n" + "".join(f"{n.replace('/', chr(92))},{i}\n"
                                                              for i, n in enumerate(names)))
    src = load_manifest(tmp_path / "m.csv")
    assert src.split("train").paths == [str(tmp_path / "img" / "0.png"), str(tmp_path / "img" / "1.png")]
    assert src.split("train").ids == ["img\\0.png", "img\\1.png"]
    (tmp_path / "m.csv").write_text("path,label\nimg\\0.png,0\nimg\\9.png,1\n")
    with pytest.raises(DataError, match=r"line 3: file 'img\\\\9.png' not found"):
        load_manifest(tmp_path / "m.csv")


def test_labels_differing_only_in_case_or_spacing_are_named_in_a_note(tmp_path: Path) -> None:
    names = images(tmp_path / "img", 4)
    labels = ["Normal", "normal ", "Pleural effusion", "pleural_effusion"]
    (tmp_path / "m.csv").write_text("path,label\n" + "".join(f"{n},{lab}\n" for n, lab in zip(names, labels)))
    src = load_manifest(tmp_path / "m.csv")
    assert src.label_names == ["Normal", "Pleural effusion", "normal", "pleural_effusion"]  # as written
    notes = [n for n in src.notes if "differ only in case" in n]
    assert len(notes) == 1 and "'Normal' and 'normal'" in notes[0]
    assert "'Pleural effusion' and 'pleural_effusion'" in notes[0]


def test_a_manifest_saved_in_the_windows_code_page_names_the_line_and_the_fix(tmp_path: Path) -> None:
    """Excel's plain "CSV" (cp1252): pandas' message gave no line (and counts within its read
    chunk) and no way out (audit). A UTF-8 file with a byte-order mark (Excel "CSV UTF-8") reads."""
    names = images(tmp_path / "img", 2)
    body = "path,label\n" + "".join(f"{names[0]},a\n" for _ in range(3000)) + f"{names[1]},bé\n"
    (tmp_path / "m.csv").write_bytes(body.encode("cp1252"))
    with pytest.raises(DataError) as err:
        load_manifest(tmp_path / "m.csv")
    assert "line 3002: not UTF-8 text (byte 0xe9)" in str(err.value) and "CSV UTF-8" in str(err.value)
    (tmp_path / "m.csv").write_bytes(f"path,label\r\n{names[0]},a\r\n{names[1]},bé\r\n".encode("utf-8-sig"))
    assert load_manifest(tmp_path / "m.csv").label_names == ["a", "bé"]


def test_a_semicolon_separated_manifest_is_named_as_such(tmp_path: Path) -> None:
    """Excel in a decimal-comma locale writes ``path;label``: it went to the text reader, whose
    "no 'label' column ... --text-column" never mentioned the separator (audit)."""
    names = images(tmp_path / "img", 2)
    (tmp_path / "m.csv").write_text("path;label\n" + "".join(f"{n};{i}\n" for i, n in enumerate(names)))
    with pytest.raises(DataError) as err:
        load_source(tmp_path / "m.csv")
    assert str(err.value).startswith(str(tmp_path / "m.csv")) and "columns separated by ';'" in str(err.value)
    (tmp_path / "m.csv").write_text("path,label,note\n" + "".join(f"{n},{i},a;b\n" for i, n in enumerate(names)))
    assert load_source(tmp_path / "m.csv", carve_val=False).label_names == ["0", "1"]  # ';' inside a cell is fine
