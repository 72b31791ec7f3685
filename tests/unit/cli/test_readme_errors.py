"""README.md's Errors section tells a first-time user what a bad flag value and Ctrl-C give; the
quoted message and the statuses must be what meddx does (a README that says every bad input is a
``meddx: error:`` line sends users looking for the wrong thing when click reports a flag)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli

README = Path(__file__).resolve().parents[3] / "README.md"


def _errors_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Errors")
    return " ".join(text[start:text.index("\n## ", start + 1)].split())


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and output (stdout then stderr, the box drawing of click's error panel removed)."""
    result = run_cli(argv, capsys)
    return result.code, " ".join((result.out + result.err).replace("│", " ").split())


def test_readme_quotes_the_nan_flag_refusal_as_meddx_prints_it(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    quoted = re.search(r"`(Invalid value for '(--[a-z-]+)': (nan|inf) is not a finite number)`", _errors_section())
    assert quoted, "README's Errors section does not quote the message a nan/inf flag gives"
    message, flag, value = quoted.groups()
    code, out = _run(["demo", flag, value], capsys)
    assert code == 2 and message in out
    assert not (tmp_path / "home" / "datasets").exists()  # refused before anything was written


def test_readme_gives_the_interrupt_status_meddx_uses() -> None:
    from meddx.training.fit import TrainingInterrupted

    section = _errors_section()
    assert "Ctrl-C" in section and f"exit status {TrainingInterrupted.exit_code}" in section
    assert "meddx: interrupted" in section and "meddx train --resume RUN_DIR" in section
