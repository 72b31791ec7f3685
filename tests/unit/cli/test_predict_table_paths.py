"""The predictions table shows every file path whole.

Found by an audit: ``meddx predict NAME study_folder/`` cut each path to the table's width,
``/work/shared/data/dicom-mr-series/Study2/1…``, so every slice of a series looked alike.
Piped, the table is wide enough for whole lines; in a narrow terminal a path folds onto more lines.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from meddx.cli.train import print_predictions

SOURCES = [f"/data/hospital_exports/2026-11-24/chest_xray_study_0042/series_{i:03d}/slice_{i:04d}.dcm" for i in (1, 2)]


def _table(capsys: pytest.CaptureFixture[str]) -> str:
    predictions = [SimpleNamespace(source=s, label="normal", probabilities={"normal": 0.9, "pneumonia": 0.1})
                   for s in SOURCES]
    print_predictions(predictions, ["normal", "pneumonia"], as_json=False, what="file")
    return capsys.readouterr().out


def test_piped_the_paths_are_whole_on_one_line(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = _table(capsys)
    assert "…" not in out and all(s in out for s in SOURCES), out


def test_in_a_narrow_terminal_the_paths_fold_and_are_not_cut(capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    out = _table(capsys)
    assert "…" not in out
    cells = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert "".join(cells) == "".join(SOURCES), cells  # each path folded over its rows, nothing cut
