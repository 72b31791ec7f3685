"""A UTF-8 file WITH its byte-order mark (Excel's "CSV UTF-8") under ``--encoding latin-1`` was refused,
while the same file without the mark was read as UTF-8 with a note: one such export blocked a whole
folder of Latin-1 exports. It is now read as UTF-8 too (the mark dropped, the same note); a UTF-16
file, and a UTF-8 mark before bytes that are not UTF-8, are still refused."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source
from test_edges_utf8_latin1 import merged_rewrite

CANARY = "CANARYPHI7731"
BOM = b"\xef\xbb\xbf"


def _rows() -> list[tuple[str, str]]:
    return [(f"{CANARY} syndrome de Ménière, vertiges {i}", "orl" if i % 2 else "neuro") for i in range(6)]


def test_a_folder_of_latin1_files_with_one_utf8_file_with_a_mark(tmp_path: Path) -> None:
    for i, (text, label) in enumerate(_rows()):
        folder = tmp_path / "notes" / label
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"n{i}.txt").write_bytes(BOM + text.encode("utf-8") if i == 3 else text.encode("latin-1"))
    source = load_text_source(tmp_path / "notes", encoding="latin-1")
    by_id = dict(zip(source.splits["train"].ids, source.splits["train"].texts))
    assert by_id == {f"{label}/n{i}": text for i, (text, label) in enumerate(_rows())}  # no "\ufeff", no "ï»¿"
    note = [n for n in source.notes if "read as UTF-8" in n]
    assert len(note) == 1 and note[0].startswith(f"notes: 1 file(s) ({tmp_path / 'notes' / 'orl' / 'n3.txt'}) "
                                                 "read as UTF-8, not latin-1")
    assert CANARY not in note[0]


def test_a_marked_ascii_csv_under_cp1252_is_read_with_its_header(tmp_path: Path) -> None:
    path = tmp_path / "ascii.csv"
    path.write_bytes(BOM + b"text,label\nchest pain and cough,a\nfever,b\nchest pain,a\nrash,b\n")
    source = load_text_source(path, encoding="cp1252", check_swapped=False)
    assert source.columns["text"] == "text" and source.columns["label"] == "label"
    assert any("read as UTF-8, not cp1252" in n for n in source.notes)


def test_predict_reads_a_marked_utf8_file_given_latin1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.predict_text import read_documents

    marked = tmp_path / "a.txt"
    marked.write_bytes(BOM + _rows()[0][0].encode("utf-8"))
    texts, _ = read_documents([marked], None, encoding="latin-1")
    assert texts == [_rows()[0][0]]
    err = capsys.readouterr().err
    assert f"note: 1 file(s) ({marked}) read as UTF-8, not latin-1" in err and CANARY not in err


def test_a_mark_before_bytes_that_are_not_utf8_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(BOM + "text,label\nCafé fever,a\nChest pain,b\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        load_text_source(path, encoding="latin-1")
    assert str(err.value) == (f"{path}: the file starts with a UTF-8 byte-order mark, so it is UTF-8, but it is read as "
                              "latin-1; leave out --encoding (or pass --encoding utf-8)")


@pytest.mark.parametrize(("data", "encoding", "start"), [
    ("text,label\nfever,a\n".encode("utf-16"), "latin-1", "the file starts with a UTF-16 byte-order mark"),
    (BOM + "text,label\nfièvre,a\n".encode("utf-8"), "utf-16", "the file starts with a UTF-8 byte-order mark"),
])
def test_utf16_refusals_are_unchanged(tmp_path: Path, data: bytes, encoding: str, start: str) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(data)
    with pytest.raises(DataError) as err:
        load_text_source(path, encoding=encoding)
    assert str(err.value).startswith(f"{path}: {start}")


def test_verify_fix_keeps_a_marked_utf8_file_read_as_latin1_marked_and_utf8(tmp_path: Path) -> None:
    """``data verify --fix merge`` copies the file's rows: the mark stays a mark (not a ``ï»¿text``
    header cell nor a U+FEFF inside the name), a merged accented label is written as UTF-8."""
    out = merged_rewrite(tmp_path, "utf-8-sig", _rows())
    data = out.read_bytes()
    assert data.startswith(BOM + b"text,label") and data.count(BOM) == 1
    kept = pd.read_csv(out, encoding="utf-8-sig")
    assert kept["text"].tolist() == [t for t, _ in _rows()]
    assert sorted(json.loads(kept["label"][0])) == ["méningite", "neuro_é"]
