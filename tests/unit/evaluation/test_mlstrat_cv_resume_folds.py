"""A ``meddx cv --resume`` of a multi-label run makes its folds as the run began: a run started before
iterative stratification (its ``cv_plan.json`` says "stratified by label" without "iteratively") gets
the label-set folds again, or its resume would be refused as "folds differ"; a new run stratifies
iteratively."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.data.multilabel_strata import HOW
from meddx.evaluation import cv
from meddx.training.config import load_config


class _Stop(Exception):
    pass


def test_the_folds_of_a_resume_are_made_the_way_its_plan_records(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import csv

    notes = tmp_path / "notes.csv"
    with notes.open("w", newline="") as out:  # multi-label: a JSON list in every label cell
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        writer.writerows([f"note {i} about {'cough' if i % 2 else 'rash'} on day {i}", json.dumps(["a", "b"][: 1 + i % 2])]
                         for i in range(30))
    seen: list[bool] = []

    def spy(*args, iterative: bool = True, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(iterative)
        raise _Stop

    monkeypatch.setattr(cv, "make_folds", spy)
    config = load_config(None, data=str(notes))
    from meddx.data.sources import load_source

    assert load_source(str(notes), carve_val=False).task == "multilabel"
    for plan in (None, {"how": "3 folds, stratified by label and grouped by sample (StratifiedGroupKFold, seed 0)"},
                 {"how": f"3 folds, {HOW} and grouped by sample (seed 0)"}):
        with pytest.raises(_Stop):
            cv._cross_validate(config, 3, None, False, plan, lambda line: None)
    assert seen == [True, False, True]
