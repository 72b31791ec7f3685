"""Awkward exports of real systems, each read silently wrong or refused unclearly before:

- two exports joined with ``cat``: the second header became a document of class ``label``;
- label spellings of one class (``Cardiac``/``cardiac``, ``Heart  failure``, ``1.0``/``1``): extra classes;
- ``NaN``/``NA``/``NULL`` written as a label: a class of that name, without a word;
- a UTF-8 file (byte-order mark) read with ``--encoding latin-1``: mojibake and a text column named
  ``ï»¿text`` (now read as UTF-8 with a note); UTF-16 without a byte-order mark: "line 2 has 3 field(s)";
- a Parquet file whose label is its named index (``df.set_index("label").to_parquet``): "no label column";
- ``meddx predict`` of a note longer than the bundle's maximum length: cut without a word.

No message or note quotes a document or a label."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.data.text import load_text_source
from tests.unit.data.test_text_table_reading import CANARY, _error
from tests.unit.data.test_text_table_reading import _csv as _table


def _rows(n: int = 8, labels: list[str] | None = None) -> list[list[str]]:
    labels = labels or ["cardiac", "pulmonary"] * (n // 2)
    return [[f"{CANARY} seen with chest pain and cough, visit {i}.", labels[i]] for i in range(n)]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    return _table(path, ["text", "label"], rows)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_header_repeated_inside_the_table_is_refused_naming_the_row(tmp_path: Path, bom: bytes) -> None:
    part = _csv(tmp_path / "part.csv", _rows(4)).read_bytes()
    joined = tmp_path / "joined.csv"
    joined.write_bytes(bom + part + bom + part)  # cat a.csv b.csv, each exported with a header (and a BOM)
    assert _error(joined) == (f"{joined}: 1 data row(s) repeat the header row (rows 5; files joined after their "
                              "header lines?); expected the header once, on the first line: drop those lines")


def test_a_repeated_header_of_a_pandas_export_with_its_index_column_is_refused(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame(_rows(4), columns=["text", "label"])
    joined = tmp_path / "joined.csv"
    joined.write_text(frame.to_csv() + frame.to_csv())  # header ",text,label": the index column is unnamed
    assert "1 data row(s) repeat the header row (rows 5;" in _error(joined)
    source = load_text_source(_csv(tmp_path / "one.csv", _rows(4)))  # a single export is read
    assert source.num_classes == 2


def test_label_spellings_of_one_class_are_one_class_with_a_note(tmp_path: Path) -> None:
    labels = ["Neoplasms", "Heart  failure", "Neoplasms ", "Heart failure", "Neoplasms", " Heart failure",
              "Neoplasms", "Heart\u00a0failure"]
    source = load_text_source(_csv(tmp_path / "n.csv", _rows(8, labels)))
    assert source.task == "binary" and source.label_names == ["Heart failure", "Neoplasms"]
    assert source.splits["train"].labels.tolist() == [1, 0, 1, 0, 1, 0, 1, 0]
    note = next(n for n in source.notes if "spelling" in n)
    assert note == ("n.csv: column 'label': 2 label spelling(s) differ from another class's only in spacing, Unicode "
                    "form or number format (1.0 for 1) and are read as that class (2 row(s), first: row 2); write each "
                    "class one way in the file to silence this note")
    assert "eoplasm" not in note and "failure" not in note


def test_labels_differing_in_case_stay_apart_with_the_image_manifests_note(tmp_path: Path) -> None:
    """Case may be meant: the classes stay as written, and a note names them (as for image manifests)."""
    labels = ["Neoplasms", "cardiac", "neoplasms", "Cardiac", "Neoplasms", "cardiac"]
    source = load_text_source(_csv(tmp_path / "n.csv", _rows(6, labels)))
    assert source.num_classes == 4
    (note,) = [n for n in source.notes if "differ only in case" in n]
    assert note.startswith("n.csv: column 'label': labels that differ only in case or spacing are separate classes")


def test_numeric_labels_written_as_floats_are_the_integer_classes(tmp_path: Path) -> None:
    """A spreadsheet writes 1.0 for 1 in some rows: 4 classes (1, 1.0, 2, 2.0) were trained."""
    source = load_text_source(_csv(tmp_path / "n.csv", _rows(8, ["1", "1.0", "2", "2", "1", "2.0", "2", "1"])))
    assert source.label_names == ["1", "2"] and source.task == "binary"
    assert source.splits["train"].labels.tolist() == [0, 0, 1, 1, 0, 1, 1, 0]


def test_distinct_classes_and_codes_stay_apart(tmp_path: Path) -> None:
    labels = ["01", "1", "I10", "i10.0", "01", "1", "I10", "i10.0"]  # a leading zero or a code is no spelling
    source = load_text_source(_csv(tmp_path / "n.csv", _rows(8, labels)))
    assert source.num_classes == 4 and not [n for n in source.notes if "spelling" in n]


def test_multilabel_spellings_merge_within_a_row(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    sets = [["cardiac", "cardiac "], ["urgent"], ["cardiac", " urgent"], ["cardiac", "urgent"]]
    path.write_text("".join(json.dumps({"text": f"{CANARY} note {i}.", "label": s}) + "\n" for i, s in enumerate(sets)))
    source = load_text_source(path)
    assert source.label_names == ["cardiac", "urgent"]
    assert source.splits["train"].labels.tolist() == [[1, 0], [0, 1], [1, 1], [1, 1]]


def test_a_label_written_like_a_missing_value_gets_a_note(tmp_path: Path) -> None:
    source = load_text_source(_csv(tmp_path / "n.csv", _rows(6, ["cardiac", "NaN", "pulmonary", "cardiac", "NA",
                                                                  "pulmonary"])))
    note = next(n for n in source.notes if "missing value" in n)
    assert note.startswith("n.csv: column 'label': 2 row(s) (first: row 2) hold a label written like a missing value")


def test_a_utf8_file_with_its_byte_order_mark_read_as_latin1_is_read_as_utf8(tmp_path: Path) -> None:
    """As a UTF-8 file without the mark is (was refused: one Excel "CSV UTF-8" export blocked a folder)."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv(tmp_path / "plain.csv", _rows()).read_bytes())
    source = load_text_source(path, encoding="latin-1")
    assert source.columns["text"] == "text"  # the mark is no part of the name (was "ï»¿text" read as Latin-1)
    assert source.splits["train"].texts == [t for t, _ in _rows()]
    assert [n for n in source.notes if "read as UTF-8" in n][0].startswith(f"bom.csv: 1 file(s) ({path}) read as "
                                                                           "UTF-8, not latin-1")
    assert load_text_source(path).columns["text"] == "text"  # read as UTF-8: the mark is no part of the name
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text,label\nCaf\u00e9 fever and cough,a\nChest pain,b\n".encode("latin-1"))
    assert load_text_source(latin, encoding="latin-1").splits["train"].texts[0] == "Caf\u00e9 fever and cough"


@pytest.mark.parametrize("order", ["le", "be"])
def test_utf16_without_a_byte_order_mark_is_named(tmp_path: Path, order: str) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes(_csv(tmp_path / "plain.csv", _rows()).read_text().encode(f"utf-16-{order}"))
    assert _error(path) == (f"{path}: NUL bytes between the letters of the first line: the file looks like UTF-16 "
                            f"without a byte-order mark; pass --encoding utf-16-{order}, or re-encode it as UTF-8 "
                            f"(e.g. iconv -f utf-16{order} -t utf-8)")
    assert load_text_source(path, encoding=f"utf-16-{order}").num_classes == 2


def test_a_parquet_label_stored_as_the_named_index_is_read(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pandas as pd

    from meddx.data.text_rows import write_kept_rows

    path = tmp_path / "notes.parquet"
    pd.DataFrame(_rows(), columns=["text", "label"]).set_index("label").to_parquet(path)
    source = load_text_source(path)
    assert source.columns["label"] == "label" and source.label_names == ["cardiac", "pulmonary"]
    out = write_kept_rows(source, source, tmp_path / "kept.parquet")  # data verify --fix keeps the column
    assert out is not None and load_text_source(out).label_names == ["cardiac", "pulmonary"]


def test_predict_says_which_documents_were_cut_at_the_maximum_length(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.predict_text import predict_text
    from tests.unit.bundle.test_text_predictor_inputs import _predictor

    predictor = _predictor()  # max_length 32
    long = tmp_path / "long.txt"
    long.write_text(" ".join([f"{CANARY} history of seizure"] * 40))
    predict_text(predictor, [long], ["history of seizure"], None, "attention", None, as_json=True)
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2 and CANARY not in out + err
    assert err.strip() == (f"note: 1 document(s) ({long}) are longer than the bundle's maximum of 32 tokens: only "
                           "their first 32 tokens were read (split long notes, or train with a larger --max-length)")
