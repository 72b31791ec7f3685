"""``meddx evaluate --columns`` reads an external table file without a header row.

Before, a bundle trained on a file with a header could not evaluate a header-less copy of the same
kind of rows: the reader's error said "pass ... --columns a,b,c", a flag ``evaluate`` did not have."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from meddx.core.errors import ConfigError, DataError
from meddx.evaluation.as_trained import _column_names


def _rows(path: Path, n: int, seed: int, header: bool) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = (a + 0.5 * b + rng.normal(scale=0.5, size=n) > 0).astype(int)
    lines = (["age_z,bmi_z,outcome"] if header else []) + [f"{p:.4f},{q:.4f},{c}" for p, q, c in zip(a, b, y)]
    path.write_text("\n".join(lines) + "\n")


def test_evaluate_reads_a_headerless_table_with_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.cli.main import app

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    _rows(tmp_path / "train.csv", 300, 0, header=True)
    _rows(tmp_path / "external.csv", 120, 1, header=False)
    runner = CliRunner()
    done = runner.invoke(app, ["train", "--data", str(tmp_path / "train.csv"), "--label-column", "outcome",
                               "--name", "cols"])
    assert done.exit_code == 0, done.output
    refused = runner.invoke(app, ["evaluate", "cols", "--data", str(tmp_path / "external.csv"), "--split", "train",
                                  "--no-report", "--bootstrap", "0"])
    assert isinstance(refused.exception, DataError) and "--columns a,b,c" in str(refused.exception)
    done = runner.invoke(app, ["evaluate", "cols", "--data", str(tmp_path / "external.csv"), "--split", "train",
                               "--columns", "age_z,bmi_z,outcome", "--no-report", "--bootstrap", "0", "--json"])
    assert done.exit_code == 0, done.output
    metrics = json.loads(done.output[done.output.index("{"):])
    assert metrics["n"] == 120 and metrics["auc"] > 0.8


def test_columns_are_for_table_bundles_only() -> None:
    assert _column_names("a, b,c", "tabular", "t") == ["a", "b", "c"]
    with pytest.raises(ConfigError, match="--columns: bundle 'notes' \\(text\\) reads no table"):
        _column_names("a,b", "text", "notes")
    with pytest.raises(ConfigError, match="empty column name"):
        _column_names("a,,b", "tabular", "t")
