"""Rows to predict whose values lie far outside the training range get a note naming the column.

Found by an audit: a bundle trained on the UCI Cleveland file (``chol`` 126 to 564) scored the
Switzerland file, whose ``chol`` is 0 in all 123 rows (a missing-value code), as patients with a
cholesterol of 0, with no word. Now the bundle records each numeric column's training range
(``config.json`` ``features.ranges``) and ``meddx predict`` prints, on stderr, one note per column
with values more than a tenth of the range beyond it: how many rows, the range, an example row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.bundle.test_tabular_user_row_ids import bundle  # noqa: F401 (the module's fixture)


def test_the_bundle_records_the_training_range(bundle: Path) -> None:  # noqa: F811
    ranges = json.loads((bundle / "config.json").read_text())["features"]["ranges"]
    assert set(ranges) == {"marker", "bp"}
    low, high = ranges["bp"]
    assert 100 < low < high < 140  # 120 + 5 * N(0, 1) over the training rows


def test_predict_notes_a_column_far_outside_it(bundle: Path, tmp_path: Path,  # noqa: F811
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle import load_bundle
    from meddx.cli.predict_tabular import predict_tabular

    rows = tmp_path / "rows.csv"
    rows.write_text("marker,bp\n0.1,120\n0.2,0\n-0.3,\n0.4,0\n")
    predict_tabular(load_bundle(bundle), [rows], None, "auto", True)
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 4  # every row still predicted; stdout stays JSON lines
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "'bp'" in notes[0] and "2 of 4 row(s)" in notes[0], err
    assert "e.g. 0 in rows.csv:row2" in notes[0] and "missing" in notes[0]


def test_values_within_or_just_past_the_range_are_not_noted(bundle: Path, tmp_path: Path,  # noqa: F811
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle import load_bundle
    from meddx.cli.predict_tabular import predict_tabular

    predictor = load_bundle(bundle)
    low, high = predictor.config["features"]["ranges"]["bp"]
    rows = tmp_path / "rows.csv"
    rows.write_text(f"marker,bp\n0.1,{low}\n0.2,{high + 0.05 * (high - low):.3f}\n")
    predict_tabular(predictor, [rows], None, "auto", True)
    assert "note:" not in capsys.readouterr().err


def test_a_bundle_without_ranges_notes_nothing(bundle: Path, tmp_path: Path) -> None:  # noqa: F811
    import pandas as pd

    from meddx.bundle import load_bundle

    predictor = load_bundle(bundle)
    predictor.config["features"].pop("ranges")  # saved before the ranges were recorded
    assert predictor.range_notes(pd.DataFrame({"marker": [0.1], "bp": [0.0]}), ["rows.csv:row1"]) == []


def test_evaluate_warns_of_a_column_far_outside_it(bundle: Path, tmp_path: Path) -> None:  # noqa: F811
    """``meddx evaluate`` of the Cleveland bundle on the Switzerland file said nothing of its zero
    cholesterols (predict did): metrics.json's warnings now hold the same note, without "note:"."""
    from meddx.evaluation.evaluate import evaluate_bundle

    rows = tmp_path / "labelled.csv"
    rows.write_text("marker,bp,label\n" + "".join(f"{m},{bp},{int(m > 0)}\n" for m, bp in
                                                   [(0.5, 120), (-0.5, 0), (0.7, 118), (-0.2, 0), (0.3, 121),
                                                    (-0.9, 119)]))
    metrics, _ = evaluate_bundle(bundle, str(rows), split="train", out=tmp_path / "ev")
    notes = [w for w in metrics["warnings"] if "far outside the training range" in w]
    assert len(notes) == 1 and notes[0].startswith("column 'bp': 2 of 6 row(s)"), metrics["warnings"]
