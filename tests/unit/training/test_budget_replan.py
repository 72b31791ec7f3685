"""BudgetReplan: the epochs follow the measured epoch time, and the cosine schedule ends with them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import lightning as L
import pytest
import torch
from pydantic import BaseModel
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from meddx.tasks.optim import WarmupCosine, adamw_cosine
from meddx.training.budget import BudgetReplan


class _Plan(BaseModel):
    epochs: int
    reasons: dict[str, str] = {}

    def write(self, path: Path) -> None:
        path.write_text(self.model_dump_json())


class _Slow(L.LightningModule):
    """A linear model whose training steps take ``delay`` seconds (a machine of known speed), or
    ``delay[epoch]`` seconds (the last entry for later epochs: a machine whose load changes)."""

    def __init__(self, delay: float | list[float]) -> None:
        super().__init__()
        self.net = nn.Linear(2, 1)
        self.delays = [delay] if isinstance(delay, float) else list(delay)
        self.lrs: list[float] = []

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        time.sleep(self.delays[min(self.current_epoch, len(self.delays) - 1)])
        self.lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])
        x, y = batch
        return nn.functional.mse_loss(self.net(x), y)

    def configure_optimizers(self):  # type: ignore[no-untyped-def]
        return adamw_cosine(self.net, 0.1, 0.0, self.trainer.estimated_stepping_batches, 0.0)


def _fit(tmp_path: Path, planned: int, budget_minutes: float,
         delay: float | list[float]) -> tuple[_Slow, _Plan, BudgetReplan]:
    plan = _Plan(epochs=planned, reasons={"epochs": "from the probe"})
    callback = BudgetReplan(budget_minutes, plan, tmp_path / "plan.json")
    model = _Slow(delay)
    data = DataLoader(TensorDataset(torch.randn(8, 2), torch.randn(8, 1)), batch_size=2)  # 4 steps per epoch
    trainer = L.Trainer(max_epochs=planned, callbacks=[callback], logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
    trainer.fit(model, data)
    return model, plan, callback


def test_a_probe_that_planned_too_few_epochs_is_corrected(tmp_path: Path) -> None:
    # 4 steps x 50 ms = 0.2 s per epoch; a 0.05-minute budget (3 s, 2.7 s for training) fits ~13.
    model, plan, callback = _fit(tmp_path, planned=1, budget_minutes=0.05, delay=0.05)
    assert 6 <= plan.epochs <= 14, callback.history
    assert len(model.lrs) == 4 * plan.epochs  # trained every re-planned epoch
    assert callback.history[0]["from"] == 1 and callback.history[-1]["to"] == plan.epochs
    written = json.loads((tmp_path / "plan.json").read_text())
    assert written["epochs"] == plan.epochs and "re-planned after epoch 1" in written["reasons"]["epochs"]
    assert written["reasons"]["epochs"].startswith("from the probe; ")
    # The cosine ends with the new last epoch: full rate early, (almost) zero at the last step.
    assert model.lrs[4] > 0.09 and model.lrs[-1] < 0.1 * 0.05


def test_a_probe_that_planned_too_many_epochs_is_cut(tmp_path: Path) -> None:
    model, plan, callback = _fit(tmp_path, planned=200, budget_minutes=0.05, delay=0.05)
    assert plan.epochs <= 16 and len(model.lrs) == 4 * plan.epochs
    assert model.lrs[-1] < 0.1 * 0.05  # the schedule still reaches its end instead of stopping at a high rate


def test_a_machine_busy_for_the_first_two_epochs_is_corrected_later(tmp_path: Path) -> None:
    # 0.6 s per epoch for two epochs (another job), then 0.2 s. Budget 3 s (2.7 s for training):
    # epochs 1 and 2 confirm the 4 planned; after epoch 3 (a quarter of the plan, and one epoch
    # past the second) the mean of the epochs since the second (0.2 s) fits about 6 more.
    model, plan, callback = _fit(tmp_path, planned=4, budget_minutes=0.05, delay=[0.15, 0.15, 0.05])
    assert [h["after_epoch"] for h in callback.history] == [3], callback.history
    assert 7 <= plan.epochs <= 10 and len(model.lrs) == 4 * plan.epochs
    written = json.loads((tmp_path / "plan.json").read_text())["reasons"]["epochs"]
    assert "re-planned after epoch 3" in written and "s (epoch 3) per epoch measured" in written
    assert model.lrs[-1] < 0.1 * 0.05  # the schedule still ends at the new last epoch


def test_small_differences_leave_the_plan_alone(tmp_path: Path) -> None:
    model, plan, callback = _fit(tmp_path, planned=3, budget_minutes=0.0115, delay=0.05)  # ~3 epochs fit
    assert callback.history == [] and plan.epochs == 3 and not (tmp_path / "plan.json").exists()


def test_schedule_object_survives_a_checkpoint_round_trip() -> None:
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, WarmupCosine(100, 10))
    sched.lr_lambdas[0].retarget(40)
    again = torch.optim.lr_scheduler.LambdaLR(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0),
                                              WarmupCosine(100, 10))
    again.load_state_dict(sched.state_dict())
    assert again.lr_lambdas[0].total == 40 and again.lr_lambdas[0](40) == pytest.approx(0.0)
