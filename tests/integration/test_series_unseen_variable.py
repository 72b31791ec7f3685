"""A long-format series whose test stays hold a variable (and a static descriptor) that no
training stay has: training must not fail, and the test stays must be scored as if those
rows were absent (nothing the model did not learn from may move a prediction)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def _write(folder: Path, extra: bool) -> tuple[Path, Path]:
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv

    series, labels = write_long_csv(make_threshold_series(100, seed=5), folder)
    if extra:
        tests = [r["patient_id"] for r in csv.DictReader(labels.open()) if r["split"] == "test"]
        with series.open("a", newline="") as fh:
            for i, sid in enumerate(tests):
                fh.write(f"{sid},{1.5 + i % 40},bilirubin,{20 + i}\n{sid},,Height,{150 + i}\n")
    return series, labels


@pytest.mark.parametrize("model", ["logreg", "gbm"])
def test_a_variable_seen_only_in_test_is_ignored(model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Before, training stopped with "column 'bilirubin:first' is missing in every training row"."""
    from meddx.bundle import load_bundle
    from meddx.data.series_long import load_long_csv

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    series, labels = _write(tmp_path / "with", extra=True)
    plain, _ = _write(tmp_path / "without", extra=False)
    result = run_cli(["train", "--data", str(series), "--labels-file", str(labels), "--model", model,
                      "--output", str(tmp_path / "b"), "--no-progress"], capsys)
    assert result.code == 0, result.out + result.err
    predictor = load_bundle(tmp_path / "b")
    assert "bilirubin" in predictor.variables
    with_rows = load_long_csv(series, labels_file=labels, variables=predictor.variables,
                              static_names=predictor.config["series"]["static_names"]).split("test").records
    without = load_long_csv(plain, labels_file=labels, variables=predictor.variables,
                            static_names=predictor.config["series"]["static_names"]).split("test").records
    assert sum(len(a) - len(b) for a, b in zip(with_rows, without)) == len(with_rows)
    np.testing.assert_array_equal(predictor.predict_records(with_rows), predictor.predict_records(without))
