"""``meddx data info`` on a folder of ``.txt`` files prints no empty ``columns:`` line; a table of
documents still prints the columns it read."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from meddx.cli.main import app


def _info(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["data", "info", str(path)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_txt_folder_prints_no_columns_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for label in ("cough", "rash"):
        (tmp_path / "notes" / label).mkdir(parents=True)
        for i in range(6):
            (tmp_path / "notes" / label / f"{i}.txt").write_text(f"patient seen today with {label} number {i}")
    out = _info(tmp_path / "notes", monkeypatch, tmp_path)
    assert "12 documents" in out and "columns:" not in out


def test_a_table_still_prints_its_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("text,label\n" + "".join(f"patient seen today number {i},{'ab'[i % 2]}\n" for i in range(12)))
    out = _info(path, monkeypatch, tmp_path)
    assert "columns: text=text, label=label" in out
