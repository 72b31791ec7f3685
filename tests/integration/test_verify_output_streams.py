"""``meddx data verify`` prints what it wrote (``--fixed-output``, ``--clean-manifest``) on stdout and its
``warning:`` lines on stderr, as ``meddx predict`` does (results on stdout, notes and warnings on stderr).
Before, the image ``clean manifest:`` line went to stderr while the text ``fixed source`` line went to stdout."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from cli_helpers import run_cli
from test_verify_clean_manifest_line import _folder as _image_folder  # a leak


def _notes(path: Path) -> Path:
    """A notes CSV whose one test document repeats a train document."""
    rng = np.random.default_rng(1)
    rows = [[" ".join(f"w{int(v)}" for v in rng.integers(0, 500, 40)), "ab"[i % 2], "train"] for i in range(12)]
    rows += [[" ".join(f"w{int(v)}" for v in rng.integers(0, 500, 40)), "ab"[i % 2], "test"] for i in range(4)]
    rows.append([rows[0][0], rows[0][1], "test"])
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows([["text", "label", "split"], *rows])
    return path


def test_the_clean_manifest_line_is_on_stdout(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    result = run_cli(["data", "verify", str(_image_folder(tmp_path / "imgs")), "--report", str(tmp_path / "r.json"),
                      "--clean-manifest", str(tmp_path / "clean.csv")], capsys)
    assert result.code == 1, result.err  # the copy leaks across splits
    assert any(x.startswith("clean manifest: ") for x in result.out.splitlines()), result.out
    assert "clean manifest:" not in result.err


def test_the_fixed_source_line_is_on_stdout(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    result = run_cli(["data", "verify", str(_notes(tmp_path / "notes.csv")), "--report", str(tmp_path / "r.json"),
                      "--fix", "drop-duplicates", "--fixed-output", str(tmp_path / "fixed.csv")], capsys)
    assert result.code == 1, result.err
    assert any(x.startswith("fixed source (drop-duplicates): ") for x in result.out.splitlines()), result.out
    assert "fixed source" not in result.err
