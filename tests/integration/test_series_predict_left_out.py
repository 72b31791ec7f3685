"""``meddx predict SERIES FILES`` says which observations it did not read, and a semicolon export is read.

Found by a walk through docs/timeseries.md as a hospital user (helper "walk", stop 48): an observation
after the bundle's window (or before 0 h) was ignored and two different values of one variable at one
time were scored, with nothing on stderr, where training and ``data info`` say both; a ``;``-separated
long CSV was refused as "missing column(s) patient_id, time, variable, value".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli
from tests.integration.test_series_cli import gbm_bundle, long_csv  # noqa: F401  (fixtures)
from tests.integration.test_series_predict_same_stay_id import _write_as


def test_left_out_and_clashing_observations_are_noted_and_the_risk_is_the_clean_files(
        gbm_bundle: Path, long_csv: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    source = long_csv["source"]
    record = source.split("test").records[0]
    clean = _write_as(record, "s1", source.variables, source.static_names, tmp_path / "clean.csv")
    text = clean.read_text()
    extra = tmp_path / "extra.csv"
    extra.write_text(text + f"s1,1000,{source.variables[0]},9.5\n")  # after the 48-h window
    first = next(line for line in text.splitlines()[1:] if line.split(",")[1])  # a timed row, repeated
    pid, t, name, value = first.split(",")
    extra.write_text(extra.read_text() + f"{pid},{t},{name},{float(value) + 1}\n")
    semi = tmp_path / "semi.csv"
    semi.write_text(text.replace(",", ";"))

    base = run_cli(["predict", str(gbm_bundle), str(clean), "--json"], capsys)
    assert base.code == 0 and "note:" not in base.err, base.err
    result = run_cli(["predict", str(gbm_bundle), str(extra), "--json"], capsys)
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if line.startswith("note:")]
    assert notes[0] == ("note: 1 observation(s) not read in extra.csv (1 after the bundle's 48-h window); the "
                        "risk is from the rest"), result.err
    assert notes[1].startswith(f"note: extra.csv: 1 time(s) where a stay has two different values of one variable, "
                               f"e.g. s1 {name} at ") and len(notes) == 2, result.err

    again = run_cli(["predict", str(gbm_bundle), str(semi), "--json"], capsys)
    assert again.code == 0, again.err
    assert json.loads(again.out)["probabilities"] == json.loads(base.out)["probabilities"]


def test_values_far_beyond_the_training_values_are_noted(gbm_bundle: Path, long_csv: dict, tmp_path: Path,  # noqa: F811
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A lactate of 1e30 (or an HR of 99999, a missing-value code) in a long CSV was scored as an extreme
    stay ("died 0.82") with no word; now a note counts such observations (more than 100 training sds
    from the variable's training mean) and names the first. Ordinary stays get no note."""
    from meddx.bundle import load_bundle
    from meddx.data.series_files import read_patient_files

    source = long_csv["source"]
    record = source.split("test").records[0]
    clean = _write_as(record, "s1", source.variables, source.static_names, tmp_path / "clean.csv")
    far = tmp_path / "far.csv"
    far.write_text(clean.read_text() + f"s1,47.5,{source.variables[0]},1e30\ns1,47.6,{source.variables[0]},-1e30\n")
    result = run_cli(["predict", str(gbm_bundle), str(far), "--json"], capsys)
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and notes[0].startswith(
        "note: 2 observation(s) lie more than 100 training standard deviations from their variable's training mean "
        f"(e.g. {source.variables[0]} 1e+30 in stay s1 at 47.5 h;"), result.err
    predictor = load_bundle(gbm_bundle)
    stays = read_patient_files([tmp_path / "clean.csv"], predictor.config)
    assert predictor.far_values_note(stays) is None
    everything = read_patient_files([long_csv["series"]], predictor.config)  # every stay of the source
    assert len(everything) == 400 and predictor.far_values_note(everything) is None
