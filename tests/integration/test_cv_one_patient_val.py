"""``meddx cv`` with folds so small that a fold's carved validation split holds one patient: the
bootstrap of the validation metrics resamples samples (with a note) instead of aborting the run
after the fold has trained (audit 51, defect 4)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def test_cv_completes_when_a_fold_validation_split_holds_one_patient(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    lines = ["id,patient_id,x1,x2,label"]  # 20 patients x 4 rows: 2 folds of 10 patients, val = 1 patient
    for i in range(80):
        y = int((i // 4) % 2 == 0)
        lines.append(f"r{i},p{i // 4},{rng.normal(y, 1):.3f},{rng.normal(0, 1):.3f},{y}")
    data = tmp_path / "t.csv"
    data.write_text("\n".join(lines) + "\n")
    result = run_cli(["cv", "--data", str(data), "--folds", "2", "--out", str(tmp_path / "cv")], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert [f["n_val"] for f in summary["folds"]] == [4, 4]
    val_ci = json.loads((tmp_path / "cv" / "fold0" / "metrics.json").read_text())["val"]["ci"]
    assert "samples resampled instead of patients" in val_ci["accuracy"]["note"]
    assert summary["pooled"]["auc"]["bca"][0] is not None
