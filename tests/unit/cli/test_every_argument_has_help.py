"""Every positional argument of every command is explained in its command's ``--help``.

With click 8.5, ``click.Argument.__init__`` resets the ``help`` that Typer's ``TyperArgument``
had just stored, so ``meddx models --help`` showed ``pattern [PATTERN] [default: *]`` and no
word of what PATTERN is; ``meddx data info SOURCE`` and ``meddx registry add PATH`` alike.
The help is rendered through ``meddx.cli.main._command``, the command the console script runs.
"""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from meddx.cli.main import _command


def _arguments(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Argument]]:
    if isinstance(command, click.Group):
        return [a for name, sub in command.commands.items() for a in _arguments(sub, (*path, name))]
    return [(path, p) for p in command.params if isinstance(p, click.Argument)]


def _help(command: click.Command, path: tuple[str, ...]) -> str:
    """``meddx PATH --help`` with the panel borders removed and whitespace collapsed, so help
    text that rich wrapped over several lines reads as one string."""
    result = CliRunner().invoke(command, [*path, "--help"], prog_name="meddx", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return _flat(re.sub(r"[│╭╮╰╯─]", " ", result.output))


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_argument_help_appears_in_its_command_help() -> None:
    command = _command()
    arguments = _arguments(command)
    assert len(arguments) >= 20  # the walk reached the subcommands (models, data info, registry add, ...)
    missing = []
    for path, argument in arguments:
        text = _flat(getattr(argument, "help", None) or "")
        if not text or text not in _help(command, path):
            missing.append(f"meddx {' '.join(path)} {argument.human_readable_name}")
    assert not missing, missing


def test_models_and_data_info_explain_their_argument() -> None:
    from meddx.cli.data import SOURCE_HELP

    command = _command()
    assert "Filter: a word matches the names containing it ('resnet')" in _help(command, ("models",))
    assert _flat(SOURCE_HELP) in _help(command, ("data", "info"))
