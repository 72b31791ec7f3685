"""MIMIC-III demo ``ADMISSIONS.csv`` with ``--text-column diagnosis``: read as documents (admitting
diagnoses labelled by admission type), not as a table refused for its ``admittime`` column."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from meddx.cli.main import app

pytestmark = pytest.mark.realdata


def test_data_info_reads_admissions_as_text_when_a_text_column_is_named(shared_data: Path) -> None:
    path = shared_data / "mimic3-demo" / "ADMISSIONS.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    result = CliRunner().invoke(app, ["data", "info", str(path), "--json", "--text-column", "diagnosis",
                                      "--label-column", "admission_type", "--patient-column", "subject_id"])
    assert result.exit_code == 0, result.output
    assert "different value in every row" not in result.output
    assert '"text": "diagnosis"' in result.output


def test_the_carved_val_of_admissions_holds_a_fraction_of_its_patients(shared_data: Path) -> None:
    """Grouped by subject_id, fold 1 of the carve was the one patient with 15 admissions."""
    from meddx.data.sources import load_source

    path = shared_data / "mimic3-demo" / "ADMISSIONS.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    source = load_source(path, text_options={"text_column": "diagnosis", "label_column": "admission_type",
                                             "patient_column": "subject_id"})
    val, train = source.splits["val"], source.splits["train"]
    assert len(set(val.patient_ids)) >= 5 and not set(val.patient_ids) & set(train.patient_ids)
    assert len(val) <= 20
