"""The audit log: one SQLite row per prediction, holding no input content.

A row records when, which key (its public id), which model and version, the SHA-256 and size
of the input, the output (label, probabilities, explanation method) and the latency. The image
bytes, the note text and the client's file name are never stored or logged.

Rows are written by one background thread on its own connection, in transactions gathering what
arrives within 50 ms, so a prediction never waits for the disk; ``flush()`` waits until everything queued is on disk (tests, shutdown). If
writing fails the log turns unhealthy and ``/readyz`` says so.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meddx.serving.auth import connect

log = logging.getLogger("meddx.serving")
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, request_id TEXT NOT NULL,
        key_id TEXT NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL, input_kind TEXT NOT NULL,
        input_sha256 TEXT NOT NULL, input_bytes INTEGER NOT NULL, output TEXT NOT NULL,
        explain TEXT, latency_ms REAL NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS audit_time ON audit (time)",
)
COALESCE_S = 0.05  # rows arriving within 50 ms share one transaction
COLUMNS = ("id", "time", "request_id", "key_id", "model", "version", "input_kind", "input_sha256", "input_bytes",
           "output", "explain", "latency_ms")


@dataclass
class AuditEntry:
    """What is kept about one prediction (``output``: label and probabilities only)."""

    request_id: str
    key_id: str
    model: str
    version: int
    input_kind: str
    input_sha256: str
    input_bytes: int
    output: dict[str, Any]
    explain: str | None
    latency_ms: float
    time: float = field(default_factory=time.time)


class AuditLog:
    """Queue entries with ``record``; a writer thread stores them; ``close`` flushes and stops it."""

    def __init__(self, db: Path) -> None:
        self.db = Path(db)
        self.healthy = True
        self._queue: queue.Queue[AuditEntry | threading.Event | None] = queue.Queue()
        with connect(self.db, _SCHEMA):
            pass
        self._thread = threading.Thread(target=self._run, name="meddx-audit", daemon=True)
        self._thread.start()

    def record(self, entry: AuditEntry) -> None:
        self._queue.put(entry)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every entry queued so far is written; False on timeout."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        if self._thread.is_alive():
            self.flush()
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            item = self._queue.get()
            batch: list[AuditEntry] = []
            events: list[threading.Event] = []
            stop = False
            deadline = time.monotonic() + COALESCE_S
            while True:  # gather what arrives within COALESCE_S into one transaction
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    events.append(item)
                else:
                    batch.append(item)
                if stop or events or len(batch) >= 500:
                    break
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            conn = self._write(conn, batch)
            for event in events:
                event.set()
            if stop:
                if conn is not None:
                    conn.close()
                return

    def _write(self, conn: sqlite3.Connection | None, batch: list[AuditEntry]) -> sqlite3.Connection | None:
        """Insert ``batch`` in one transaction on the writer's own connection (reopened after an error)."""
        if not batch:
            return conn
        rows = [(e.time, e.request_id, e.key_id, e.model, e.version, e.input_kind, e.input_sha256, e.input_bytes,
                 json.dumps(e.output, sort_keys=True), e.explain, round(e.latency_ms, 3)) for e in batch]
        try:
            if conn is None:
                conn = sqlite3.connect(str(self.db), timeout=30)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: no corruption, one sync per checkpoint
            with conn:
                conn.executemany(f"INSERT INTO audit ({', '.join(COLUMNS[1:])}) VALUES ({', '.join('?' * 11)})", rows)
            self.healthy = True
        except Exception as exc:  # the disk, not the request: keep serving, report through /readyz
            self.healthy = False
            log.error("audit log: could not write %d rows to %s (%s)", len(rows), self.db, type(exc).__name__)
            if conn is not None:
                conn.close()
            return None
        return conn

    def recent(self, limit: int = 100, model: str | None = None) -> list[dict[str, Any]]:
        """Newest rows first (``output`` parsed back to a dict)."""
        query = "SELECT * FROM audit" + (" WHERE model = ?" if model else "") + " ORDER BY id DESC LIMIT ?"
        with connect(self.db, _SCHEMA) as conn:
            rows = conn.execute(query, ((model,) if model else ()) + (int(limit),)).fetchall()
        out = [dict(zip(COLUMNS, r)) for r in rows]
        for row in out:
            row["output"] = json.loads(row["output"])
        return out

    def count(self) -> int:
        with connect(self.db, _SCHEMA) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0])
