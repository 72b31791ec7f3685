"""``meddx deid --encoding latin-1`` on a file that is UTF-8 (with accented letters, or a UTF-8 mark):
read as UTF-8 with a note naming the file, as the training readers do (``meddx.data.text_exports``).
Read as Latin-1, ``José García`` became ``JosÃ© GarcÃ­a``: no name rule found it (the name went out
unscrubbed) and the output came back garbled. Every input kind: .txt, folder, CSV, JSONL."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from meddx.core.errors import MeddxError
from meddx.deid.io import deid_path

NOTE = "Patient José García was seen in clinic today; señora Núñez said the pain is better.\n"
KEPT = ["Patient ", " was seen in clinic today; señora ", " said the pain is better."]
NAMES = ["José", "García", "Jos", "Garc", "Ã"]
BOM = b"\xef\xbb\xbf"


def _clean(text: str) -> None:
    """The names are gone and the clinical words come back as the user wrote them (no mojibake)."""
    for name in NAMES:
        assert name not in text, f"{name!r} survived"
    for words in KEPT:
        assert words in text


def _note_of(caplog: pytest.LogCaptureFixture) -> str:
    notes = [r.getMessage() for r in caplog.records if r.name == "meddx.deid" and "read as UTF-8" in r.getMessage()]
    assert len(notes) == 1, caplog.text
    assert "José" not in caplog.text and "García" not in caplog.text  # file names and counts, never text
    return notes[0]


@pytest.mark.parametrize("bom", [b"", BOM], ids=["plain", "bom"])
def test_txt_in_utf8_read_with_latin1(tmp_path: Path, caplog: pytest.LogCaptureFixture, bom: bytes) -> None:
    src = tmp_path / "note.txt"
    src.write_bytes(bom + NOTE.encode("utf-8"))
    with caplog.at_level(logging.INFO, logger="meddx.deid"):
        summary = deid_path(src, tmp_path / "out.txt", encoding="latin-1")
    out = (tmp_path / "out.txt").read_bytes()
    assert not out.startswith(BOM) and out.decode("utf-8").startswith("Patient [NAME]")
    _clean(out.decode("utf-8"))
    assert summary.counts.get("NAME", 0) >= 2
    note = _note_of(caplog)
    assert "1 file(s)" in note and str(src) in note and "not latin-1" in note
    assert summary.notes == [note.removeprefix("deid: ")]


def test_folder_of_latin1_and_utf8_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = tmp_path / "notes"
    (root / "a").mkdir(parents=True)
    (root / "a" / "old.txt").write_bytes(NOTE.encode("latin-1"))  # the encoding given: read as it
    (root / "a" / "new.txt").write_bytes(NOTE.encode("utf-8"))
    (root / "plain.txt").write_bytes(b"Seen today, no change.\n")  # ASCII: both encodings agree, no note
    with caplog.at_level(logging.INFO, logger="meddx.deid"):
        summary = deid_path(root, tmp_path / "out", encoding="latin-1")
    for name in ("old.txt", "new.txt"):
        _clean((tmp_path / "out" / "a" / name).read_bytes().decode("utf-8"))  # one encoding for every output
    note = _note_of(caplog)
    assert "1 file(s)" in note and "new.txt" in note and "old.txt" not in note and "plain.txt" not in note
    assert summary.documents == 3


def test_csv_in_utf8_read_with_latin1(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    src = tmp_path / "notes.csv"
    src.write_bytes(BOM + ("id,ward,text\n1,Córdoba ward,\"" + NOTE.strip() + "\"\n").encode("utf-8"))
    with caplog.at_level(logging.INFO, logger="meddx.deid"):
        deid_path(src, tmp_path / "out.csv", encoding="latin-1", id_column="id")
    out = (tmp_path / "out.csv").read_bytes().decode("utf-8")
    assert out.startswith("id,ward,text\n")  # the mark is no part of the first column's name
    assert "1,Córdoba ward," in out  # the other columns as they were
    _clean(out)
    assert "notes.csv" in _note_of(caplog)


def test_jsonl_in_utf8_read_with_latin1(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    src = tmp_path / "notes.jsonl"
    src.write_bytes(json.dumps({"id": "n1", "ward": "Córdoba", "text": NOTE}, ensure_ascii=False).encode("utf-8"))
    with caplog.at_level(logging.INFO, logger="meddx.deid"):
        deid_path(src, tmp_path / "out.jsonl", encoding="latin-1")
    record = json.loads((tmp_path / "out.jsonl").read_bytes().decode("utf-8"))
    assert record["ward"] == "Córdoba"
    _clean(record["text"])
    assert "notes.jsonl" in _note_of(caplog)


def test_real_latin1_stays_latin1_without_a_note(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    src = tmp_path / "note.txt"
    src.write_bytes(NOTE.encode("latin-1"))
    with caplog.at_level(logging.INFO, logger="meddx.deid"):
        summary = deid_path(src, tmp_path / "out.txt", encoding="latin-1")
    _clean((tmp_path / "out.txt").read_text(encoding="utf-8"))
    assert summary.notes == [] and "read as UTF-8" not in caplog.text


def test_utf16_read_as_latin1_is_refused(tmp_path: Path) -> None:
    """Read as Latin-1, UTF-16 has a NUL between all letters: no rule found any identifier in it."""
    src = tmp_path / "note.txt"
    src.write_bytes(NOTE.encode("utf-16-le"))
    with pytest.raises(MeddxError, match="UTF-16") as info:
        deid_path(src, tmp_path / "out.txt", encoding="latin-1")
    assert "note.txt" in str(info.value) and "José" not in str(info.value)
    assert not (tmp_path / "out.txt").exists()


def test_nul_characters_inside_a_name_are_removed_before_detection(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A NUL (a binary export's byte) inside a name hid it from every rule: "Jos\\0é Garc\\0ía" went out whole."""
    src = tmp_path / "notes.csv"
    src.write_bytes(("id,text\n1,\"" + NOTE.strip().replace("José", "Jos\0é").replace("García", "Garc\0ía")
                     + "\"\n2,\"Seen today, no change.\"\n").encode("utf-8"))
    with caplog.at_level(logging.INFO, logger="meddx.deid"):
        summary = deid_path(src, tmp_path / "out.csv")
    out = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "\0" not in out
    _clean(out)
    note = summary.notes[0]
    assert note.startswith("removed 2 NUL character(s)") and "1 document(s)" in note and "row 1" in note
    assert "José" not in caplog.text and "Jos" not in note
