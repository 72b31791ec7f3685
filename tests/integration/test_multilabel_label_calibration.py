"""``meddx evaluate`` of a multi-label bundle writes each label's calibration (``calibration.per_label``,
``evaluation.label_calibration``), prints one line per label, and shows a per-label table in report.html;
the pooled numbers stay where they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from meddx.data.synthetic import make_findings_source, write_manifest


def test_evaluate_writes_and_prints_calibration_per_label(tmp_path: Path, meddx_home: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    source = make_findings_source("multilabel", n_train=120, n_val=60, n_test=50, seed=5)
    manifest = write_manifest(source, tmp_path / "ml")
    bundle = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(manifest), "--model", "seed-cnn", "--epochs", "1",
                      "--output", str(bundle), "--no-progress"], capsys)
    assert result.code == 0, result.err
    out = tmp_path / "eval"
    result = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--bootstrap", "0", "--no-verify",
                      "--out", str(out)], capsys)
    assert result.code == 0, result.err
    metrics = json.loads((out / "metrics.json").read_text())
    cal, names = metrics["calibration"], metrics["label_names"]
    assert cal["before"]["target"] == "per-label probability (pooled)" and cal["after"] is not None
    assert list(cal["per_label"]) == names
    for j, name in enumerate(names):
        entry = cal["per_label"][name]
        assert entry["n"] == 50 and entry["n_positive"] == sum(row[j] for row in source.splits["test"].labels)
        for when in ("before", "after"):
            assert {"ece", "brier", "in_the_large", "slope", "mean_predicted"} <= set(entry[when])
        assert f"  {name}: ECE {entry['before']['ece']:.3f} -> {entry['after']['ece']:.3f}  in the large " in result.out
    assert "calibration per label (before -> after temperature):" in result.out
    html = (out / "report.html").read_text()
    assert "<h3>Per label (before → after temperature)</h3>" in html and f"<td class=l>{names[0]}</td>" in html
