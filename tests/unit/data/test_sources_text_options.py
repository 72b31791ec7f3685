"""A CSV that looks like a table goes to the text reader when the user names a text column."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.data.base import is_text_source
from meddx.data.sources import load_source


def _admissions_like(tmp_path: Path) -> Path:
    # numeric columns beside a short text column, like MIMIC-III ADMISSIONS.csv
    rows = ["row_id,subject_id,admission_type,diagnosis,los"]
    for i in range(24):
        kind = "EMERGENCY" if i % 2 else "ELECTIVE"
        rows.append(f"{i},{100 + i // 2},{kind},{'SEPSIS' if i % 2 else 'CORONARY ARTERY DISEASE'},{i % 7 + 1}")
    path = tmp_path / "admissions.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_text_column_routes_a_table_like_csv_to_the_text_reader(tmp_path: Path) -> None:
    path = _admissions_like(tmp_path)
    source = load_source(path, carve_val=False,
                         text_options={"text_column": "diagnosis", "label_column": "admission_type",
                                       "patient_column": "subject_id"})
    assert is_text_source(source)
    assert sorted(source.label_names) == ["ELECTIVE", "EMERGENCY"]
    assert source.columns["text"] == "diagnosis"


@pytest.mark.parametrize("text_options", [None, {"label_column": "admission_type"}, {"encoding": "utf-8"}])
def test_without_a_text_only_option_the_csv_stays_a_table(tmp_path: Path, text_options: dict | None) -> None:
    path = _admissions_like(tmp_path)
    source = load_source(path, carve_val=False, text_options=text_options,
                         options={"label_column": "admission_type", "patient_column": "subject_id",
                                  "id_column": "row_id"})
    assert source.modality == "tabular"


def test_tabular_prefix_wins_over_a_text_column(tmp_path: Path) -> None:
    path = _admissions_like(tmp_path)
    source = load_source(f"tabular:{path}", carve_val=False, text_options={"text_column": "diagnosis"},
                         options={"label_column": "admission_type", "patient_column": "subject_id",
                                  "id_column": "row_id"})
    assert source.modality == "tabular"
