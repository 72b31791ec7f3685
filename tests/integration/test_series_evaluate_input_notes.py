"""``meddx evaluate`` on series files says what ``meddx predict`` says of them (helper "tables49", stop 49).

Before, ``predict`` noted observations it did not read (after the bundle's window, outside a PhysioNet
valid range), rows repeated exactly and observations of a variable no training stay had, while
``evaluate`` on the same files printed its metrics without a word (only ``metrics.json``'s
``dataset.notes`` held the reader's total, and nothing named the unused variable anywhere): on 200
PhysioNet set-A files 162 values outside the valid ranges were left out silently.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


def _with_unseen_variable(folder: Path) -> tuple[Path, Path, list[str]]:
    """A synthetic long CSV whose test stays (only) also hold ``bilirubin`` rows: the bundle knows the
    name (training reads the whole file) but no training stay observed it."""
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv

    series, labels = write_long_csv(make_threshold_series(100, seed=5), folder)
    tests = [r["patient_id"] for r in csv.DictReader(labels.open()) if r["split"] == "test"]
    with series.open("a", newline="") as fh:
        fh.writelines(f"{sid},{1.5 + i % 40},bilirubin,{20 + i}\n" for i, sid in enumerate(tests))
    return series, labels, tests


def test_evaluate_repeats_what_predict_notes_of_series_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle import load_bundle

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    series, labels, tests = _with_unseen_variable(tmp_path / "train")
    result = run_cli(["train", "--data", str(series), "--labels-file", str(labels), "--model", "gbm",
                      "--output", str(tmp_path / "b"), "--no-progress"], capsys)
    assert result.code == 0, result.out + result.err
    window = load_bundle(tmp_path / "b").window_hours
    other = tmp_path / "other.csv"  # another extract of the same stays: one late row, one row given twice
    lines = series.read_text().splitlines()
    first = next(line for line in lines[1:] if line.startswith(f"{tests[0]},") and line.split(",")[1])
    other.write_text("\n".join([*lines, f"{tests[0]},{window + 12:g},lactate,2.5", first]) + "\n")

    result = run_cli(["evaluate", str(tmp_path / "b"), "--data", str(other), "--labels-file", str(labels),
                      "--split", "test", "--bootstrap", "0", "--no-report", "--no-verify",
                      "--out", str(tmp_path / "eval")], capsys)
    assert result.code == 0, result.out + result.err
    warnings = json.loads((tmp_path / "eval" / "metrics.json").read_text())["warnings"]
    late = [w for w in warnings if "not read" in w]
    assert late == [f"1 observation(s) of {other} not read (1 after the {window:g}-h window; by variable: lactate (1)), "
                    "as predict leaves them out; the metrics are from the rest"], warnings
    assert any(w.startswith("dropped 1 row(s) repeating another exactly") for w in warnings), warnings
    unused = [w for w in warnings if "not used" in w]
    assert unused == [f"{len(tests)} observation(s) of bilirubin ({len(tests)}) not used: no training stay observed "
                      "them, so the model learnt nothing for them and scores those stays as if they were not "
                      "measured"], warnings
    for warning in (*late, *unused):
        assert f"warning: {warning}" in result.err

    stay = tmp_path / "stay.csv"  # predict says the same of one of those stays
    stay.write_text("patient_id,time,variable,value\n" + "".join(
        line + "\n" for line in lines[1:] if line.startswith(f"{tests[0]},")))
    result = run_cli(["predict", str(tmp_path / "b"), str(stay), "--json"], capsys)
    assert result.code == 0, result.err
    assert ("note: 1 observation(s) of bilirubin (1) not used: no training stay observed them" in result.err), result.err


def test_evaluate_on_the_files_predict_reads_cleanly_says_nothing_more(tmp_path: Path) -> None:
    """The notes come from what the files hold: the training file's own test split, read as trained,
    gets none of them (no stray warning on every evaluation)."""
    from meddx.bundle import load_bundle
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv
    from meddx.evaluation.evaluate import evaluate_bundle
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(tmp_path / "home"))
        series, labels = write_long_csv(make_threshold_series(100, seed=5), tmp_path / "data")
        predictor = load_bundle(fit(TrainConfig(data=str(series), labels_file=str(labels), model="gbm",
                                                ci_resamples=0, verify=False), progress=False).bundle_path)
        metrics, _ = evaluate_bundle(predictor, str(series), split="test", out=tmp_path / "eval", verify=False,
                                     report=False)
    assert not [w for w in metrics["warnings"] if "not read" in w or "not used" in w or "repeating" in w], \
        metrics["warnings"]
