"""``meddx train`` on a multi-label source fits one temperature per label on validation and the bundle,
its model card and ``meddx evaluate`` show them (``evaluation.label_temperature``); ``meddx evaluate``
writes each label's calibration (``calibration.per_label``, ``evaluation.label_calibration``), prints
one line per label and shows a per-label table in report.html, the pooled numbers staying where they
were. One bundle, trained once, for both."""

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
    card = (out / "model_card.md").read_text()
    assert "temperature-scaled with T per label: " + names[0] in card
    assert "### Calibration per label" in card and f"| {names[0]} | " in card  # the card's per-label table
    assert config["format"] == "meddx-bundle/2" and config["calibration"]["n_val"] == 80
    evaluation = tmp_path / "eval"
    result = run_cli(["evaluate", str(out), "--data", str(manifest), "--bootstrap", "0", "--no-verify",
                      "--out", str(evaluation)], capsys)
    assert result.code == 0, result.err
    assert f"after temperature per label: {names[0]} " in result.out
    _check_calibration_per_label(evaluation, source, result.out)


def _check_calibration_per_label(out: Path, source: object, printed: str) -> None:
    metrics = json.loads((out / "metrics.json").read_text())
    cal, names = metrics["calibration"], metrics["label_names"]
    assert cal["before"]["target"] == "per-label probability (pooled)" and cal["after"] is not None
    assert list(cal["per_label"]) == names
    test_labels = source.splits["test"].labels  # type: ignore[attr-defined]
    for j, name in enumerate(names):
        entry = cal["per_label"][name]
        assert entry["n"] == 60 and entry["n_positive"] == sum(row[j] for row in test_labels)
        for when in ("before", "after"):
            assert {"ece", "brier", "in_the_large", "slope", "mean_predicted"} <= set(entry[when])
        assert f"  {name}: ECE {entry['before']['ece']:.3f} -> {entry['after']['ece']:.3f}  in the large " in printed
    assert "calibration per label (before -> after temperature):" in printed
    html = (out / "report.html").read_text()
    assert "<h3>Per label (before → after temperature)</h3>" in html and f"<td class=l>{names[0]}</td>" in html
