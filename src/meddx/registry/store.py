"""SQLite index of bundles under the data root: names, versions, where they are, headline metrics.

The bundle folder is the truth; the index only finds it. One file, no server, safe for
several processes (SQLite's own locking; each call is one short transaction).
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from meddx.core.errors import BundleError
from meddx.core.paths import registry_db
from meddx.registry.headline import headline_metrics  # also imported from here: run_log, run_folders

SCHEMA = """
CREATE TABLE IF NOT EXISTS bundles (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    path TEXT NOT NULL,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    data TEXT,
    labels TEXT NOT NULL,
    metrics TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (name, version)
);
"""

# Stage aliases (``production``) as an append-only event log: a promotion pushes a version on the
# stage's stack, a rollback pops it, so the history is kept and a rollback returns exactly to the
# version promoted before.
STAGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS stage_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    action TEXT NOT NULL,
    version INTEGER NOT NULL,
    time REAL NOT NULL
);
"""

# Versions removed from the index: a version number names one bundle for good, so the next bundle
# of that name never gets a removed number again (stage histories and audit logs keep meaning one model).
RETIRED_SCHEMA = """
CREATE TABLE IF NOT EXISTS retired_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    path TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (name, version)
);
"""


# The config name of a version filed under another name (``registry add --name``), for ``same_bundle``;
# a table of its own, so a registry.db shared with an older meddx still works there.
FILED_SCHEMA = """CREATE TABLE IF NOT EXISTS filed_names (name TEXT NOT NULL, version INTEGER NOT NULL,
    config_name TEXT NOT NULL, PRIMARY KEY (name, version));"""


@dataclass
class BundleRecord:
    """One registered bundle version."""

    name: str
    version: int
    path: str
    task: str
    model: str
    data: str | None
    labels: list[str]
    metrics: dict[str, Any]
    created: float
    config_name: str | None = None  # the folder's own name when filed under another (``registry add --name``)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class StaleEntryError(BundleError):
    """A registered version whose folder was deleted or moved behind the registry's back."""

    @classmethod
    def of(cls, record: Any) -> "StaleEntryError":
        """The message names the registry reference (not only a path the user never typed) and
        how to drop the stale row."""
        return cls(f"{record.name} v{record.version} is registered at {record.path}, but that folder no longer "
                   f"exists; put the bundle back there, or remove the stale entry with "
                   f"`meddx registry remove {record.name} --version {record.version}`")


@contextmanager
def _connect(db: Path | None = None, *, timeout: float = 30,
             schemas: tuple[str, ...] = ()) -> Iterator[sqlite3.Connection]:
    """One transaction on the registry; ``schemas``: further tables to create if missing (``registry.runs``)."""
    db = db or registry_db()
    try:
        conn = sqlite3.connect(str(db), timeout=timeout)
    except sqlite3.Error as exc:
        raise _db_error(db, exc) from None
    try:
        for schema in (SCHEMA, STAGES_SCHEMA, RETIRED_SCHEMA, FILED_SCHEMA, *schemas):
            conn.execute(schema)
        with conn:
            yield conn
    except sqlite3.Error as exc:  # not a database, a folder, read-only, locked for 30 s
        raise _db_error(db, exc) from None
    finally:
        conn.close()


def _db_error(db: Path, exc: sqlite3.Error) -> BundleError:
    return BundleError(f"{db}: registry database unusable ({exc}); expected a writable SQLite file under "
                       "MEDDX_HOME (move a damaged one aside, or set MEDDX_HOME to a writable folder)")


def next_version(name: str) -> int:
    """The version number the next bundle called ``name`` will get: one above every version it ever
    had, removed ones included (a removed number is never given to another bundle)."""
    with _connect() as conn:
        return _highest_version(conn, name) + 1


def _highest_version(conn: sqlite3.Connection, name: str) -> int:
    """The highest version ``name`` has had: registered, removed, or named in a stage event (a
    removal made before removed versions were recorded still left its stage events)."""
    row = conn.execute("SELECT MAX(v) FROM (SELECT MAX(version) AS v FROM bundles WHERE name = ?1 UNION ALL "
                       "SELECT MAX(version) FROM retired_versions WHERE name = ?1 UNION ALL "
                       "SELECT MAX(version) FROM stage_events WHERE name = ?1)", (name,)).fetchone()
    return int(row[0] or 0)


def register_bundle(path: str | Path, version: int | None = None, name: str | None = None) -> BundleRecord:
    """Index a bundle folder under ``name`` (default: its config name; the folder is never
    rewritten); returns the record (with its version)."""
    from meddx.bundle.bundle import read_bundle_config

    path = Path(path).resolve()
    config = read_bundle_config(path)
    metrics = json.loads((path / "metrics.json").read_text())
    own = str(config.get("name") or path.name)
    name = name or own
    record = BundleRecord(
        name=name,
        version=version or 0,
        path=str(path),
        task=config["task"],
        model=config["model"]["name"],
        data=config.get("training", {}).get("data"),
        labels=list(config["label_names"]),
        metrics=headline_metrics(metrics),
        created=time.time(),
        config_name=own if own != name else None,
    )
    with _connect() as conn:
        # One write transaction reads the next version and inserts it: two processes registering
        # the same name at once get different versions, and a version never replaces another bundle.
        conn.execute("BEGIN IMMEDIATE")
        if not version:
            record.version = _highest_version(conn, name) + 1
        taken = conn.execute("SELECT path FROM bundles WHERE name = ? AND version = ?",
                             (name, record.version)).fetchone()
        if taken and taken[0] != record.path:
            raise BundleError(f"{name}:{record.version} is already registered for {taken[0]}; register {path} "
                              "without a version to give it the next one")
        retired = conn.execute("SELECT path FROM retired_versions WHERE name = ? AND version = ?",
                               (name, record.version)).fetchone()
        if retired and retired[0] != record.path:  # the same folder may come back under its own number
            raise BundleError(f"{name}:{record.version} was removed from the registry (it was {retired[0]}) and "
                              f"version numbers are never reused; register {path} without a version to give it "
                              "the next one")
        conn.execute(
            "INSERT OR REPLACE INTO bundles VALUES (?,?,?,?,?,?,?,?,?)",
            (record.name, record.version, record.path, record.task, record.model, record.data,
             json.dumps(record.labels), json.dumps(record.metrics), record.created),
        )
        conn.execute("DELETE FROM filed_names WHERE name = ? AND version = ?", (name, record.version))
        if record.config_name:
            conn.execute("INSERT INTO filed_names VALUES (?,?,?)", (name, record.version, record.config_name))
    return record


def list_bundles(name: str | None = None) -> list[BundleRecord]:
    """All registered bundles (or all versions of ``name``), newest version first per name."""
    query = ("SELECT b.*, f.config_name FROM bundles b LEFT JOIN filed_names f USING (name, version)"
             + (" WHERE name = ?" if name else "") + " ORDER BY name, version DESC")
    with _connect() as conn:
        rows = conn.execute(query, (name,) if name else ()).fetchall()
    return [_record(r) for r in rows]


def remove_bundle(name: str, version: int) -> BundleRecord:
    """Drop ``name:version`` from the index and from every stage that holds it; returns the removed
    record. The folder is left as it is (it may already be gone: the usual reason to remove a row).
    A stage that served this version falls back to the version promoted before it, else to none."""
    with _connect() as conn:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT * FROM bundles WHERE name = ? AND version = ?", (name, int(version))).fetchone()
        if row is None:
            versions = [str(v) for (v,) in conn.execute(
                "SELECT version FROM bundles WHERE name = ? ORDER BY version", (name,))]
            have = f"{name} has versions {', '.join(versions)}" if versions else f"nothing is registered as {name!r}"
            raise BundleError(f"no registered bundle {name}:{version} to remove; {have} (see `meddx registry list`)")
        conn.execute("DELETE FROM bundles WHERE name = ? AND version = ?", (name, int(version)))
        conn.execute("DELETE FROM filed_names WHERE name = ? AND version = ?", (name, int(version)))
        conn.execute("INSERT OR REPLACE INTO retired_versions VALUES (?,?,?,?)",
                     (name, int(version), row[2], time.time()))
        held = conn.execute("SELECT DISTINCT stage FROM stage_events WHERE name = ? AND version = ?",
                            (name, int(version))).fetchall()
        for (stage,) in held:  # an event, so the stage history says why the version left
            conn.execute("INSERT INTO stage_events (name, stage, action, version, time) VALUES (?,?,?,?,?)",
                         (name, stage, "remove", int(version), time.time()))
    return _record(row)


def get_bundle(ref: str) -> BundleRecord:
    """Resolve ``NAME:VERSION``, or ``NAME`` to the version promoted to production (what
    ``meddx serve`` serves; after a rollback, the version rolled back to) or, when none was
    promoted, the latest version (``resolve.find_bundle``), and check that its folder still holds
    that bundle. A bare name never means a version that was rolled back."""
    from meddx.registry.resolve import find_bundle
    from meddx.registry.same_bundle import check_same_bundle

    record = find_bundle(ref)
    check_same_bundle(record)  # the folder may hold another bundle since it was registered
    return record


def resolve_bundle_path(ref: str | Path) -> Path:
    """A bundle folder path, or a registry reference ``NAME[:VERSION]`` resolved to its path (checked
    as :func:`get_bundle` checks it).

    A folder that is not a bundle (no ``config.json``) but shares its name with a registered
    bundle (say the data folder ``img`` and the bundle ``img``) means the registered bundle.
    """
    from meddx.registry.resolve import resolve_bundle
    from meddx.registry.same_bundle import check_same_bundle

    path, record = resolve_bundle(ref)
    if record is not None:
        check_same_bundle(record)
    return path


def _is_plain_name(ref: str) -> bool:
    return not any(sep in ref for sep in ("/", "\\")) and not ref.startswith(".")


def _record(row: tuple) -> BundleRecord:
    return BundleRecord(
        name=row[0], version=row[1], path=row[2], task=row[3], model=row[4], data=row[5],
        labels=json.loads(row[6]), metrics=json.loads(row[7]), created=row[8],
        config_name=row[9] if len(row) > 9 else None,
    )


# ----------------------------------------------------------------------------- stages
_STAGE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _check_stage(stage: str) -> str:
    if not stage or len(stage) > 32 or not set(stage) <= _STAGE_CHARS:
        raise BundleError(f"stage {stage!r}: use lower-case letters, digits, '-' or '_' (e.g. production)")
    return stage


def _stage_stack(conn: sqlite3.Connection, name: str, stage: str) -> list[int]:
    """Replay the stage's events: promote pushes a version, rollback pops the top one."""
    rows = conn.execute("SELECT action, version FROM stage_events WHERE name = ? AND stage = ? ORDER BY id",
                        (name, stage)).fetchall()
    stack: list[int] = []
    for action, version in rows:
        _replay(stack, action, int(version))
    return stack


def _replay(stack: list[int], action: str, version: int) -> None:
    """Apply one stage event: promote pushes, rollback pops, remove (the version left the
    registry) takes every occurrence of that version out, so the stage falls back past it."""
    if action == "promote":
        stack.append(version)
    elif action == "remove":
        stack[:] = [v for v in stack if v != version]
    elif stack:
        stack.pop()


def promote(name: str, version: int, stage: str = "production") -> int:
    """Make ``name:version`` the bundle of ``stage``; returns the version. Promoting the version
    already there is a no-op. The version must be registered and its folder a valid bundle."""
    from meddx.bundle.bundle import read_bundle_config
    from meddx.registry.resolve import find_bundle

    stage = _check_stage(stage)
    record = find_bundle(f"{name}:{int(version)}")
    read_bundle_config(record.path, registered=record)  # incomplete, a pickle, or another bundle: refused
    with _connect() as conn:
        conn.execute("BEGIN IMMEDIATE")
        stack = _stage_stack(conn, name, stage)
        if not stack or stack[-1] != record.version:
            conn.execute("INSERT INTO stage_events (name, stage, action, version, time) VALUES (?,?,?,?,?)",
                         (name, stage, "promote", record.version, time.time()))
    return record.version


def rollback(name: str, stage: str = "production") -> int:
    """Return ``stage`` to the version promoted before the current one; returns that version.

    Raises ``BundleError`` when there is no earlier promotion to go back to.
    """
    stage = _check_stage(stage)
    with _connect() as conn:
        conn.execute("BEGIN IMMEDIATE")
        stack = _stage_stack(conn, name, stage)
        if len(stack) < 2:
            now = f"only v{stack[0]} was promoted" if stack else "nothing was promoted"
            stage_flag = "" if stage == "production" else f" --stage {stage}"  # the CLI's default stage
            raise BundleError(f"cannot roll back {name!r} {stage}: {now}; promote a version with "
                              f"`meddx registry promote {name} VERSION{stage_flag}`")
        conn.execute("INSERT INTO stage_events (name, stage, action, version, time) VALUES (?,?,?,?,?)",
                     (name, stage, "rollback", stack[-2], time.time()))
    return stack[-2]


def stage_version(name: str, stage: str = "production") -> int | None:
    """The version currently in ``stage`` for ``name``, or ``None`` when none was promoted."""
    with _connect() as conn:
        stack = _stage_stack(conn, name, _check_stage(stage))
    return stack[-1] if stack else None


def production_version(name: str) -> int | None:
    """The version promoted to ``production`` for ``name``, or ``None``."""
    return stage_version(name, "production")


def stage_history(name: str, stage: str = "production") -> list[dict[str, Any]]:
    """Every promotion, rollback and removal of ``name`` in ``stage``, oldest first (``version``:
    the one that became current; for a removal, the one removed)."""
    with _connect() as conn:
        rows = conn.execute("SELECT action, version, time FROM stage_events WHERE name = ? AND stage = ? ORDER BY id",
                            (name, _check_stage(stage))).fetchall()
    return [{"action": a, "version": int(v), "time": t} for a, v, t in rows]


def stages() -> dict[tuple[str, str], int]:
    """Current version of every (name, stage) that has one, in one query (for listings and polling)."""
    with _connect() as conn:
        rows = conn.execute("SELECT name, stage, action, version FROM stage_events ORDER BY id").fetchall()
    stacks: dict[tuple[str, str], list[int]] = {}
    for name, stage, action, version in rows:
        _replay(stacks.setdefault((name, stage), []), action, int(version))
    return {key: stack[-1] for key, stack in stacks.items() if stack}
