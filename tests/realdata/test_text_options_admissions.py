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
