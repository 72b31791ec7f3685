"""``meddx train`` on a multi-label source fits one temperature per label on validation and the bundle,
its model card and ``meddx evaluate`` show them (``evaluation.label_temperature``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from meddx.data.synthetic import make_findings_source, write_manifest


def test_a_multilabel_bundle_holds_one_temperature_per_label(tmp_path: Path, meddx_home: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    source = make_findings_source("multilabel", n_train=160, n_val=80, n_test=60, seed=3)
    manifest = write_manifest(source, tmp_path / "ml")
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(manifest), "--model", "seed-cnn", "--epochs", "2",
                      "--output", str(out), "--no-progress"], capsys)
    assert result.code == 0, result.err
    config = json.loads((out / "config.json").read_text())
    names, temperature = config["label_names"], config["calibration"]["temperature"]
    assert isinstance(temperature, list) and len(temperature) == len(names) >= 2
    assert all(0.05 <= t <= 20 for t in temperature) and "per label" in config["calibration"]["method"]
    assert "temperature-scaled with T per label: " + names[0] in (out / "model_card.md").read_text()
    result = run_cli(["evaluate", str(out), "--data", str(manifest), "--bootstrap", "0"], capsys)
    assert result.code == 0, result.err
    assert f"after temperature per label: {names[0]} " in result.out
