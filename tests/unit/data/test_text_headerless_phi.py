"""A notes CSV exported without its header line, whose first note is short (under the header-size
limit of ``check_header``): the note was read as the text column's name, quoted in the column notes and
in errors ("available columns: ...") and written into the bundle's config and model card, and the
first document was left out of the data. The label column's name then equals the class of many rows,
which no real header does: the file is refused, naming rows, never the line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.synthetic_text import keyword_documents
from meddx.data.text import load_text_source

CANARY = "Qzheaderlessvexlor"
CLASSES = ("cardiology", "neurology", "oncology")


def _notes(path: Path, header: list[str] | None) -> Path:
    texts, labels = keyword_documents(30, seed=2)
    rows = [[t, CLASSES[y]] for t, y in zip(texts, labels)]
    rows[0] = [f"Mr {CANARY} seen today", "cardiology"]
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(([header] if header else []) + rows)
    return path


def test_a_file_without_its_header_line_is_refused_without_quoting_the_first_note(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"the first line looks like a data row, not a header: its cell 2 is also "
                                        r"the value of \d+ data row\(s\) in that column") as err:
        load_text_source(_notes(tmp_path / "n.csv", None))
    assert CANARY not in str(err.value) and "cardiology" not in str(err.value)


def test_the_same_notes_with_a_header_line_are_read(tmp_path: Path) -> None:
    source = load_text_source(_notes(tmp_path / "n.csv", ["text", "label"]))
    assert source.label_names == list(CLASSES) and sum(len(source.split(s).ids) for s in source.splits) == 30
