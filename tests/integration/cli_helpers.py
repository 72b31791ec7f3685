"""Run the real CLI in-process and capture its exit code and output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


# A unique string planted once in the shared text run's notes (conftest ``notes_csv``): it must
# appear in no output and no file meddx writes, because notes carry PHI.
CANARY = "Zyxwvutsrq Canaryname"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> CliResult:
    """Run ``meddx ARGV`` through the console-script entry point; return exit code and output."""
    from meddx.cli.main import main

    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)




def one_line(result: CliResult) -> str:
    """The single stderr line of a refusal (exit 2, no traceback)."""
    assert result.code == 2, (result.out, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file directly in ``folder`` with its bytes: what a refusal must leave unchanged."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
