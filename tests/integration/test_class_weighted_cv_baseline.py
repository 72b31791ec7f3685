"""Cross-validating a class-weighted multi-class text model with its bundled baseline: the pooled
network − baseline difference compared the baseline with one plain argmax over the network's pooled
recalibrated probabilities, decisions the network never made (each fold decides by argmax p_k·w_k
with its own weights). Found by review: cv.json said "accuracy -0.298" beside a baseline of .979
while the network's folds scored .447 at their own decisions. The argmax metrics of the difference
now count each fold's own labels (oof_predictions.csv), as the network's pooled metrics do."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


def _imbalanced_notes(path: Path) -> Path:
    """Three note classes at 160/50/25 documents: the plan weights the loss (imbalance > 1.5)."""
    from meddx.data.synthetic_text import write_text_csv

    rows = list(csv.reader(write_text_csv(path, n=480, seed=3).open()))
    keep, seen, out = {"cardiology": 160, "neurology": 50, "oncology": 25}, {}, [rows[0][:3]]
    for row in rows[1:]:
        seen[row[2]] = seen.get(row[2], 0) + 1
        if seen[row[2]] <= keep[row[2]]:
            out.append(row[:3])  # no split column: every document is in the folds
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(out)
    return path


def test_the_baseline_difference_does_not_redecide_a_weighted_networks_labels(
        tmp_path: Path, few_resamples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes, out = _imbalanced_notes(tmp_path / "notes.csv"), tmp_path / "cv"
    result = run_cli(["cv", str(few_resamples),
                      "--data", str(notes), "--model", "lstm", "--epochs", "1", "--folds", "2",
                      "--out", str(out), "--no-progress"], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((out / "cv.json").read_text())
    assert json.loads((out / "fold0" / "config.json").read_text())["decision"]["class_weights"]  # weighted
    baseline = summary["baseline"]
    assert "argmax p_k·w_k" in baseline["note"]
    assert baseline["pooled"]["accuracy"] is not None  # the baseline's own argmax decisions are still pooled
    with (out / "oof_predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    names = summary["label_names"]
    right = sum(r["predicted"] == names[int(r["label"])] for r in rows) / len(rows)
    assert summary["pooled"]["accuracy"]["estimate"] == pytest.approx(right)
    network_minus_baseline = right - baseline["pooled"]["accuracy"]["estimate"]
    assert baseline["difference"]["accuracy"]["estimate"] == pytest.approx(network_minus_baseline)
