"""The audit log: one row per recorded prediction, written in the background, no input content."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from meddx.serving.audit import AuditEntry, AuditLog


def _entry(i: int, text: str) -> AuditEntry:
    return AuditEntry(request_id=f"r{i}", key_id="k" * 10, model="m", version=2, input_kind="text",
                      input_sha256=hashlib.sha256(text.encode()).hexdigest(), input_bytes=len(text),
                      output={"label": "pos", "probabilities": {"neg": 0.1, "pos": 0.9}}, explain=None, latency_ms=1.5)


def test_rows_are_written_once_each_and_hold_hashes_not_content(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "serving.db")
    note = "Patient Jane Roe, MRN 99812, chest pain"
    for i in range(25):
        log.record(_entry(i, note))
    assert log.flush()
    assert log.count() == 25 and log.healthy
    rows = log.recent(limit=5)
    assert [r["request_id"] for r in rows] == ["r24", "r23", "r22", "r21", "r20"]
    assert rows[0]["output"]["label"] == "pos" and rows[0]["version"] == 2
    assert rows[0]["input_sha256"] == hashlib.sha256(note.encode()).hexdigest()
    log.close()
    with sqlite3.connect(tmp_path / "serving.db") as conn:
        dump = "\n".join(conn.iterdump())
    assert "Jane" not in dump and "99812" not in dump


def test_close_flushes_and_a_failing_disk_turns_unhealthy(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.db")
    log.record(_entry(1, "x"))
    log.close()
    assert AuditLog(tmp_path / "a.db").count() == 1
    broken = AuditLog(tmp_path / "b.db")
    broken.db = tmp_path / "missing-dir" / "sub" / "b.db"
    (tmp_path / "missing-dir").write_text("a file where a folder should be")
    broken.record(_entry(2, "y"))
    broken.flush()
    assert not broken.healthy
