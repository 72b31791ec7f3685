"""Every ``meddx`` command line in the README's and the user pages' ``bash`` blocks names a command
that exists and only options that command takes, so a reader who copies one gets past the parser.

Checked on the command tree itself (no subprocess, nothing trained): a renamed or dropped flag
fails here instead of in a user's shell."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import typer

from meddx.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["README.md", *(f"docs/{name}.md" for name in (
    "text", "serving", "tabular", "timeseries", "explanations", "privacy", "federated", "segmentation",
    "training-notes", "text-notes"))]
FENCE = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)


def command_lines(text: str) -> list[str]:
    """The ``meddx ...`` commands of a page's ``bash`` blocks: continuation lines joined, comments
    dropped, each ``;``/``&&``/``|`` part on its own."""
    lines: list[str] = []
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            part: list[str] = []
            for word in [*words, ";"]:
                if word in (";", "&&", "|", "||"):
                    if part and part[0] == "meddx":
                        lines.append(shlex.join(part))
                    part = []
                else:
                    part.append(word)
    return lines


def unknown_options(line: str, root: click.Command) -> list[str]:
    """The options of ``line`` its command does not take, or the words naming no command."""
    words = shlex.split(line)[1:]
    command, problems = root, []
    while words and words[0].startswith("--") and words[0] in _spellings(root):  # meddx --debug train
        words = words[1:]
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        sub = command.commands.get(words[0])
        if sub is None:
            return [f"no command {words[0]!r}"]
        command, words = sub, words[1:]
    known = _spellings(command)
    for word in words:
        if word.startswith("-") and len(word) > 1 and not word[1:2].isdigit():
            flag = word.split("=", 1)[0]
            if flag not in known:
                problems.append(flag)
    return problems


def _spellings(command: click.Command) -> set[str]:
    spellings = {"--help"}
    for param in command.params:
        if isinstance(param, click.Option):
            spellings |= set(param.opts) | set(param.secondary_opts)
    return spellings


@pytest.mark.parametrize("page", PAGES)
def test_every_meddx_line_of_a_page_uses_options_its_command_takes(page: str) -> None:
    path = ROOT / page
    if not path.exists():
        pytest.skip(f"{page} is not in this checkout")
    lines = command_lines(path.read_text(encoding="utf-8"))
    root = typer.main.get_command(app)
    bad = {line: problems for line in lines if (problems := unknown_options(line, root))}
    assert not bad, f"{page}: {bad}"


def test_the_check_catches_a_flag_no_command_takes() -> None:
    """The parse above finds lines and flags at all (a page whose blocks it could not read would
    pass every time)."""
    text = "```bash\nmeddx train --data x.csv \\\n  --time-budgit 1   # typo\nmeddx models\n```\n"
    lines = command_lines(text)
    assert lines == ["meddx train --data x.csv --time-budgit 1", "meddx models"]
    root = typer.main.get_command(app)
    assert unknown_options(lines[0], root) == ["--time-budgit"]
    assert unknown_options("meddx registery list", root) == ["no command 'registery'"]
    assert unknown_options("meddx --debug federated simulate --sites 5 -o out", root) == []
