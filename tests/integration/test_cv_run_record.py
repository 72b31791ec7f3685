"""A cross-validation's folder is a run in the registry's runs table: ``running`` while its folds
train, then ``finished`` with its mean and pooled AUC (it was read from the folder afterwards, with no
metrics, and could show ``failed`` while running)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli
from test_tabular_cli import write_table


def test_cv_is_listed_running_then_finished_with_its_aucs(tmp_path: Path, meddx_home: Path, monkeypatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.evaluation import cv
    from meddx.registry.runs import get_run, list_runs

    table = write_table(tmp_path / "synthetic.csv")
    seen: list[str] = []
    entry = cv._fold_entry

    def spying_entry(*args, **kwargs):
        seen.extend(r.status for r in list_runs() if r.kind == "cv" or "-cv3" in r.folder)
        return entry(*args, **kwargs)

    monkeypatch.setattr(cv, "_fold_entry", spying_entry)
    result = run_cli(["cv", "--data", str(table), "--folds", "3"], capsys)
    assert result.code == 0, result.out + result.err
    (folder,) = (meddx_home / "runs").glob("*-cv3-*")
    summary = json.loads((folder / "cv.json").read_text())
    assert seen and set(seen) == {"running"}
    run = get_run(str(folder))
    assert (run.status, run.bundle) == ("finished", None)
    assert run.metrics["cv_auc"] == pytest.approx(summary["mean"]["auc"])
    assert run.metrics["pooled_auc"] == pytest.approx(summary["pooled"]["auc"]["estimate"])
