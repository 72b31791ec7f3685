"""Reading a text table as its author meant it, found by an audit of awkward real exports:

- a column that is not there: the message says which column was meant (a typo, a part of the name);
- a header without rows, a header naming a column twice, a file separated by ';' or tabs, a UTF-16
  export: each refused saying what it is, not as a missing label column or a field-count mismatch;
- classes joined by a delimiter without --label-delimiter: a note naming the flag.

No message quotes a note."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source

CANARY = "CANARYPHI5120"


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def _error(path: Path, **kwargs: str) -> str:
    with pytest.raises(DataError) as err:
        load_text_source(path, **kwargs)
    message = str(err.value)
    assert CANARY not in message and "\n" not in message
    return message


def _notes(n: int = 12) -> list[list[str]]:
    return [[f"{CANARY} seen with chest pain, visit {i}.", "ab"[i % 2], f"p{i}"] for i in range(n)]


@pytest.mark.parametrize(("flag", "wanted", "meant"), [
    ("text_column", "note", "note_text"),          # a part of the name
    ("label_column", "diagnosys", "diagnosis"),    # a typo
    ("patient_column", "patient_id", "patient"),   # the name holds the column's
])
def test_a_missing_column_names_the_close_column(tmp_path: Path, flag: str, wanted: str, meant: str) -> None:
    path = _csv(tmp_path / "notes.csv", ["note_text", "diagnosis", "patient"], _notes())
    given = {"text_column": "note_text", "label_column": "diagnosis"} | {flag: wanted}
    message = _error(path, **given)
    assert f"no column {wanted!r}" in message and f"did you mean {meant!r}?" in message
    assert "available columns: note_text, diagnosis, patient" in message


def test_no_close_column_suggests_none(tmp_path: Path) -> None:
    path = _csv(tmp_path / "notes.csv", ["note_text", "diagnosis", "patient"], _notes())
    message = _error(path, text_column="note_text", label_column="diagnosis", patient_column="mrn")
    assert "did you mean" not in message and "available columns" in message and "--patient-column" in message


def test_close_columns_ignore_case_and_skip_short_parts() -> None:
    from meddx.data.text_columns import close_columns

    assert close_columns(["ID", "Text", "Label"], "text") == ["Text"]
    assert close_columns(["id", "subject"], "patient_id") == []  # 'id' is too short to be meant
    assert close_columns(["note.body", "note.author", "meta.dx"], "note") == ["note.body", "note.author"]


def test_a_header_without_rows_is_refused_as_empty_not_as_a_missing_label(tmp_path: Path) -> None:
    # the MIMIC-III demo's NOTEEVENTS.csv is this: a header, no notes; the message said
    # "no 'label' column, and no column with few distinct values" though every column was there
    path = _csv(tmp_path / "NOTEEVENTS.csv", ["row_id", "subject_id", "category", "description", "text"], [])
    message = _error(path)
    assert "no rows" in message and "label" not in message
    assert "no rows" in _error(path, text_column="text", label_column="category")


@pytest.mark.parametrize("sep", ["|", ";"])
def test_labels_joined_by_a_delimiter_get_a_note_naming_the_flag(tmp_path: Path, sep: str) -> None:
    # a multi-label export read without --label-delimiter: 'cardiac|urgent' silently became a class
    labels = ["cardiac", "other", f"cardiac{sep}urgent", f"other{sep}urgent"]
    path = _csv(tmp_path / "notes.csv", ["text", "label"], [[t, labels[i % 4]] for i, (t, _, _) in enumerate(_notes())])
    source = load_text_source(path)
    assert source.task == "multiclass"
    hint = [n for n in source.notes if "--label-delimiter" in n]
    assert len(hint) == 1 and f"2 of the 4 classes in column 'label' join another class with {sep!r}" in hint[0]
    assert not any("--label-delimiter" in n for n in load_text_source(path, label_delimiter=sep).notes)


def test_a_comma_inside_one_title_gets_no_note(tmp_path: Path) -> None:
    labels = ["Diabetes", "Diabetes, type 2", "Asthma", "Asthma,Diabetes"]
    path = _csv(tmp_path / "notes.csv", ["text", "label"], [[t, labels[i % 4]] for i, (t, _, _) in enumerate(_notes())])
    hint = [n for n in load_text_source(path).notes if "--label-delimiter" in n]
    assert len(hint) == 1 and "1 of the 4 classes" in hint[0] and "','" in hint[0]  # only Asthma,Diabetes
    labels[3] = "Asthma"
    path = _csv(tmp_path / "titles.csv", ["text", "label"], [[t, labels[i % 4]] for i, (t, _, _) in enumerate(_notes())])
    assert not any("--label-delimiter" in n for n in load_text_source(path).notes)


@pytest.mark.parametrize(("name", "sep", "fix"), [("notes.csv", ";", "re-save it separated by commas"),
                                                  ("notes.csv", "\t", "rename it .tsv"),
                                                  ("notes.tsv", ";", "re-save it separated by tabs")])
def test_a_file_separated_by_another_character_says_so(tmp_path: Path, name: str, sep: str, fix: str) -> None:
    # a European Excel export (';'): refused as "no 'label' column ... available columns: text;label"
    path = tmp_path / name
    path.write_text("".join(sep.join(row[:2]) + "\n" for row in [["text", "label"], *_notes()]), encoding="utf-8")
    message = _error(path)
    assert f"one column holding {sep!r}" in message and fix in message and "label column" not in message
    from meddx.cli.predict_text import read_documents

    with pytest.raises(DataError, match="looks separated by"):  # predict reads it the same way
        read_documents([path], None)


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    # pandas renamed the copy 'text.1', read the first as the notes, and noted "ignored column(s) text.1"
    rows = [[f"short {i}", t, label] for i, (t, label, _) in enumerate(_notes())]
    message = _error(_csv(tmp_path / "notes.csv", ["text", "text", "label"], rows))
    assert "column 'text' more than once (columns 1, 2)" in message
    assert load_text_source(_csv(tmp_path / "ok.csv", ["", "text", "label"], rows)).columns["text"] == "text"


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_a_utf16_export_is_named_as_such_not_sent_to_latin1(tmp_path: Path, encoding: str) -> None:
    # Excel's "Unicode text" export: the message advised --encoding latin-1, which then failed on
    # "line 62 has 1 field(s) but the header has 2" (letters between NUL bytes)
    path = tmp_path / "notes.tsv"
    path.write_bytes("".join("\t".join(r[:2]) + "\n" for r in [["text", "label"], *_notes()]).encode("utf-16"))
    message = _error(path, encoding=encoding)
    assert "UTF-16 byte-order mark" in message and "--encoding utf-16" in message
    for given in ("utf-16", "UTF_16", "utf-16le"):
        assert len(load_text_source(path, encoding=given).split("train").texts) == 12
