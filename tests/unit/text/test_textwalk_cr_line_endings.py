"""A CSV/TSV whose lines end in a bare CR (classic Mac OS, some lab-system exports): the header was
read with ``csv.reader`` over ``io.StringIO(text)``, which breaks lines at LF only, and every verb
that reads the file stopped with a ``_csv.Error`` traceback. Lines end at LF, CRLF or CR, as pandas
and :func:`meddx.data.text_rows.physical_lines` read them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from meddx.data.text import load_text_source

CANARY = "CANARYPHI8810"


def _write(path: Path, delimiter: str) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r")
    writer.writerow(["text", "label"])
    for i in range(12):
        note = f"Patient {i} {CANARY} seen today.\r\nPlan: review" if i == 3 else f"Patient {i} seen with finding {i}."
        writer.writerow([note, "cardio" if i % 2 else "neuro"])
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


@pytest.mark.parametrize(("name", "delimiter"), [("notes.csv", ","), ("notes.tsv", "\t")])
def test_a_file_with_cr_line_endings_is_read(tmp_path: Path, name: str, delimiter: str) -> None:
    source = load_text_source(_write(tmp_path / name, delimiter))
    train = source.splits["train"]
    assert len(train.ids) == 12 and source.label_names == ["cardio", "neuro"]
    assert train.texts[3].endswith("seen today.\r\nPlan: review")  # a quoted cell's line break stays in it
    assert source.columns["text"] == "text" and source.columns["label"] == "label"


def test_verify_fix_keeps_cr_line_endings(tmp_path: Path) -> None:
    from meddx.data.text_rows import write_kept_rows

    path = _write(tmp_path / "notes.csv", ",")
    source = load_text_source(path)
    out = write_kept_rows(source, source, tmp_path / "clean.csv")
    assert out.read_bytes() == path.read_bytes()  # nothing removed: the same bytes, CR endings kept
