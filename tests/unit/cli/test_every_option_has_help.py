"""Every option of every command says what it does in ``--help``.

Found by the evaluation docs rewrite: ``meddx compare --level/--seed`` and ``meddx cv
--model/--epochs/--seed/--progress`` showed only a type and a default; so did ten options of
train, explain, demo, audit and federated.
"""

from __future__ import annotations

import click
import typer

from meddx.cli.main import app


def _options(command: click.Command, path: str) -> list[tuple[str, click.Option]]:
    if isinstance(command, click.Group):
        return [o for name, sub in command.commands.items() for o in _options(sub, f"{path} {name}")]
    return [(path, p) for p in command.params if isinstance(p, click.Option) and p.name != "help"]


def test_every_option_of_every_command_has_help_text() -> None:
    options = _options(typer.main.get_command(app), "meddx")
    assert len(options) > 100  # the walk reached the subcommands
    bare = [f"{path} {'/'.join(o.opts)}" for path, o in options if not (o.help or "").strip()]
    assert not bare, bare
