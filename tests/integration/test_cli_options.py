"""CLI conventions that hold for every command, checked on the command tree itself."""

from __future__ import annotations

from typing import Iterator

import click
import typer

from meddx.cli.main import app


def _commands(group: click.Command, prefix: str = "meddx") -> Iterator[tuple[str, click.Command]]:
    yield prefix, group
    for name, sub in getattr(group, "commands", {}).items():
        yield from _commands(sub, f"{prefix} {name}")


def test_every_output_option_takes_out_output_and_o() -> None:
    """A user who typed ``--out`` for one verb types it for the next: every option that names
    where results go accepts ``--out``, ``--output`` and ``-o`` alike."""
    found, missing = [], []
    for path, command in _commands(typer.main.get_command(app)):
        for param in command.params:
            if isinstance(param, click.Option) and param.name in ("out", "output"):
                found.append(path)
                spellings = set(param.opts) | set(param.secondary_opts)
                if not {"--out", "--output", "-o"} <= spellings:
                    missing.append(f"{path}: {sorted(spellings)}")
    assert {"meddx train", "meddx predict", "meddx evaluate", "meddx explain", "meddx deid"} <= set(found)
    assert not missing, missing
