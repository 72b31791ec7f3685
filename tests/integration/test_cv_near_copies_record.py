"""``cv.json`` records how the folds grouped near copies (``fold_near_copies``, as a bundle records
``training.val_near_copies``), and its ``how`` says how many near-copy groups were kept in one fold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.data.carve_groups import NEAR_COPY_SETTINGS
from tests.integration.cli_helpers import run_cli
from tests.unit.evaluation.test_cv_near_copies import _documents


def test_cv_json_records_the_near_copy_grouping_of_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    path, _ = _documents(tmp_path / "notes.csv", n=60, copies=6)
    result = run_cli(["cv", "--data", str(path), "--model", "lstm", "--epochs", "1", "--folds", "3", "--no-baseline",
                      "--out", str(tmp_path / "cv")], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert summary["fold_near_copies"] == NEAR_COPY_SETTINGS
    assert "6 group(s) of 12 samples kept in one fold" in summary["how"]


def test_cv_json_of_a_table_records_no_near_copy_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    lines = ["id,x1,x2,label"] + [f"r{i},{rng.normal(i % 2, 1):.3f},{rng.normal(0, 1):.3f},{i % 2}" for i in range(60)]
    data = tmp_path / "t.csv"
    data.write_text("\n".join(lines) + "\n")
    result = run_cli(["cv", "--data", str(data), "--folds", "2", "--out", str(tmp_path / "cv")], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert summary["fold_near_copies"] is None and "near copies" not in summary["how"]
