"""A command-line usage error (unknown option or command, missing argument, bad flag value) is one
``meddx: error:`` line naming the command's help, exit status 2, like every other refusal: click's
standalone mode printed a usage line, a hint and a boxed panel (five lines) instead."""

from __future__ import annotations

import pytest

from tests.integration.cli_helpers import one_line, run_cli


@pytest.mark.parametrize("argv, said, command", [
    (["train", "--bogus"], "No such option '--bogus'", "meddx train"),
    (["evaluate"], "Missing argument 'BUNDLE'", "meddx evaluate"),
    (["nosuch"], "No such command 'nosuch'", "meddx"),
    (["registry", "show"], "Missing argument 'REF'", "meddx registry show"),
    (["demo", "--time-budget", "nan"], "Invalid value for '--time-budget': nan is not a finite number", "meddx demo"),
    (["evaluate", "b", "--level", "abc"], "Invalid value for '--level'", "meddx evaluate"),
])
def test_a_usage_error_is_one_line_naming_the_help(argv: list[str], said: str, command: str, capsys,
                                                  tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    line = one_line(run_cli(argv, capsys))
    assert line.startswith("meddx: error: ") and said in line, line
    assert line.endswith(f"See '{command} --help'."), line
    assert "╭" not in line and "Usage:" not in line


def test_no_arguments_still_prints_the_help(capsys) -> None:
    result = run_cli([], capsys)
    assert result.code == 2 and "Usage: meddx" in result.out + result.err and "meddx: error" not in result.err


def test_help_and_a_normal_command_exit_zero(capsys) -> None:
    assert run_cli(["train", "--help"], capsys).code == 0
    assert run_cli(["models"], capsys).code == 0


def test_debug_keeps_the_parser_traceback(capsys) -> None:
    import click

    with pytest.raises(click.UsageError):
        run_cli(["--debug", "train", "--bogus"], capsys)
