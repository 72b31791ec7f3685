"""``data info``, ``data verify`` and ``train`` warn about zeros that look like a missing-value code.

Found by an audit: a site coding missing cholesterol as 0 (the UCI heart-disease Switzerland and
VA files) was read, described and trained on as real zeros without a word. Now each command names
the column, the count and ``--zero-as-missing``; none refuses (some columns hold real zeros).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli
from tests.unit.data.test_tabular_zeros import write_synthetic


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    return write_synthetic(tmp_path / "site.csv")


def _said(text: str, column: str) -> bool:
    return f"column '{column}'" in text and f"--zero-as-missing {column}" in text


def test_info_and_verify_warn_and_still_succeed(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = run_cli(["data", "info", str(site)], capsys)
    assert info.code == 0, info.err
    shown = " ".join((info.out + info.err).split())
    assert "warning: site.csv: column 'chol': 20 of 200 filled cells are 0" in shown and _said(shown, "ldl")
    assert not _said(shown, "pregnancies") and not _said(shown, "oldpeak")
    as_json = json.loads(run_cli(["data", "info", str(site), "--json"], capsys).out)
    assert [w.split("'")[1] for w in as_json["warnings"]] == ["chol", "ldl"]
    verify = run_cli(["data", "verify", str(site), "--report", str(tmp_path / "v.json")], capsys)
    assert verify.code == 0, verify.err
    assert _said(" ".join((verify.out + verify.err).split()), "chol")
    notes = json.loads((tmp_path / "v.json").read_text())["notes"]
    assert any(n.startswith("warning: site.csv: column 'chol'") for n in notes)
    quiet = run_cli(["data", "info", str(site), "--zero-as-missing", "chol,ldl"], capsys)
    assert quiet.code == 0 and "warning" not in quiet.out + quiet.err


def test_training_warns_and_records_the_warning(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(site), "--output", str(out), "--no-progress"], capsys)
    assert result.code == 0, result.out + result.err
    assert _said(" ".join(result.err.split()), "chol")  # the summary's warning: on stderr
    warnings = json.loads((out / "metrics.json").read_text())["warnings"]
    assert [w.split("'")[1] for w in warnings] == ["chol", "ldl"]
