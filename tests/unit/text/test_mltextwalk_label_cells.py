"""Multi-label cells read with ``--label-delimiter``: a cell of delimiters only (``;``, `` ; ``) is a
missing label, refused as an empty cell is (it was read silently as "none of the labels" while an
empty cell was refused); the refusal says how to write "none" (``[]``) in a delimited file; spacing
and repeats inside a cell, numeric labels and ``[]`` still read as before (guards)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source


def _write(path: Path, labels: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows([f"Note {i} about finding {i} seen in clinic today.", lab] for i, lab in enumerate(labels))
    return path


BASE = ["asthma", "diabetes", "asthma;diabetes", "[]", "diabetes", "asthma"]


@pytest.mark.parametrize("only_delimiters", [";", " ; ", ";;"])
def test_a_cell_of_delimiters_only_is_a_missing_label(tmp_path: Path, only_delimiters: str) -> None:
    path = _write(tmp_path / "notes.csv", [*BASE, only_delimiters])
    with pytest.raises(DataError, match=r"1 row\(s\) without a label \(rows 7\)") as err:
        load_text_source(path, label_delimiter=";")
    assert "write []" in str(err.value) and "\n" not in str(err.value)


def test_an_empty_cell_under_a_delimiter_names_how_to_write_none(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.csv", [*BASE, ""])
    with pytest.raises(DataError, match=r"with --label-delimiter an empty cell.* write \[\] for a document with none"):
        load_text_source(path, label_delimiter=";")


def test_guard_spacing_repeats_and_none_read_as_label_sets(tmp_path: Path) -> None:
    path = _write(tmp_path / "notes.csv", [*BASE, " asthma ; diabetes ", "asthma;asthma"])
    source = load_text_source(path, label_delimiter=";")
    assert source.task == "multilabel" and source.label_names == ["asthma", "diabetes"]
    assert source.splits["train"].labels.tolist() == [[1, 0], [0, 1], [1, 1], [0, 0], [0, 1], [1, 0], [1, 1], [1, 0]]


def test_guard_numeric_codes_in_jsonl_still_read_under_a_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    rows = [(1, "1"), (2, "2"), (3, "1;2"), (4, 2)]
    path.write_text("".join(f'{{"text": "Note {i} about finding {i} in clinic.", "label": {lab!r}}}\n'.replace("'", '"')
                            for i, lab in rows))
    source = load_text_source(path, label_delimiter=";")
    assert source.label_names == ["1", "2"]
    assert source.splits["train"].labels.tolist() == [[1, 0], [0, 1], [1, 1], [0, 1]]
