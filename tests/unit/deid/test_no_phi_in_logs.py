"""No note text and no identifier ever reaches logs, stdout, stderr or error messages: through
the Python API, through the CLI, and on every error path."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from meddx.core.errors import MeddxError
from meddx.deid.io import deid_path
from meddx.deid.replace import deidentify
from meddx.deid.spans import DeidSettings
from tests.integration.cli_helpers import run_cli

CANARIES = ["Quonsetta", "Vexlerhorn", "617-555-0142", "88812345", "078-05-1120", "vexler.q@canarymail.com",
            "Canarywood", "Pocatello", "1HGCM82633A004352", "Zephyrine"]
NOTE = ("Patient: Quonsetta Vexlerhorn  MRN: 88812345  DOB: 03/14/1931\n"
        "Lives at 77 Canarywood Lane, Pocatello, ID 83201 with her daughter Zephyrine.\n"
        "Phone 617-555-0142, e-mail vexler.q@canarymail.com, SSN 078-05-1120, VIN 1HGCM82633A004352.\n"
        "She reports chest pain since Tuesday; metoprolol 25 mg given.\n")
NOTE_PHRASES = ["reports chest pain since Tuesday", "metoprolol 25 mg given", "Lives at", "with her daughter"]


def _assert_clean(*texts: str) -> None:
    blob = "\n".join(texts)
    for secret in CANARIES + NOTE_PHRASES:
        assert secret not in blob, f"leaked {secret!r}"


def _assert_no_phi(text: str) -> None:
    """De-identified output keeps the clinical text but none of the identifiers."""
    for secret in CANARIES:
        assert secret not in text, f"identifier {secret!r} survived"


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


def test_api_output_and_logs_are_clean(caplog, capsys) -> None:
    for settings in (DeidSettings(), DeidSettings(mode="surrogate"), DeidSettings(mode="surrogate", dates="shift")):
        result = deidentify(NOTE, patient_id="p1", settings=settings)
        _assert_no_phi(result.text)
    out = capsys.readouterr()
    _assert_clean(caplog.text, out.out, out.err)


def test_deid_path_logs_counts_only(tmp_path: Path, caplog, capsys) -> None:
    src = tmp_path / "notes.csv"
    _write_csv(src, [{"id": "a", "patient": "p1", "text": NOTE}, {"id": "b", "patient": "p2", "text": NOTE}])
    summary = deid_path(src, tmp_path / "out.csv", patient_column="patient", settings=DeidSettings(mode="surrogate"))
    assert summary.documents == 2 and summary.counts["NAME"] >= 4
    out = capsys.readouterr()
    _assert_clean(caplog.text, out.out, out.err, (tmp_path / "out.csv.spans.jsonl").read_text())
    assert "2 documents" in caplog.text


def _error_cases(tmp_path: Path) -> list[tuple[str, dict]]:
    bad = tmp_path / "latin.txt"
    bad.write_bytes(NOTE.encode("utf-8") + "Zoë Quonsetta".encode("latin-1"))
    missing = tmp_path / "missing.csv"
    _write_csv(missing, [{"id": "a", "note": NOTE}])
    no_note = tmp_path / "no_note.csv"  # no 'text' column, and none other to take: a label column is never the notes
    _write_csv(no_note, [{"id": "a", "label": NOTE}])
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    empty_rows = tmp_path / "empty.csv"
    empty_rows.write_text("id,text\n", encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"text": NOTE}) + "\n" + '{"text": "Quonsetta Vexlerhorn 88812345\n', encoding="utf-8")
    wrong_type = tmp_path / "wrong.jsonl"
    wrong_type.write_text(json.dumps({"text": NOTE}) + "\n" + json.dumps({"text": 88812345}) + "\n", encoding="utf-8")
    return [(str(bad), {}), (str(no_note), {}), (str(empty), {}), (str(empty_rows), {}), (str(broken), {}),
            (str(wrong_type), {}), (str(missing), {"text_column": "note", "patient_column": "pid"})]


def test_api_errors_name_the_place_not_the_text(tmp_path: Path, caplog, capsys) -> None:
    messages = []
    for i, (path, extra) in enumerate(_error_cases(tmp_path)):
        with pytest.raises(MeddxError) as info:
            deid_path(path, tmp_path / f"out{i}{Path(path).suffix}", **extra)
        messages.append(str(info.value))
        assert Path(path).name in str(info.value), str(info.value)
    out = capsys.readouterr()
    _assert_clean(caplog.text, out.out, out.err, *messages)
    assert "byte " in messages[0] and "--encoding latin-1" in messages[0]
    assert "no other string column; available columns: id, label" in messages[1]
    assert "empty" in messages[2] and "no rows" in messages[3]
    assert "line 2" in messages[4] and "line 2" in messages[5]
    assert "no column 'pid' (--patient-column)" in messages[6]


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    result = run_cli(argv, capsys)
    return result.code, result.out, result.err


def test_cli_success_and_errors_are_clean(tmp_path: Path, caplog, capsys) -> None:
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    code, out, err = _cli(["deid", str(note), "--out", str(tmp_path / "o.txt"), "--mode", "surrogate"], capsys)
    assert code == 0 and "NAME" in out
    outputs = [out, err]
    for i, (path, _) in enumerate(_error_cases(tmp_path)[:6]):
        code, out, err = _cli(["deid", path, "--out", str(tmp_path / f"cli{i}{Path(path).suffix}")], capsys)
        assert code == 2 and err.startswith("meddx: error:") and Path(path).name in err, err
        outputs += [out, err]
    code, out, err = _cli(["--debug", "deid", str(note), "--out", str(tmp_path / "d.txt"), "--types", "NAME"], capsys)
    assert code == 0
    _assert_clean(caplog.text, *outputs, out, err)
    _assert_no_phi((tmp_path / "o.txt").read_text())


def test_cli_subprocess_stderr_is_clean(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    bad = tmp_path / "bad.txt"
    bad.write_bytes(NOTE.encode() + b"\xff\xfe Quonsetta")
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "meddx.cli.main", "deid", str(bad), "-o", str(tmp_path / "x.txt")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "bad.txt" in proc.stderr
    _assert_clean(proc.stdout, proc.stderr)
