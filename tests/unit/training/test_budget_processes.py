"""``--time-budget`` with several processes (``--devices 2``, Lightning DDP).

Found by measuring: each process trains its ``DistributedSampler`` share of every epoch,
``ceil(n / processes)`` samples, at the probe's speed (the probe runs with one process's threads),
but the planner counted every sample for one process, and the re-planner (which would have
corrected it after epoch 1) was off with several processes. A 2-process ``--time-budget 0.5`` run
of 300 lesion images planned 57 epochs and finished them in 14.6 of its 27 training seconds; with
a short budget the planner also shrank the input or narrowed the network for epochs that did fit.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

import meddx.training.budget as budget
import meddx.training.speed as speed
from meddx.training.budget import BudgetReplan
from meddx.training.plan import Plan, epochs_in_budget, plan_epochs


def _plan(side: int = 64) -> Plan:
    return Plan(model="resnet18", model_args={"in_channels": 1, "spatial_dims": 2, "image_size": side},
                image_size=[side, side], channels=1, batch_size=32, epochs=20, class_weights=None,
                early_stopping_patience=6, reasons={"image_size": "native", "batch_size": "set in config"})


def test_epochs_are_planned_for_each_process_share() -> None:
    shared = plan_epochs(_plan(), 301, 1.0, 0.01, processes=2)
    alone = plan_epochs(_plan(), math.ceil(301 / 2), 1.0, 0.01)
    assert shared.epochs == alone.epochs > plan_epochs(_plan(), 301, 1.0, 0.01).epochs
    assert epochs_in_budget(301, 1.0, 0.01, processes=2) == pytest.approx(epochs_in_budget(151, 1.0, 0.01))
    assert "151 samples per process: 301 shared by 2 processes x 10.0 ms measured" in shared.reasons["epochs"]
    assert plan_epochs(_plan(), 301, 1.0, 0.01).reasons["epochs"] == \
        "1 min budget / (301 samples x 10.0 ms measured per sample)"  # one process: as before


def test_two_processes_keep_the_input_size_that_fits_their_share(monkeypatch: pytest.MonkeyPatch) -> None:
    # A speed at which 10 epochs fit one process (fewer than MIN_EPOCHS: the input would shrink)
    # and 20 fit two processes side by side.
    n, minutes = 300, 1.0
    sps = minutes * 60 * 0.9 / (10 * n * 1.15)
    monkeypatch.setattr(speed, "seconds_per_sample", lambda *a, **k: sps)

    def fitted(processes: int) -> Plan:
        return speed.fit_to_budget(_plan(), n, minutes, "32-true", build_task=lambda p: None,
                                   augment_for=lambda p: None, size_is_automatic=True, processes=processes)

    assert fitted(1).image_size != [64, 64]  # the control: one process shrinks the input
    two = fitted(2)
    assert two.image_size == [64, 64] and two.epochs >= speed.MIN_EPOCHS
    assert "per process" in two.reasons["epochs"]


class _Written(BaseModel):
    epochs: int
    reasons: dict[str, str] = {}

    def write(self, path: Path) -> None:
        path.write_text(self.model_dump_json())


class _Clock:
    """``time.perf_counter`` of a process whose epochs take ``epoch_seconds``."""

    def __init__(self, epoch_seconds: float) -> None:
        self.now, self.step = 0.0, epoch_seconds

    def perf_counter(self) -> float:  # read at the training start, and at the epoch's start and end
        self.now += self.step
        return self.now


def _rank(rank: int, epoch_seconds: float, sent: list[Any], path: Path, monkeypatch: pytest.MonkeyPatch,
          planned: int = 3) -> tuple[Any, _Written]:
    """One process's trainer after the re-plan of epoch 1; ``broadcast`` passes rank 0's values on."""

    def broadcast(obj: Any, src: int = 0) -> Any:
        if rank == 0:
            sent.append(obj)
        return sent[0]

    trainer = SimpleNamespace(current_epoch=0, should_stop=False, fit_loop=SimpleNamespace(max_epochs=planned),
                              num_training_batches=4, lr_scheduler_configs=[], world_size=2,
                              is_global_zero=rank == 0, strategy=SimpleNamespace(broadcast=broadcast))
    plan = _Written(epochs=planned, reasons={"epochs": "probe"})
    monkeypatch.setattr(budget, "time", SimpleNamespace(perf_counter=_Clock(epoch_seconds).perf_counter))
    callback = BudgetReplan(1.0, plan, path)
    callback.on_train_start(trainer, None)
    callback.on_train_epoch_start(trainer, None)
    callback.on_train_epoch_end(trainer, None)
    return trainer, plan


def test_every_process_replans_from_rank_zero_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, sent = tmp_path / "plan.json", []
    zero, zero_plan = _rank(0, 2.0, sent, path, monkeypatch)
    assert path.is_file() and zero_plan.epochs == zero.fit_loop.max_epochs != 3  # rank 0 re-planned and wrote
    path.unlink()
    one, one_plan = _rank(1, 0.5, sent, path, monkeypatch)  # its own clock would plan 4x the epochs
    assert one.fit_loop.max_epochs == zero.fit_loop.max_epochs and one_plan.epochs == zero_plan.epochs
    assert not path.exists()  # plan.json has one writer


def test_a_process_with_other_epochs_takes_rank_zero_decision(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Rank 0 keeps its 3 epochs (18 s per epoch: 2 fit the 54 training seconds, within the
    # tolerance); a process whose own plan said 5 must end at 3 too, or it waits for rank 0 forever.
    path, sent = tmp_path / "plan.json", []
    zero, _ = _rank(0, 18.0, sent, path, monkeypatch)
    assert zero.fit_loop.max_epochs == 3 and not path.exists()
    one, one_plan = _rank(1, 0.5, sent, path, monkeypatch, planned=5)
    assert one.fit_loop.max_epochs == one_plan.epochs == 3
