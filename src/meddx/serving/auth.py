"""API keys: created once, shown once, stored only as a salted hash in SQLite (``serving.db``).

A key reads ``mdx_<id>_<secret>``: ``id`` (10 hex characters) is public and names the key in
the audit log; ``secret`` is 32 random bytes (``secrets.token_urlsafe``). The database keeps
``sha256(salt || secret)`` with a 16-byte random salt per key.

Why SHA-256 and not scrypt: scrypt/argon2 slow down guessing of *low-entropy* passwords. A
256-bit random secret cannot be guessed whatever the hash speed (2^255 tries on average), so a
slow hash would add nothing but ~50 ms of CPU to every request, which the latency target
(p99 <= 50 ms) cannot afford. The salt still makes a copied database useless for lookup
tables, and comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from meddx.core.errors import ConfigError

ROLES = ("viewer", "admin")
PREFIX = "mdx"
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, salt BLOB NOT NULL,
        hash BLOB NOT NULL, created REAL NOT NULL, revoked REAL)""",
)


@dataclass(frozen=True)
class KeyRecord:
    """One API key as stored (never the secret)."""

    id: str
    name: str
    role: str
    created: float
    revoked: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None

    def allows(self, role: str) -> bool:
        """True when this key may call an endpoint needing ``role`` (admin can do what viewer can)."""
        return self.active and (self.role == "admin" or role == "viewer")


@contextmanager
def connect(db: Path, schema: tuple[str, ...] = _SCHEMA) -> Iterator[sqlite3.Connection]:
    """One short transaction on ``db`` (created with ``schema`` when new); WAL so readers never block."""
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in schema:
            conn.execute(statement)
        with conn:
            yield conn
    finally:
        conn.close()


def _hash(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode("utf-8")).digest()


def _default_db(db: Path | None) -> Path:
    if db is not None:
        return Path(db)
    from meddx.core.paths import meddx_home

    return meddx_home() / "serving.db"


def create_key(role: str, name: str = "", db: Path | None = None) -> tuple[str, KeyRecord]:
    """A new key: returns ``(token, record)``; the token is not stored and cannot be shown again."""
    if role not in ROLES:
        raise ConfigError(f"role {role!r} is not one of {', '.join(ROLES)}")
    key_id = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    record = KeyRecord(id=key_id, name=name or f"{role}-{key_id}", role=role, created=time.time())
    with connect(_default_db(db)) as conn:
        conn.execute("INSERT INTO api_keys VALUES (?,?,?,?,?,?,NULL)",
                     (record.id, record.name, role, salt, _hash(salt, secret), record.created))
    return f"{PREFIX}_{key_id}_{secret}", record


def list_keys(db: Path | None = None) -> list[KeyRecord]:
    """Every key (active and revoked), oldest first."""
    with connect(_default_db(db)) as conn:
        rows = conn.execute("SELECT id, name, role, created, revoked FROM api_keys ORDER BY created").fetchall()
    return [KeyRecord(*row) for row in rows]


def revoke_key(key_id: str, db: Path | None = None) -> KeyRecord:
    """Mark a key revoked (kept for the audit trail); a running server refuses it within seconds."""
    with connect(_default_db(db)) as conn:
        conn.execute("UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL", (time.time(), key_id))
        row = conn.execute("SELECT id, name, role, created, revoked FROM api_keys WHERE id = ?", (key_id,)).fetchone()
    if row is None:
        raise ConfigError(f"no API key with id {key_id!r}; see `meddx keys list`")
    return KeyRecord(*row)


class KeyStore:
    """Verifies presented tokens; caches each key's row for ``cache_seconds`` (so a revocation
    takes effect within that time) to keep SQLite off the hot path."""

    def __init__(self, db: Path, cache_seconds: float = 2.0) -> None:
        self.db = Path(db)
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, tuple | None]] = {}
        self._lock = threading.Lock()
        with connect(self.db):
            pass

    def _row(self, key_id: str) -> tuple | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key_id)
        if hit is not None and now - hit[0] < self.cache_seconds:
            return hit[1]
        with connect(self.db) as conn:
            row = conn.execute("SELECT id, name, role, created, revoked, salt, hash FROM api_keys WHERE id = ?",
                               (key_id,)).fetchone()
        with self._lock:
            if len(self._cache) > 10_000:  # unknown ids are cached too: bound the memory
                self._cache.clear()
            self._cache[key_id] = (now, row)
        return row

    def verify(self, token: str | None) -> KeyRecord | None:
        """The active key for ``token``, or ``None`` (malformed, unknown, wrong secret, revoked)."""
        if not token or len(token) > 200:
            return None
        parts = token.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 10:
            return None
        row = self._row(parts[1])
        salt, stored = (row[5], row[6]) if row else (b"\0" * 16, b"\0" * 32)
        ok = hmac.compare_digest(_hash(salt, parts[2]), stored)  # hashed even for unknown ids: same timing
        if row is None or not ok:
            return None
        record = KeyRecord(*row[:5])
        return record if record.active else None
