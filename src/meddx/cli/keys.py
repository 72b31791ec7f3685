"""``meddx keys``: API keys for ``meddx serve`` (stored hashed in MEDDX_HOME/serving.db)."""

from __future__ import annotations

import contextlib
import time
from typing import Iterator

import typer

app = typer.Typer(help="Create, list and revoke API keys for `meddx serve`.", no_args_is_help=True)


@app.command("create")
def create(
    role: str = typer.Option(..., "--role", help="viewer (list models, predict) or admin (also promote/rollback, audit)."),
    name: str = typer.Option("", "--name", help="A label for the key (who or what uses it)."),
) -> None:
    """Create a key and print it ONCE; only its hash is stored."""
    from meddx.serving.auth import create_key

    with keys_database():
        token, record = create_key(role, name)
    typer.echo(token)
    typer.echo(f"key id {record.id} ({record.role}, {record.name}); store the key now: it cannot be shown again",
               err=True)


@app.command("list")
def list_cmd() -> None:
    """Every key: id, name, role, created, revoked (never the secret)."""
    from rich.console import Console
    from rich.table import Table

    from meddx.serving.auth import list_keys

    with keys_database():
        records = list_keys()
    table = Table("id", "name", "role", "created", "status")
    for r in records:
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
        status = "active" if r.active else time.strftime("revoked %Y-%m-%d %H:%M", time.localtime(r.revoked or 0))
        table.add_row(r.id, r.name, r.role, created, status)
    Console().print(table if records else "no API keys yet (meddx keys create --role viewer)")


@app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key id shown by `meddx keys list`.")) -> None:
    """Revoke a key; a running server refuses it within seconds."""
    from meddx.serving.auth import revoke_key

    with keys_database():
        record = revoke_key(key_id)
    typer.echo(f"revoked key {record.id} ({record.role}, {record.name})")


@contextlib.contextmanager
def keys_database() -> Iterator[None]:
    """A damaged, folder-shaped or read-only ``serving.db`` as one ``MeddxError`` line naming it.

    Done here, not in ``meddx.serving.auth.connect``: inside the server a ``MeddxError`` becomes a
    422 for the client, while a database failure must stay a 500 in the operator's log."""
    import sqlite3

    from meddx.core.errors import MeddxError

    try:
        yield
    except sqlite3.Error as exc:
        from meddx.core.paths import meddx_home

        raise MeddxError(f"{meddx_home() / 'serving.db'}: keys/audit database unusable ({exc}); expected a "
                         "writable SQLite file (move a damaged one aside, or set MEDDX_HOME to a writable "
                         "folder)") from None
