"""``meddx data info`` / ``train`` on a ``;``-delimited multi-label CSV: a cell of delimiters only is
refused in one line, as an empty cell is (exit 2, rows named, no note text); a file writing "no label"
as ``[]`` is read, and ``data info`` prints how many documents have no label and how many labels a
document carries (a known answer: 4 of 12 without, 14 labels in all)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from cli_helpers import run_cli

SETS = ["asthma", "diabetes;pneumonia", "[]", "asthma ; diabetes", "[]", "pneumonia", "asthma;diabetes;pneumonia",
        "[]", "diabetes", "asthma;asthma", "[]", "pneumonia;asthma;diabetes"]
SECRET = "Zebedee"  # a name in a note: never in an error line


def _csv(path: Path, labels: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "label"])
        writer.writerows([f"n{i}", f"{SECRET} seen in clinic today with finding {i}.", lab] for i, lab in enumerate(labels))
    return path


@pytest.mark.parametrize("verb", [["data", "info"], ["train", "--epochs", "1", "--name", "x", "--data"]])
def test_a_cell_of_delimiters_only_is_refused_in_one_line(tmp_path: Path, capsys, monkeypatch, verb) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    path = _csv(tmp_path / "notes.csv", [*SETS, ";"])
    result = run_cli([*verb, str(path), "--label-delimiter", ";"], capsys)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert result.code == 2 and len(lines) == 1 and lines[0].startswith("meddx: error:"), result.err
    assert "(rows 13)" in lines[0] and "write []" in lines[0] and SECRET not in result.err + result.out


def test_data_info_counts_documents_without_a_label(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli(["data", "info", str(_csv(tmp_path / "notes.csv", SETS)), "--label-delimiter", ";"], capsys)
    assert result.code == 0, result.err
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in result.out.splitlines()
            if line.count("│") == 3}
    assert (rows["asthma"], rows["diabetes"], rows["pneumonia"]) == ("5", "5", "4")
    assert rows["no label"] == "4" and rows["labels per document (mean, max)"] == "1.17, 3" and rows["total"] == "12"
