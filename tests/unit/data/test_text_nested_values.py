"""Cells that are not text (nested JSON objects, lists and bytes as documents or labels), and
multi-label cells written back by ``data verify --fix merge``.

Found by an audit: a JSONL document nested in an object (``{"note": {"body": ...}}``) could only
be read as ``--text-column note``, and then the object's Python text (``{'body': '...',
'author': ...}``, keys included) became the document; a list or a Parquet binary column was read
the same way (``"['a', 'b']"``, ``"b'...'"``), and a label object became a class named after its
Python text. Nothing was refused and the model trained on the wrong strings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source

CANARY = "CANARYPHI7731"


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _nested(i: int) -> dict:
    return {"id": f"n{i}", "note": {"body": f"{CANARY} seizure visit {i}", "author": "dr x"},
            "meta": {"dx": {"code": "ab"[i % 2]}}}


def test_a_nested_json_field_is_read_by_its_dotted_name(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "nested.jsonl", [_nested(i) for i in range(8)])
    source = load_text_source(path, text_column="note.body", label_column="meta.dx.code")
    train = source.split("train")
    assert train.texts == [f"{CANARY} seizure visit {i}" for i in range(8)]
    assert source.label_names == ["a", "b"] and train.labels.tolist() == [0, 1] * 4
    assert source.columns["text"] == "note.body"
    with pytest.raises(DataError) as err:  # the object itself is no column: its fields are listed
        load_text_source(path, text_column="note", label_column="meta.dx.code")
    assert "no column 'note'" in str(err.value) and "note.body" in str(err.value) and CANARY not in str(err.value)


@pytest.mark.parametrize(("value", "kind"), [(["first part", "second"], "a list"), ({}, "an object")])
def test_a_document_that_is_a_list_or_object_is_refused_naming_rows(tmp_path: Path, value: object, kind: str) -> None:
    records = [{"text": f"{CANARY} seizure {i}", "label": "ab"[i % 2]} for i in range(6)]
    records[2]["text"] = value
    records[4]["text"] = value
    with pytest.raises(DataError) as err:
        load_text_source(_jsonl(tmp_path / "odd.jsonl", records))
    message = str(err.value)
    assert f"column 'text': 2 row(s) whose value is not text (rows 3, 5; row 3 holds {kind})" in message
    assert CANARY not in message and "first part" not in message and "\n" not in message


def test_a_parquet_binary_text_column_is_refused(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "bytes.parquet"
    pd.DataFrame({"text": [f"{CANARY} seizure {i}".encode() for i in range(4)], "label": list("abab")}).to_parquet(path)
    with pytest.raises(DataError, match=r"4 row\(s\) whose value is not text .*row 1 holds bytes") as err:
        load_text_source(path)
    assert CANARY not in str(err.value)


def test_a_label_object_is_refused_not_made_a_class_name(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "struct.parquet"  # a struct column arrives as dicts (JSONL objects are flattened instead)
    pd.DataFrame({"text": [f"seizure visit {i}" for i in range(4)],
                  "label": [{"code": c} for c in "abab"]}).to_parquet(path)
    with pytest.raises(DataError, match=r"column 'label': 4 row\(s\) whose label is an object"):
        load_text_source(path)
    records = [{"text": f"seizure visit {i}", "label": [{"code": c}]} for i, c in enumerate("abab")]
    with pytest.raises(DataError, match=r"column 'label': 4 row\(s\) whose label is an object"):
        load_text_source(_jsonl(tmp_path / "listed.jsonl", records))  # a list of objects: no label names either


def test_a_merge_rewrites_a_nested_label_in_place(tmp_path: Path) -> None:
    from meddx.data.text_rows import write_kept_rows
    from meddx.data.text_verify import clean_text_source, verify_text_source

    text = " ".join(f"w{j}" for j in range(40))
    records = [{"id": "a", "doc": {"text": text}, "meta": {"labels": "x"}},
               {"id": "b", "doc": {"text": "other words entirely"}, "meta": {"labels": "y"}},
               {"id": "c", "doc": {"text": text}, "meta": {"labels": "y"}}]
    path = _jsonl(tmp_path / "ml.jsonl", records)
    source = load_text_source(path, text_column="doc.text", label_column="meta.labels", label_delimiter="|")
    cleaned, _ = clean_text_source(source, verify_text_source(source), "merge")
    lines = write_kept_rows(source, cleaned, tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{**records[0], "meta": {"labels": "x|y"}}, records[1]]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_merged_label_holding_the_delimiter_is_written_as_a_json_list(tmp_path: Path, suffix: str) -> None:
    """Found by an audit: a label "a|b" (from a JSON list cell) merged with "c" under
    ``--label-delimiter "|"`` was written "a|b|c", which reads back as three labels a, b, c."""
    from meddx.data.text_rows import write_kept_rows
    from meddx.data.text_verify import clean_text_source, verify_text_source

    text = " ".join(f"w{j}" for j in range(40))
    cells = [["a|b"], "c", "c"]
    docs = [text, "other words entirely here", text]
    path = tmp_path / f"ml{suffix}"
    if suffix == ".csv":
        quoted = ['"[""a|b""]"', "c", "c"]
        path.write_text("id,text,labels\n" + "".join(f"d{i},{d},{c}\n" for i, (d, c) in enumerate(zip(docs, quoted))))
    else:
        _jsonl(path, [{"id": f"d{i}", "text": d, "labels": c} for i, (d, c) in enumerate(zip(docs, cells))])
    source = load_text_source(path, label_column="labels", label_delimiter="|")
    assert source.label_names == ["a|b", "c"]
    cleaned, _ = clean_text_source(source, verify_text_source(source), "merge")
    out = write_kept_rows(source, cleaned, tmp_path / f"out{suffix}")
    again = load_text_source(out, label_column="labels", label_delimiter="|")
    assert again.label_names == ["a|b", "c"] and again.split("train").labels.tolist() == [[1, 1], [0, 1]]


@pytest.mark.parametrize(("column", "what"), [("label", "label"), ("id", "id"), ("patient_id", "patient id")])
def test_a_lone_surrogate_in_a_label_id_or_patient_is_refused(tmp_path: Path, column: str, what: str) -> None:
    """Found by an audit: a JSON "\\udcff" escape in a label was accepted by the reader, and
    ``meddx train`` ran its epochs and then crashed with a UnicodeEncodeError traceback writing
    the bundle (only the text column was checked for lone surrogates)."""
    records = [{"id": f"n{i}", "patient_id": f"p{i}", "text": f"{CANARY} seizure {i}", "label": "ab"[i % 2]}
               for i in range(6)]
    records[3][column] += "\udcff"
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")  # the escape, valid UTF-8
    with pytest.raises(DataError, match=rf"column '{column}': 1 row\(s\) with a {what} that is not valid Unicode "
                                        r"\(rows 4; row 4: character \d+ is U\+DCFF") as err:
        load_text_source(path, id_column="id", patient_column="patient_id")
    assert CANARY not in str(err.value)


@pytest.mark.parametrize("what", ["class folder", "file"])
def test_a_folder_or_file_name_that_is_not_utf8_is_refused(tmp_path: Path, what: str) -> None:
    """Found by an audit: a class folder named in Latin-1 (``onc\\xe9logy``) became a class name
    holding a lone surrogate, and ``meddx train`` crashed with a UnicodeEncodeError traceback."""
    import os

    root = tmp_path / "notes"
    for name in ("cardiology", "oncology"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            (root / name / f"d{i}.txt").write_text(f"{CANARY} {name} visit {i}", encoding="utf-8")
    try:
        if what == "class folder":
            os.rename(os.fsencode(root / "oncology"), os.fsencode(root) + b"/onc\xe9logy")
        else:
            os.rename(os.fsencode(root / "oncology" / "d0.txt"), os.fsencode(root / "oncology") + b"/\xe9.txt")
    except OSError:  # a file system that only takes UTF-8 names cannot hold such a name
        pytest.skip("this file system refuses names that are not UTF-8")
    with pytest.raises(DataError, match=rf"the {what} name '.*\\udce9.*' is not valid UTF-8; rename it") as err:
        load_text_source(root)
    assert CANARY not in str(err.value)
    str(err.value).encode("utf-8")  # the message itself can be printed
