"""``meddx evaluate --operating-point RULE`` on a bundle with a bundled baseline (text, series) reports the
extra operating point instead of refusing, and prints it under the network's lines, before the baseline's.

Found by the evaluation walk: the baseline's metrics were computed with the same settings, extra rules
included, but without validation predictions, so every such evaluation stopped with "extra operating
points need the validation split, to choose their thresholds on", although the source had one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


def test_operating_point_on_a_bundle_with_a_baseline(text_run: dict, notes_csv: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ev"
    res = run_cli(["evaluate", str(text_run["bundle"]), "--data", str(notes_csv), "--operating-point",
                   "sensitivity>=0.8", "--out", str(out), "--bootstrap", "0", "--no-verify", "--no-report"], capsys)
    assert res.code == 0, res.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert "baseline" in metrics and "operating_points" not in metrics["baseline"]["test"]["metrics"]
    (point,) = metrics["operating_points"]
    assert point["chosen_on"] == "val" and set(point["test"]) == set(metrics["label_names"])
    for name, rates in point["test"].items():  # each class's threshold met its target on validation
        assert point["val"][name]["sensitivity"] >= 0.8
        assert 0.0 <= rates["sensitivity"]["estimate"] <= 1.0
    lines = res.out.splitlines()
    extra = [i for i, line in enumerate(lines) if "sensitivity>=0.8" in line]
    baseline = next(i for i, line in enumerate(lines) if line.startswith("baseline ("))
    assert len(extra) == len(metrics["label_names"]) and max(extra) < baseline
    assert lines[min(extra) - 1].startswith("extra operating points (chosen on val;")
