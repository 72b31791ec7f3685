"""Every ``--seed`` is checked against numpy's range where it is parsed: ``meddx evaluate --seed -1``
ended in a numpy traceback from inside the bootstrap (``Seed must be between 0 and 2**32 - 1``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli

COMMANDS = [
    ["evaluate", "BUNDLE", "--data", "DATA"],
    ["compare", "BUNDLE", "BUNDLE", "--data", "DATA"],
    ["explain", "BUNDLE", "IMAGE"],
    ["audit", "membership", "BUNDLE"],
    ["federated", "client", "DATA", "--server", "127.0.0.1:1"],
]


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_seed_outside_numpys_range_is_refused_naming_the_flag(argv: list[str], seed: str, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli([*argv, "--seed", seed], capsys)
    assert result.code == 2, result
    assert "--seed" in result.err and "Traceback" not in result.err + result.out
    assert "0<=x<=4294967295" in result.err.replace(" ", "").replace("\n", "").replace("│", "")
