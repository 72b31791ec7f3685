"""``meddx predict SERIES stays.csv``: a stay without any observation in the bundle's window is said.

Found by an audit: a PhysioNet file holding only its header, or a long CSV patient with static
descriptors only (or times all past the bundle's window), was scored like any other stay ("survived,
risk 0.012") with nothing to say that no measurement was read. Now a note on stderr names such
stays, and each JSON line gives the stay's ``observations`` (the count read in the window).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli
from tests.integration.test_series_cli import gbm_bundle, long_csv  # noqa: F401  (fixtures)
from tests.integration.test_series_predict_same_stay_id import _write_as


def test_stays_without_observations_are_named_on_stderr(gbm_bundle: Path, long_csv: dict, tmp_path: Path,  # noqa: F811
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    source = long_csv["source"]
    record = source.split("test").records[0]
    stays = _write_as(record, "full", source.variables, source.static_names, tmp_path / "stays.csv")
    with stays.open("a") as fh:
        fh.write(f"static-only,,{source.static_names[0]},60\n")            # no time-series row at all
        fh.write(f"too-late,100000,{source.variables[0]},1.0\n")           # its only row past the window
    result = run_cli(["predict", str(gbm_bundle), str(stays), "--json"], capsys)
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]  # stdout stays JSON lines
    assert [(x["source"], x["observations"]) for x in lines] == [("full", len(record)), ("static-only", 0),
                                                                 ("too-late", 0)]
    note = [line for line in result.err.splitlines() if line.startswith("note:")]
    assert len(note) == 1 and "2 stay(s)" in note[0] and "static-only, too-late" in note[0], result.err

    result = run_cli(["predict", str(gbm_bundle), str(_write_as(record, "one", source.variables,
                                                                  source.static_names, tmp_path / "one.csv"))], capsys)
    assert result.code == 0 and "note:" not in result.err and "without any observation" not in result.out


def test_the_python_api_gives_the_same_note(gbm_bundle: Path, long_csv: dict, tmp_path: Path) -> None:  # noqa: F811
    """``load_bundle(...).predict_files`` / ``predict_stays`` carried no word of an empty stay."""
    from meddx.bundle import load_bundle
    from meddx.data.series_files import read_patient_files

    source = long_csv["source"]
    record = source.split("test").records[0]
    stays = _write_as(record, "full", source.variables, source.static_names, tmp_path / "stays.csv")
    with stays.open("a") as fh:
        fh.write(f"static-only,,{source.static_names[0]},60\n")
    predictor = load_bundle(gbm_bundle)
    predictions = predictor.predict_files([stays])
    assert [(p.source, p.extra["observations"]) for p in predictions] == [("full", len(record)), ("static-only", 0)]
    assert "empty_stay_warning" not in predictions[0].extra
    warning = predictions[1].extra["empty_stay_warning"]
    assert warning.startswith("static-only: no observation in the bundle's") and "empty series" in warning
    note = predictor.empty_stays_note(read_patient_files([stays], predictor.config))
    assert note is not None and note.startswith("1 stay(s) without any observation") and "static-only" in note
    assert [p.to_dict() for p in predictor.predict_stays(read_patient_files([stays], predictor.config))] == \
        [p.to_dict() for p in predictions]
