"""API keys: shown once, stored salted-hashed, verified in constant time, revocable, role-checked."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from meddx.core.errors import ConfigError
from meddx.serving.auth import KeyStore, create_key, list_keys, revoke_key


def test_created_key_verifies_and_only_a_salted_hash_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "serving.db"
    token, record = create_key("viewer", "ward 3", db=db)
    other, _ = create_key("viewer", db=db)
    assert token.startswith(f"mdx_{record.id}_") and len(token) > 50
    store = KeyStore(db)
    assert store.verify(token) == record
    secret = token.split("_", 2)[2]
    raw = db.read_bytes() + (tmp_path / "serving.db-wal").read_bytes() if (tmp_path / "serving.db-wal").exists() \
        else db.read_bytes()
    assert secret.encode() not in raw and token.encode() not in raw
    with sqlite3.connect(db) as conn:
        salts = [row[0] for row in conn.execute("SELECT salt FROM api_keys")]
    assert len(set(salts)) == 2 and all(len(s) == 16 for s in salts)
    assert store.verify(other).id != record.id


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
    lambda t: "mdx_0000000000_" + t.split("_", 2)[2],  # unknown id
    lambda t: t.replace("mdx_", "abc_", 1),
    lambda t: "",
    lambda t: "mdx_short",
    lambda t: t + "x" * 300,
])
def test_wrong_or_malformed_tokens_are_refused(tmp_path: Path, mangle) -> None:
    token, _ = create_key("admin", db=tmp_path / "s.db")
    assert KeyStore(tmp_path / "s.db").verify(mangle(token)) is None


def test_roles() -> None:
    from meddx.serving.auth import KeyRecord

    viewer = KeyRecord("a" * 10, "v", "viewer", 0.0)
    admin = KeyRecord("b" * 10, "a", "admin", 0.0)
    assert viewer.allows("viewer") and not viewer.allows("admin")
    assert admin.allows("viewer") and admin.allows("admin")
    assert not KeyRecord("c" * 10, "r", "admin", 0.0, revoked=1.0).allows("viewer")
    with pytest.raises(ConfigError, match="viewer, admin"):
        create_key("owner")


def test_revocation_takes_effect_after_the_cache_time(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    token, record = create_key("viewer", db=db)
    store = KeyStore(db, cache_seconds=0.2)
    assert store.verify(token) is not None
    revoked = revoke_key(record.id, db=db)
    assert revoked.revoked is not None and not revoked.active
    time.sleep(0.25)
    assert store.verify(token) is None
    assert [k.active for k in list_keys(db=db)] == [False]
    with pytest.raises(ConfigError, match="no API key"):
        revoke_key("ffffffffff", db=db)


def test_keys_default_to_the_data_root(meddx_home: Path) -> None:
    token, record = create_key("viewer")
    assert (meddx_home / "serving.db").is_file()
    assert [k.id for k in list_keys()] == [record.id]
