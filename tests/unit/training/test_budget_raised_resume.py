"""A ``--time-budget`` run whose ``plan.json`` ``epochs`` was raised by hand, then resumed, trains to
the raised epochs.

Found by walking docs/training.md (recorded in docs/training-notes.md, Resume): a 0.2 min budget run
re-planned to 1 epoch, raised to 6 in its plan.json and resumed; the resume's note said "training
goes on to epoch 6", but the checkpoint restored Lightning's ``max_time`` clock (already past 1.25x
the budget) and the re-planner (which would have fitted the epochs back to the spent budget), so it
stopped after epoch 2, and the run then refused a resume as "finished ... (early stopping)" though
early stopping was off.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from lightning.pytorch.callbacks import EarlyStopping, Timer
from pydantic import BaseModel

import meddx.training.budget as budget
from meddx.training.budget import BudgetReplan

BUDGET_MIN = 0.2  # 12 s; Lightning stops at 1.25x: 15 s
SPENT = {"elapsed": 10.0, "late_from": None,
         "history": [{"after_epoch": 1, "seconds_per_epoch": 8.8, "from": 8, "to": 1}]}


class _Plan(BaseModel):
    epochs: int
    reasons: dict[str, str] = {}

    def write(self, path: Path) -> None:
        path.write_text(self.model_dump_json())


class _Clock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 100.0, step

    def perf_counter(self) -> float:
        self.now += self.step
        return self.now


def _resumed(tmp_path: Path, epochs: int, state: dict[str, Any]) -> tuple[Any, BudgetReplan, Timer, _Plan]:
    """A trainer resumed from a checkpoint whose budget clock and Timer are spent, for ``epochs``."""
    plan = _Plan(epochs=epochs, reasons={"epochs": "0.2 min budget"})
    replan = BudgetReplan(BUDGET_MIN, plan, tmp_path / "plan.json")
    replan.load_state_dict(json.loads(json.dumps(state)))
    timer = Timer(duration={"minutes": BUDGET_MIN * 1.25}, verbose=False)
    timer.load_state_dict({"time_elapsed": {"train": 16.0}})  # past the 15 s limit
    trainer = SimpleNamespace(current_epoch=1, should_stop=False, fit_loop=SimpleNamespace(max_epochs=epochs),
                              num_training_batches=4, lr_scheduler_configs=[], world_size=1, is_global_zero=True,
                              callbacks=[replan, timer], strategy=SimpleNamespace(broadcast=lambda obj, src=0: obj))
    return trainer, replan, timer, plan


def _fit_start_then_epoch(trainer: Any, replan: BudgetReplan, timer: Timer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lightning's order: callbacks' states restored, on_fit_start (meddx's callbacks, then the Timer's
    check of its restored clock), then the next epoch (an 8 s one: the budget has no room left)."""
    monkeypatch.setattr(budget, "time", SimpleNamespace(perf_counter=_Clock(8.0).perf_counter))
    replan.on_fit_start(trainer, None)
    timer.on_fit_start(trainer, None)
    if trainer.should_stop:
        return
    replan.on_train_start(trainer, None)
    replan.on_train_epoch_start(trainer, None)
    replan.on_train_epoch_end(trainer, None)


def test_raised_epochs_of_a_budget_run_are_trained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trainer, replan, timer, plan = _resumed(tmp_path, 6, SPENT)  # the budget planned 1, raised to 6
    _fit_start_then_epoch(trainer, replan, timer, monkeypatch)
    assert not trainer.should_stop  # the restored clock no longer ends the run at once
    assert trainer.fit_loop.max_epochs == plan.epochs == 6  # no re-plan took the raise back
    assert timer.time_remaining() == pytest.approx(BUDGET_MIN * 60 * 1.25 * 6 - 16.0)
    assert "raised to 6 by hand at a resume" in json.loads((tmp_path / "plan.json").read_text())["reasons"]["epochs"]
    assert replan.state_dict()["budget_epochs"] == 1  # a later resume still knows what the budget planned


def test_an_unraised_resume_keeps_its_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # a guard
    trainer, replan, timer, plan = _resumed(tmp_path, 1, {**SPENT, "budget_epochs": 1})
    _fit_start_then_epoch(trainer, replan, timer, monkeypatch)
    assert trainer.should_stop and timer.time_remaining() < 0  # the budget's limit holds
    trainer, replan, timer, plan = _resumed(tmp_path, 8, {**SPENT, "elapsed": 1.0, "budget_epochs": 8,
                                                          "history": []})
    timer.load_state_dict({"time_elapsed": {"train": 1.0}})
    _fit_start_then_epoch(trainer, replan, timer, monkeypatch)
    assert trainer.fit_loop.max_epochs == plan.epochs == 2  # still re-planned to the budget (8 s epochs)


def test_the_time_limit_is_named_as_what_stopped_a_finished_run(tmp_path: Path) -> None:
    from meddx.core.errors import ConfigError
    from meddx.training.run import _check_unfinished
    from meddx.training.trainer import stop_cause

    timer = Timer(duration={"seconds": 15}, verbose=False)
    timer.load_state_dict({"time_elapsed": {"train": 16.0}})
    stopping = EarlyStopping(monitor="val_select", mode="max")
    assert stop_cause(SimpleNamespace(callbacks=[stopping, timer], current_epoch=4)) == "the time limit"
    stopping.stopped_epoch = 3
    assert stop_cause(SimpleNamespace(callbacks=[stopping, timer], current_epoch=4)) == "early stopping"
    assert stop_cause(SimpleNamespace(callbacks=[EarlyStopping(monitor="val_select")], current_epoch=4)) is None

    (tmp_path / "metrics.json").write_text("{}")
    (tmp_path / "plan.json").write_text(json.dumps({"epochs": 6}))
    (tmp_path / "trainer.json").write_text(json.dumps({"epochs_run": 2, "epochs_planned": 6, "early_stopping": False,
                                                      "stopped_by": "the time limit"}))
    with pytest.raises(ConfigError, match=r"2 of 6 planned epochs run \(the time limit\)"):
        _check_unfinished(tmp_path)


def test_early_stopping_restored_from_an_earlier_leg_is_not_named(tmp_path: Path) -> None:
    """A run early-stopped after epoch 3 (its last.ckpt holds the early stopping's ``stopped_epoch``),
    raised and resumed, then stopped by the time limit at epoch 8: the time limit is what stopped
    it. Before, the restored ``stopped_epoch`` named early stopping."""
    from meddx.training.trainer import stop_cause

    stopping = EarlyStopping(monitor="val_select", mode="max", patience=2)
    fired = EarlyStopping(monitor="val_select", mode="max", patience=2)
    fired.stopped_epoch = 2  # as Lightning leaves it: 3 epochs run, stopped at epoch index 2
    stopping.load_state_dict({**fired.state_dict(), "wait_count": 0})  # restored with the checkpoint
    timer = Timer(duration={"seconds": 15}, verbose=False)
    timer.load_state_dict({"time_elapsed": {"train": 16.0}})
    assert stop_cause(SimpleNamespace(callbacks=[stopping, timer], current_epoch=8)) == "the time limit"
    assert stop_cause(SimpleNamespace(callbacks=[stopping], current_epoch=8)) is None
    assert stop_cause(SimpleNamespace(callbacks=[fired, timer], current_epoch=3)) == "early stopping"


def test_early_stopping_at_the_first_epoch_is_named() -> None:
    """Early stopping ends epoch 0 when the metric is not finite: ``stopped_epoch`` stays 0."""
    from lightning.pytorch.callbacks.early_stopping import EarlyStoppingReason

    from meddx.training.trainer import stop_cause

    stopping = EarlyStopping(monitor="val_select", mode="max")
    stopping.stopping_reason = EarlyStoppingReason.NON_FINITE_METRIC  # as Lightning sets it, stopped_epoch 0
    assert stop_cause(SimpleNamespace(callbacks=[stopping], current_epoch=1)) == "early stopping"


def test_a_raised_run_that_overran_its_budget_gets_time_for_the_epochs_left(tmp_path: Path) -> None:
    """A 1 min budget planned 10 epochs; they ran slower and the time limit (75 s) cut epoch 8. Raised
    to 11 (the refusal to resume says: raise above 10), the resume must leave room for the 3 epochs
    left at the run's pace (75 s / 8). Before, the limit was 1.25x the budget x 11/10 = 82.5 s:
    7.5 s left, and the time limit cut the resumed run again in its first epoch."""
    plan = _Plan(epochs=11, reasons={"epochs": "1 min budget"})
    replan = BudgetReplan(1.0, plan, tmp_path / "plan.json")
    replan.load_state_dict({"elapsed": 70.0, "late_from": None, "history": [], "budget_epochs": 10})
    timer = Timer(duration={"minutes": 1.25}, verbose=False)
    timer.load_state_dict({"time_elapsed": {"train": 75.0}})
    trainer = SimpleNamespace(current_epoch=0, should_stop=False, fit_loop=SimpleNamespace(max_epochs=11),
                              is_global_zero=True, callbacks=[replan, timer],
                              strategy=SimpleNamespace(broadcast=lambda obj, src=0: obj))
    replan.on_load_checkpoint(trainer, None, {"epoch": 7})  # last.ckpt written at the end of (cut) epoch 8
    replan.on_fit_start(trainer, None)
    timer.on_fit_start(trainer, None)
    assert not trainer.should_stop
    assert timer.time_remaining() >= 3 * 75.0 / 8  # the 3 epochs left, at the run's pace
    # a run that kept to its budget keeps the budget's scale (its pace needs less)
    replan.load_state_dict({"elapsed": 50.0, "late_from": None, "history": [], "budget_epochs": 10})
    timer.load_state_dict({"time_elapsed": {"train": 54.0}})
    replan.on_load_checkpoint(trainer, None, {"epoch": 9})
    replan.on_fit_start(trainer, None)
    assert timer.time_remaining() == pytest.approx(60 * 1.25 * 11 / 10 - 54.0)
