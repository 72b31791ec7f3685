"""Refusals of a table or an ICU series never quote a free-text cell: a comment column, or a note
pasted into a number column (a lab value "Pt ... refused the draw"), may hold note text or a patient's
name (the PHI rule). Short tokens (``x``, ``12O``, ``see note``) are still quoted, so the user can pass
them to ``--missing-values``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.series_files import record_from_json
from meddx.data.series_long import load_long_csv
from meddx.data.series_physionet import load_physionet2012
from meddx.data.tabular import load_tabular_source, read_feature_table
from tests.unit.data.test_series_readers import HEADER, _physionet, _record

CANARY = "Qztablevexlor"
NOTE = f"Pt {CANARY} refused the draw, see note"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _message(call: object) -> str:
    with pytest.raises(DataError) as err:
        call()  # type: ignore[operator]
    message = str(err.value)
    assert "\n" not in message and CANARY not in message and CANARY.lower() not in message.lower(), message
    return message


def test_a_free_text_column_unique_per_row_is_refused_without_its_values(tmp_path: Path) -> None:
    y = (np.random.default_rng(0).random(30) < 0.5).astype(int)
    path = _write(tmp_path / "t.csv", ["age,comment,label"] + [f"{40 + i % 9},pt {CANARY}{i} stable,{y[i]}"
                                                                 for i in range(30)])
    message = _message(lambda: load_tabular_source(path))
    assert "column 'comment' holds a different value in every row (30 distinct texts; values not shown" in message
    assert "--id-column comment" in message


def test_a_note_in_a_number_column_is_described_not_quoted(tmp_path: Path) -> None:
    lines = ["a,b,label"] + [f"{i},{i},{i % 2}" for i in range(12)] + [f'"{NOTE}",1,0']
    message = _message(lambda: load_tabular_source(_write(tmp_path / "t.csv", lines)))
    assert "row 13, column 'a': a text of 43 characters, 7 words (not shown) is not a number" in message
    assert "if that text means missing pass --missing-values with that text" in message


def test_a_note_in_rows_to_predict_is_described_not_quoted(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", ["a,b"] + [f"{i},{i}" for i in range(12)] + [f'"{NOTE}",1'])
    message = _message(lambda: read_feature_table(path, {}, ["a", "b"], []))
    assert "row 13, column 'a': a text of 43 characters, 7 words (not shown) is not a number" in message
    assert "retrain with --missing-values with that text" in message


def test_a_short_token_is_still_quoted_for_missing_values(tmp_path: Path) -> None:
    lines = ["a,b,label"] + [f"{i},{i},{i % 2}" for i in range(12)] + ["see note,1,0"]
    with pytest.raises(DataError, match=r"row 13, column 'a': 'see note' is not a number.*--missing-values 'see note'"):
        load_tabular_source(_write(tmp_path / "t.csv", lines))


def test_a_note_among_long_format_series_values_is_described_not_quoted(tmp_path: Path) -> None:
    series = _write(tmp_path / "s.csv", ["patient_id,time,variable,value", "a,0.5,hr,80", f'a,1.0,hr,"{NOTE}"',
                                         "b,0.5,hr,90"])
    labels = _write(tmp_path / "l.csv", ["patient_id,label", "a,0", "b,1"])
    message = _message(lambda: load_long_csv(series, labels_file=labels))
    assert "line 3: value a text of 43 characters, 7 words (not shown) is not a finite number" in message


def test_a_note_in_a_physionet_record_is_described_not_quoted(tmp_path: Path) -> None:
    folder = _physionet(tmp_path, {132000: _record(132000, "01:00,HR,80\n"),
                                   132001: _record(132001, f"01:00,HR,80\n01:10,HR,{NOTE.replace(',', '')}\n")})
    message = _message(lambda: load_physionet2012(folder))
    assert "line 9: value a text of 42 characters, 7 words (not shown) is not a finite number" in message
    (folder / "132001.txt").write_text(f"{NOTE} at home\n" + HEADER)  # a note given as a record: no header
    assert "line 1: missing header" in _message(lambda: load_physionet2012(folder))


def test_a_note_sent_as_a_series_value_is_described_not_quoted() -> None:
    config = {"series": {"variables": ["HR"], "static_names": [], "window_hours": 48.0}}
    record = {"id": "p1", "observations": [{"time": 0.5, "variable": "HR", "value": NOTE}]}
    assert "a text of 43 characters, 7 words (not shown) is not a number" in _message(
        lambda: record_from_json(record, config))
