"""The data source given as the positional CONFIG is refused with what to do. Found by an audit:
``meddx train data.csv`` read the CSV as YAML and failed with "not valid YAML: mapping values are not
allowed here at line 4, column 150"."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli


def _one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 2, (result.code, result.out, result.err)
    lines = [line for line in result.err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("meddx: error:") and "Traceback" not in result.err, result.err
    return lines[0]


@pytest.mark.parametrize("name", ["notes.csv", "scans.npz", "rows.tsv", "notes.jsonl", "rows.parquet", "notes"])
def test_a_data_file_as_config_says_to_use_data(tmp_path: Path, name: str, capsys) -> None:
    path = tmp_path / name
    path.write_text("text,label\n" + "\n".join(f'"a: note, with: colons {i}",x' for i in range(5)) + "\n")
    line = _one_line(run_cli(["train", str(path)], capsys))
    assert str(path) in line and "CONFIG is a YAML config; pass the data with --data PATH" in line
    assert "not valid YAML" not in line


def test_a_folder_as_config_says_to_use_data(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "images.yaml"  # a folder, whatever its name
    folder.mkdir()
    line = _one_line(run_cli(["train", str(folder)], capsys))
    assert "a folder" in line and "pass the data with --data PATH" in line


def test_a_json_config_is_still_read(tmp_path: Path, capsys) -> None:
    config = tmp_path / "train.json"
    config.write_text('{"data": "x.npz", "epochs": 0}')
    line = _one_line(run_cli(["train", str(config)], capsys))
    assert "epochs" in line and "--data PATH" not in line
