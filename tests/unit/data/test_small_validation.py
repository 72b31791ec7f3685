"""A validation split too small, or without a class training has, is named in the source's notes.

A 6-row text CSV carved a validation split of one document, and the epoch, temperature and
threshold were then chosen on it without a word. Every kind (images, documents, tables, series)
now gets a ``small validation split:`` note, carved or given; training is not refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.data.base import ImageSource, SplitData
from meddx.data.sources import load_source
from meddx.data.splits import carve_validation
from meddx.data.val_checks import NOTE_START, small_validation_note
from tests.unit.data.csv_files import write_csv

WORDS = ["chest pain radiating to the left arm", "fever and productive cough for three days",
         "crushing chest pain with sweating at rest", "mild headache resolved with rest and fluids"]


def _small(notes: list[str]) -> list[str]:
    return [n for n in notes if n.startswith(NOTE_START)]


def _documents(n: int, split: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    rows = [[f"{WORDS[i % 4]} case {i}", "cardiac" if i % 2 == 0 else "other"] for i in range(n)]
    if split is None:
        return ["text", "label"], rows
    return ["text", "label", "split"], [[*r, s] for r, s in zip(rows, split)]


def test_a_six_row_text_csv_carves_one_document_and_says_so(tmp_path: Path) -> None:
    header, rows = _documents(6)
    source = load_source(write_csv(tmp_path / "six.csv", header, rows))
    assert len(source.splits["val"]) == 1  # training goes on: nothing is refused
    (note,) = _small(source.notes)
    assert "1 sample(s) (fewer than 10)" in note and "no sample of class(es)" in note
    assert "threshold" in note and "temperature" in note and "early-stopping" in note
    assert not any(word in note for word in ("chest", "fever", "headache"))  # no document text (PHI)


def test_a_given_one_class_val_split_of_a_text_file_is_named(tmp_path: Path) -> None:
    header, rows = _documents(40, ["train"] * 36 + ["val"] * 4)
    rows[-4:] = [[r[0], "other", r[2]] for r in rows[-4:]]
    source = load_source(write_csv(tmp_path / "given.csv", header, rows))
    (note,) = _small(source.notes)
    assert "4 sample(s)" in note and "'cardiac'" in note


def test_a_large_enough_val_with_every_class_gets_no_note(tmp_path: Path) -> None:
    header, rows = _documents(200)
    source = load_source(write_csv(tmp_path / "big.csv", header, rows))
    assert len(source.splits["val"]) == 20 and not _small(source.notes)


def test_a_small_carved_table_split_is_named(tmp_path: Path) -> None:
    rows = [[f"{i}", f"{60 + i % 7}", f"{1.5 * (i % 5):.1f}", "yes" if i % 3 == 0 else "no"] for i in range(30)]
    source = load_source(write_csv(tmp_path / "t.csv", ["id", "age", "lactate", "label"], rows))
    assert source.modality == "tabular" and len(source.splits["val"]) == 3
    (note,) = _small(source.notes)
    assert "3 sample(s)" in note


def test_a_given_table_val_split_without_a_class_is_named(tmp_path: Path) -> None:
    rows = [[f"{i}", f"{60 + i % 7}", f"{1.5 * (i % 5):.1f}", "yes" if i % 2 == 0 else "no", "val" if i >= 80 else "train"]
            for i in range(100)]
    for row in rows[80:]:
        row[3] = "no"
    source = load_source(write_csv(tmp_path / "t.csv", ["id", "age", "lactate", "label", "split"], rows))
    (note,) = _small(source.notes)
    assert "20 sample(s)" not in note and "no sample of class(es) 'yes'" in note


def test_a_series_source_with_a_small_given_val_is_named(tmp_path: Path) -> None:
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv

    series, labels = write_long_csv(make_threshold_series(20, seed=4), tmp_path)
    source = load_source(series, options={"labels_file": str(labels), "patient_column": "subject_id"})
    assert len(source.splits["val"]) == 4
    (note,) = _small(source.notes)
    assert "4 sample(s)" in note


def _images(labels: list[int], patients: list[str] | None = None) -> ImageSource:
    images = np.random.default_rng(0).integers(0, 256, (len(labels), 1, 8, 8)).astype(np.int32)
    split = SplitData(ids=[f"s{i}" for i in range(len(labels))], labels=np.asarray(labels, dtype=np.int64),
                      patient_ids=patients, images=images)
    return ImageSource("toy", "memory", "binary", ["normal", "lesion"], 2, {"train": split})


def test_an_image_carve_of_few_patients_is_named() -> None:
    labels = [0, 1] * 40
    source = carve_validation(_images(labels, [f"p{i % 8}" for i in range(80)]))
    assert len(set(source.splits["val"].patient_ids)) < 3
    (note,) = _small(source.notes)
    assert "patient(s) (fewer than 3)" in note
    assert _small(carve_validation(_images([0, 1] * 60)).notes) == []  # 12 of 120, both classes: fine


def test_multilabel_val_without_a_label_is_named() -> None:
    train = SplitData(ids=list("abcd"), labels=np.asarray([[1, 0], [0, 1], [1, 1], [1, 0]]), texts=["x"] * 4)
    val = SplitData(ids=["e"], labels=np.asarray([[1, 0]]), texts=["y"])
    source = ImageSource("toy", "memory", "multilabel", ["flu", "copd"], 0, {"train": train, "val": val})
    note = small_validation_note(source)
    assert note is not None and "no sample of label(s) 'copd'" in note


@pytest.mark.parametrize("split", [None, "val"])
def test_no_note_without_both_splits(split: str | None) -> None:
    data = SplitData(ids=["a"], labels=np.asarray([0]), texts=["x"])
    source = ImageSource("toy", "memory", "binary", ["a", "b"], 0, {split or "train": data})
    assert small_validation_note(source) is None


def test_class_names_of_a_source_read_as_swapped_are_not_quoted(tmp_path: Path) -> None:
    from meddx.data.text import load_text_source

    notes = [f"Quillfeather {i} presented with chest pain radiating to the left arm" for i in range(24)]
    rows = [[dept, note, "val" if i >= 20 else "train"] for i, (note, dept) in
            enumerate(zip(notes, ["cardiology", "oncology", "neurology"] * 8))]
    path = write_csv(tmp_path / "swapped.csv", ["text", "label", "split"], rows)  # the notes are in 'label'
    source = load_text_source(path, check_swapped=False)  # as data verify reads it
    assert source.columns.get("looks_swapped")
    (note,) = _small(source.notes)
    assert "20 class(es) (not named" in note and "Quillfeather" not in note


def test_an_image_folder_with_a_given_small_val_split_is_named(tmp_path: Path) -> None:
    """Split folders (train/val) give val as it is; only the carve and the text/table/series readers checked it."""
    from PIL import Image

    for split, n in (("train", 12), ("val", 1)):
        for cls in ("normal", "lesion"):
            folder = tmp_path / split / cls
            folder.mkdir(parents=True)
            for i in range(n if cls == "normal" else 12 if split == "train" else 0):
                Image.fromarray(np.full((8, 8), 40 * i % 255, np.uint8)).save(folder / f"{i}.png")
    (note,) = _small(load_source(tmp_path).notes)
    assert "1 sample(s) (fewer than 10)" in note and "class(es) 'lesion'" in note
