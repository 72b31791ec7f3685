"""The ``runs`` table of ``registry.db``: every training run, how it ended, and what it produced.

A row is written when a run folder is made (``running``, with this process's pid) and updated when
the run ends: ``finished`` (its bundle ``NAME:VERSION`` and headline validation metric),
``interrupted`` (Ctrl-C, SIGTERM), ``failed`` (the error's class name only: messages can name
samples). :func:`reconcile` (run by :func:`list_runs`) adds the folders made before runs were
recorded, marks rows whose folder was deleted ``missing``, and a ``running`` row whose process
is gone ``crashed``. The run folder stays the truth; the table finds and summarises it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from meddx.core.errors import MeddxError
from meddx.registry import run_folders as folders
from meddx.registry.store import _connect

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    kind TEXT, task TEXT, model TEXT, data TEXT, seed INTEGER,
    started REAL NOT NULL,
    ended REAL,
    seconds REAL,
    session_started REAL,
    pid INTEGER, pid_start TEXT, host TEXT,
    bundle TEXT,
    metrics TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    note TEXT,
    resumes INTEGER NOT NULL DEFAULT 0,
    resumable INTEGER NOT NULL DEFAULT 1
);
"""
STATUSES = ("running", "finished", "interrupted", "failed", "crashed", "missing")
_COLUMNS = ("id", "path", "name", "status", "kind", "task", "model", "data", "seed", "started", "ended", "seconds",
            "session_started", "pid", "pid_start", "host", "bundle", "metrics", "error", "note", "resumes",
            "resumable")
_DESCRIBED = ("kind", "task", "model", "data", "seed", "note")
WRITE_TIMEOUT = 5.0  # a training run waits this long for a locked registry, then goes on without its row


@dataclass
class RunRecord:
    """One training run as the registry knows it. ``seconds``: time spent running, summed over
    resumes (``None`` while it runs); ``bundle``: ``NAME:VERSION`` (or the bundle folder when not
    registered); ``metrics``: headline validation (and test) metrics of a finished run."""

    id: int
    path: str
    name: str
    status: str
    kind: str | None
    task: str | None
    model: str | None
    data: str | None
    seed: int | None
    started: float
    ended: float | None
    seconds: float | None
    pid: int | None
    host: str | None
    bundle: str | None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    note: str | None = None
    resumes: int = 0
    resumable: bool = True

    @property
    def folder(self) -> str:
        """The run folder's name (what ``meddx registry run`` also accepts)."""
        return Path(self.path).name

    @property
    def headline(self) -> tuple[str, float] | None:
        """The validation metric the table shows: Dice for segmentation, else AUC, else accuracy."""
        for key in ("val_dice", "val_auc", "val_accuracy"):
            if isinstance(self.metrics.get(key), (int, float)):
                return key, float(self.metrics[key])
        return None

    @property
    def resume_command(self) -> str | None:
        """``meddx train --resume FOLDER`` for an unfinished run that has a checkpoint, ``meddx cv --resume
        FOLDER`` for an unfinished cross-validation, else ``None``."""
        if self.status in ("running", "finished", "missing") or not self.resumable:
            return None
        if folders.resumable_cv(Path(self.path)):
            return f"meddx cv --resume {self.path}"
        return f"meddx train --resume {self.path}" if folders.resumable(Path(self.path)) else None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(folder=self.folder, resume_command=self.resume_command,
                   started_utc=_utc(self.started), ended_utc=_utc(self.ended))
        return out


def _utc(t: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t is not None else None


def _runs(timeout: float = 30) -> Any:
    return _connect(timeout=timeout, schemas=(RUNS_SCHEMA,))


def _key(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


# ----------------------------------------------------------------------------- written by a run
def record_start(path: str | Path, name: str, *, data: str | None = None, seed: int | None = None,
                 resumable: bool = True, note: str | None = None) -> None:
    """A new run folder: a ``running`` row owned by this process (replacing one a listing made for
    the same folder meanwhile)."""
    pid, start, host = folders.this_process()
    now = time.time()
    with _runs(WRITE_TIMEOUT) as conn:
        conn.execute("INSERT INTO runs (path, name, status, data, seed, started, session_started, pid, pid_start, "
                     "host, resumable, note, seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL) ON CONFLICT(path) DO "
                     "UPDATE SET status=excluded.status, session_started=excluded.session_started, pid=excluded.pid, "
                     "pid_start=excluded.pid_start, host=excluded.host, ended=NULL, error=NULL",
                     (_key(path), name, "running", data, seed, now, now, pid, start, host, int(resumable), note))


def record_resume(path: str | Path) -> None:
    """A run resumed by this process: ``running`` again (a folder with no row gets one first)."""
    key = _key(path)
    pid, start, host = folders.this_process()
    with _runs(WRITE_TIMEOUT) as conn:
        conn.execute("BEGIN IMMEDIATE")
        if conn.execute("SELECT 1 FROM runs WHERE path = ?", (key,)).fetchone() is None:
            _insert_found(conn, Path(key))
        conn.execute("UPDATE runs SET status='running', session_started=?, pid=?, pid_start=?, host=?, ended=NULL, "
                     "error=NULL, resumes=resumes+1 WHERE path=?", (time.time(), pid, start, host, key))


def record_end(path: str | Path, status: str, *, bundle: str | None = None, metrics: dict[str, Any] | None = None,
               error: str | None = None) -> None:
    """The run ended (``finished``, ``interrupted`` or ``failed``): its time, what its files say
    (task, model, ...), and the bundle and metrics of a finished run."""
    if status not in STATUSES:
        raise ValueError(f"run status {status!r}; expected one of {', '.join(STATUSES)}")
    key, now = _key(path), time.time()
    found = folders.describe(Path(key))
    with _runs(WRITE_TIMEOUT) as conn:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT session_started, seconds, metrics FROM runs WHERE path = ?", (key,)).fetchone()
        if row is None:
            return
        spent = (row[1] or 0.0) + (now - row[0] if row[0] else 0.0)
        sets = {k: found[k] for k in _DESCRIBED if k in found}
        sets.update(status=status, ended=now, seconds=spent, session_started=None, error=error,
                    metrics=json.dumps(metrics if metrics is not None else found.get("metrics", json.loads(row[2]))))
        if bundle is None and status == "finished":  # e.g. stopped after its bundle was registered
            bundle = _bundles_by_run(conn).get(key)
        if bundle is not None:
            sets["bundle"] = bundle
        conn.execute(f"UPDATE runs SET {', '.join(f'{k}=?' for k in sets)} WHERE path=?", (*sets.values(), key))


def forget(path: str | Path) -> None:
    """Drop the row of a run folder removed while still empty (a run refused before its first file)."""
    with _runs(WRITE_TIMEOUT) as conn:
        conn.execute("DELETE FROM runs WHERE path = ?", (_key(path),))


# ----------------------------------------------------------------------------- read
def list_runs(status: str | None = None, limit: int | None = None, *, reconcile_first: bool = True) -> list[RunRecord]:
    """Runs, newest first (``status``: only those; ``limit``: at most that many). Reconciles the
    table with the run folders on disk first (:func:`reconcile`)."""
    if status is not None and status not in STATUSES:
        raise MeddxError(f"run status {status!r}: expected one of {', '.join(STATUSES)}")
    if limit is not None and limit < 1:
        raise MeddxError(f"limit {limit}: expected a positive number of runs")
    if reconcile_first:
        reconcile()
    query = f"SELECT {', '.join(_COLUMNS)} FROM runs" + (" WHERE status = ?" if status else "")
    query += " ORDER BY started DESC, id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    with _runs() as conn:
        rows = conn.execute(query, (status,) if status else ()).fetchall()
    return [_record(r) for r in rows]


def get_run(ref: str | int) -> RunRecord:
    """One run by its id, its folder name, or its folder path."""
    text = str(ref).strip()
    if not text:
        raise MeddxError("empty run reference; expected a run id, folder name or folder path (see `meddx registry runs`)")
    runs = list_runs()
    for match in (lambda r: text.isdigit() and r.id == int(text), lambda r: r.folder == text,
                  lambda r: r.path == _key(text)):
        found = [r for r in runs if match(r)]
        if found:
            return found[0]
    raise MeddxError(f"no run {text!r} in the registry; expected a run id, folder name or folder path "
                     "(see `meddx registry runs`)")


def _record(row: tuple) -> RunRecord:
    v = dict(zip(_COLUMNS, row))
    return RunRecord(id=v["id"], path=v["path"], name=v["name"], status=v["status"], kind=v["kind"], task=v["task"],
                     model=v["model"], data=v["data"], seed=v["seed"], started=v["started"], ended=v["ended"],
                     seconds=v["seconds"], pid=v["pid"], host=v["host"], bundle=v["bundle"],
                     metrics=json.loads(v["metrics"] or "{}"), error=v["error"], note=v["note"],
                     resumes=v["resumes"], resumable=bool(v["resumable"]))


# ----------------------------------------------------------------------------- reconcile
def reconcile() -> None:
    """Bring the table in line with the disk: a row for each run folder that has none (filled from
    its files), ``missing`` for a row whose folder is gone (its status before kept in ``note``),
    re-read from its files when it returns, and ``crashed`` for a ``running`` row whose process on
    this machine has ended without recording how. Rows no process recorded (folders found on disk,
    cross-validation and federated folders) are re-read while unfinished."""
    from meddx.core.paths import runs_dir

    on_disk = {_key(p): p for p in _run_folders(runs_dir())}
    with _runs() as conn:
        conn.execute("BEGIN IMMEDIATE")
        known = {r[0]: r[1:] for r in conn.execute(
            "SELECT path, status, note, pid, pid_start, host, session_started, seconds FROM runs")}
        bundles: dict[str, str] | None = None
        for key, (status, note, pid, start, host, session, seconds) in known.items():
            exists = Path(key).is_dir()
            if not exists and status != "missing":
                conn.execute("UPDATE runs SET status='missing', note=? WHERE path=?",
                             (f"folder deleted; was {status}" + (f"; {note}" if note else ""), key))
            elif exists and (status == "missing" or (pid is None and status != "finished")):
                bundles = bundles if bundles is not None else _bundles_by_run(conn)
                found = _found(Path(key), bundles)
                conn.execute(f"UPDATE runs SET {', '.join(f'{k}=?' for k in found)} WHERE path=?",
                             (*found.values(), key))
            elif status == "running":  # what its files say so far (the plan's model, the data's task)
                found = {k: v for k, v in folders.describe(Path(key)).items() if k in _DESCRIBED}
                if found:
                    conn.execute(f"UPDATE runs SET {', '.join(f'{k}=?' for k in found)} WHERE path=?",
                                 (*found.values(), key))
                if folders.process_alive(pid, start, host) is False:
                    ended = folders.last_written(Path(key))  # about when it stopped writing
                    spent = (seconds or 0.0) + max(0.0, ended - session) if ended and session else seconds
                    conn.execute("UPDATE runs SET status='crashed', ended=?, seconds=?, session_started=NULL, "
                                 "error=? WHERE path=?", (ended, spent, "the process ended without recording how",
                                                          key))
        for key, folder in on_disk.items():
            if key not in known:
                bundles = bundles if bundles is not None else _bundles_by_run(conn)
                _insert_found(conn, folder, bundles)


def _run_folders(root: Path) -> list[Path]:
    try:
        return [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []


def _found(folder: Path, bundles: dict[str, str]) -> dict[str, Any]:
    """The row fields of a run folder read from its files alone (no process recorded it)."""
    found = folders.describe(folder)
    status = folders.legacy_status(folder)
    started = folders.started_at(folder)
    ended = folders.last_written(folder)
    return {"status": status, "kind": found.get("kind"), "task": found.get("task"), "model": found.get("model"),
            "data": found.get("data"), "seed": found.get("seed"), "started": started, "ended": ended,
            "seconds": max(0.0, ended - started) if ended else None, "bundle": bundles.get(_key(folder)),
            "metrics": json.dumps(found.get("metrics") or {}),
            "error": "unknown (run recorded from its folder)" if status == "failed" else None,
            "note": found.get("note") or "found on disk"}


def _insert_found(conn: sqlite3.Connection, folder: Path, bundles: dict[str, str] | None = None) -> None:
    """A row for a run folder found on disk, from its files alone."""
    found = _found(folder, bundles if bundles is not None else _bundles_by_run(conn))
    found.update(path=_key(folder), name=folders.run_name(folder))
    conn.execute(f"INSERT OR IGNORE INTO runs ({', '.join(found)}) VALUES ({', '.join('?' for _ in found)})",
                 tuple(found.values()))


def _bundles_by_run(conn: sqlite3.Connection) -> dict[str, str]:
    """``{run folder: NAME:VERSION}`` from the registered bundles' ``training.run_dir``."""
    out: dict[str, str] = {}
    for name, version, path in conn.execute("SELECT name, version, path FROM bundles ORDER BY version"):
        run_dir = (folders.read_json_quietly(Path(path) / "config.json").get("training") or {}).get("run_dir")
        if isinstance(run_dir, str) and run_dir:
            out[_key(run_dir)] = f"{name}:{version}"
    return out
