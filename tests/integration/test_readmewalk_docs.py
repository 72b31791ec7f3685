"""What the README's Quickstart and the text page's prose promise about commands matches the commands.

A first-time user copies the Quickstart's two lines and CI must run the same test command; a
clinical-NLP reader of docs/text.md learns from its prose which reader flags ``meddx cv`` takes and
which settings need a config file. Checked on the files and the command tree (nothing trained)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer

from meddx.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def _options(command_name: str) -> set[str]:
    """Every spelling of every option of ``meddx COMMAND``."""
    command = typer.main.get_command(app).commands[command_name]  # type: ignore[attr-defined]
    found: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option):
            found |= set(param.opts) | set(param.secondary_opts)
    return found


def test_quickstart_is_install_and_demo_then_install_and_test_and_ci_runs_that_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1]
    block = re.search(r"```bash\n(.*?)```", quickstart, re.S)
    assert block, "README Quickstart has no bash block"
    lines = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    assert lines == ['pip install -c constraints.txt -e . && meddx demo',
                     'pip install -c constraints.txt -e ".[test]" && python -m pytest'], lines
    ci = ROOT / ".ci" / "run"
    if not ci.exists():
        pytest.skip(".ci/run is not in this checkout")
    ci_lines = [line.strip() for line in ci.read_text(encoding="utf-8").splitlines()]
    assert lines[1] in ci_lines, ".ci/run does not run the README's test command verbatim"


def test_text_page_names_the_cv_reader_flags_cv_takes_and_sends_no_flagged_setting_to_the_config() -> None:
    page = (ROOT / "docs" / "text.md").read_text(encoding="utf-8")
    sentence = re.search(r"`cv` takes (.*?) go(?:es)? in its config file", page, re.S)
    assert sentence, "docs/text.md no longer says which reader flags `meddx cv` takes"
    flags_part, config_part = sentence.group(1).split(";", 1)
    flags = re.findall(r"`(--[a-z-]+)`", flags_part)
    config_fields = re.findall(r"`([a-z_]+)`", config_part)
    cv_options = _options("cv")
    assert flags and set(flags) <= cv_options, f"named but not cv options: {set(flags) - cv_options}"
    flagged = [field for field in config_fields if "--" + field.replace("_", "-") in cv_options]
    assert not flagged, f"docs/text.md sends {flagged} to cv's config file, but cv takes them as flags"
