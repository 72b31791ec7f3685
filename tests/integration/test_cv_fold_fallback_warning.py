"""``meddx cv`` says which folds kept threshold 0.5 because their carved validation part held no
positive (the threshold rule cannot choose without both classes), and passes the source's own
warnings on once, not once per fold. Before, a cross-validation of 123 Pima rows with 3 positives
printed no warning while folds decided at the 0.5 default."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def _table(path: Path) -> Path:
    """40 rows, 7 positives: with 3 folds, some folds' 10% val gets a positive and some do not; the
    column 'code' has zeros that look like a missing-value code (a warning of the whole source)."""
    rng = np.random.default_rng(0)
    lines = ["id,x1,code,label"]
    for i in range(40):
        y = int(i < 7)
        lines.append(f"r{i},{rng.normal(2 * y, 1):.3f},{0 if i % 10 == 0 else rng.integers(50, 90)},{y}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cv_names_the_folds_whose_threshold_fell_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    out = tmp_path / "cv"
    result = run_cli(["cv", "--data", str(_table(tmp_path / "t.csv")), "--folds", "3", "--out", str(out)], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((out / "cv.json").read_text())
    positive = summary["label_names"][1]
    decisions = [json.loads((out / f"fold{k}" / "config.json").read_text())["decision"] for k in range(3)]
    lacking = [k for k, d in enumerate(decisions) if d["val"]["sensitivity"] is None]  # val held no positive
    assert 0 < len(lacking) < 3, "the table must give folds of both kinds"
    assert [f["fold"] for f in summary["folds"] if f["threshold_fallback"]] == lacking
    for k in lacking:
        assert summary["folds"][k]["threshold"] == 0.5
        assert summary["folds"][k]["threshold_fallback"] == [f"no {positive!r} sample"]
    line = [w for w in summary["warnings"] if "fell back to 0.5" in w]
    assert len(line) == 1
    assert f"fold(s) {', '.join(map(str, lacking))} of 3 fell back" in line[0]
    assert f"no {positive!r} sample in the val of fold(s)" in line[0]
    zero_codes = [w for w in summary["warnings"] if "column 'code'" in w]
    assert len(zero_codes) == 1, "the source's own warning once, not once per fold"
    printed = [x for x in result.err.splitlines() if x.startswith("warning: ")]  # warnings: on stderr
    assert printed == [f"warning: {w}" for w in summary["warnings"]]
