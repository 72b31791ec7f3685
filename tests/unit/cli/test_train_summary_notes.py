"""The train summary prints the plan it trained (model, size, epochs, kept epoch) and the data
reader's notes recorded in the run's data.json.

Found by an audit: a manifest with one row labelled ``pnuemonia`` among ``pneumonia`` rows trained a
three-class model, and ``meddx train`` said nothing; its notes (a misspelt or case-clashing label,
files left out, no test split) were kept only in data.json and the model card. And a
``--time-budget`` run never said how many epochs the planner chose (only ``meddx demo`` did).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest


def _summary(run_dir: Path, capsys: pytest.CaptureFixture[str], stream: str = "out") -> list[str]:
    """The lines the summary printed on ``stream``: ``out`` (the plan), ``err`` (the notes)."""
    from meddx.cli.train_summary import print_summary

    print_summary(SimpleNamespace(metrics={}, run_dir=run_dir, bundle_path=run_dir / "b", registry_ref=None))
    return getattr(capsys.readouterr(), stream).splitlines()


def test_the_data_notes_of_the_run_are_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = ["m.csv: label 'pnuemonia' (1 row, first on line 25) looks like a misspelling of 'pneumonia' (11 rows) "
             "and is read as a separate class; correct it if it is the same class",
             "no test split: evaluate on a separate held-out source"]
    (tmp_path / "data.json").write_text(json.dumps({"name": "m", "notes": notes}))
    lines = _summary(tmp_path, capsys, "err")
    assert [line for line in lines if line.startswith("note: ")] == [f"note: {n}" for n in notes]


def test_a_run_without_data_json_or_notes_prints_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert not [line for line in _summary(tmp_path, capsys, "err") if line.startswith("note:")]
    (tmp_path / "data.json").write_text(json.dumps({"name": "m", "notes": []}))
    assert not [line for line in _summary(tmp_path, capsys, "err") if line.startswith("note:")]


def test_the_plan_line_says_model_size_epochs_and_the_kept_epoch(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    plan = {"model": "resnet18", "model_args": {"width": 32}, "image_size": [28, 28], "epochs": 10}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    (tmp_path / "trainer.json").write_text(json.dumps({"epochs_run": 10, "kept": "final"}))
    lines = _summary(tmp_path, capsys)
    assert f"plan: resnet18 (width 32), 28x28 px, 10 epochs, kept the final epoch; reasons in {tmp_path / 'plan.json'}" \
        in lines, lines
    (tmp_path / "trainer.json").write_text(json.dumps({"epochs_run": 6, "kept": "best",
                                                       "stopped_by": "early stopping"}))
    (tmp_path / "plan.json").write_text(json.dumps({**plan, "model_args": {}, "image_size": None}))
    assert (f"plan: resnet18, 10 epochs (6 run, stopped by early stopping), kept the best validation epoch; "
            f"reasons in {tmp_path / 'plan.json'}") in _summary(tmp_path, capsys)
    (tmp_path / "plan.json").unlink()  # a model without a plan: no line
    assert not [line for line in _summary(tmp_path, capsys) if line.startswith("plan:")]


@pytest.mark.parametrize(("plan", "trainer"), [
    ({"model": "logreg", "epochs": 100}, {"fitted_by": "scikit-learn", "model": "logreg"}),  # a table
    ({"model": "gbm", "epochs": 30, "pipeline": "aggregate"}, None),  # series aggregates: no trainer.json
])
def test_a_model_fitted_by_scikit_learn_shows_no_epochs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        plan: dict, trainer: dict | None) -> None:
    """A walk saw "plan: logreg, 100 epochs" and "gbm, 30 epochs" for models scikit-learn fits, which
    train no epochs."""
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    if trainer is not None:
        (tmp_path / "trainer.json").write_text(json.dumps(trainer))
    line = next(line for line in _summary(tmp_path, capsys) if line.startswith("plan:"))
    assert line == f"plan: {plan['model']}, fitted by scikit-learn (no epochs); reasons in {tmp_path / 'plan.json'}"
