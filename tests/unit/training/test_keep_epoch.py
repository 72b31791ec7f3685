"""Which epoch training keeps: the final one when the schedule ran to its end, else the best."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from meddx.training.config import TrainConfig
from meddx.training.fit import train_and_restore


class _Scripted(L.LightningModule):
    """One weight that moves every step; validation reports a scripted score per epoch."""

    def __init__(self, scores: list[float]) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([5.0]))
        self.scores = scores

    def training_step(self, batch: tuple[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return ((self.w - batch[0]) ** 2).mean()

    def validation_step(self, batch: tuple[torch.Tensor], batch_idx: int) -> None:
        self.log("val_dice", self.scores[self.current_epoch])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _run(tmp_path: Path, scores: list[float], keep: str | None, patience: int, *, chosen: bool = False,
         plan_keep: str | None = None) -> tuple[_Scripted, dict]:
    """``chosen``: the patience is set in the config (else it is the plan's automatic one)."""
    task = _Scripted(scores)
    loader = DataLoader(TensorDataset(torch.zeros(4, 1)), batch_size=2)
    plan = SimpleNamespace(epochs=len(scores), early_stopping_patience=patience, checkpoint=plan_keep, reasons={})
    config = TrainConfig(data="x", precision="32-true", early_stopping_patience=patience if chosen else None)
    assert train_and_restore(config, plan, task, loader, loader, tmp_path, progress=False, resume=False,
                             monitor="val_dice", keep=keep)
    return task, json.loads((tmp_path / "trainer.json").read_text())


def _weights(path: str) -> torch.Tensor:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]["w"]


def test_a_finished_schedule_keeps_its_final_epoch_not_the_best_on_val(tmp_path: Path) -> None:
    task, trainer = _run(tmp_path, [0.9, 0.5, 0.6, 0.7], keep="final", patience=10)
    assert trainer["kept"] == "final" and trainer["epochs_run"] == 4
    assert trainer["restored_checkpoint"] == str(tmp_path / "checkpoints" / "last.ckpt")
    assert "epoch=000" in trainer["best_checkpoint"] and trainer["best_val_dice"] == pytest.approx(0.9)
    assert trainer["final_val_dice"] == pytest.approx(0.7)
    assert torch.equal(task.w.detach(), _weights(trainer["restored_checkpoint"]))
    assert not torch.equal(task.w.detach(), _weights(trainer["best_checkpoint"]))  # the weights did move


def test_training_stopped_early_falls_back_to_the_best_epoch(tmp_path: Path) -> None:
    task, trainer = _run(tmp_path, [0.9, 0.5, 0.4, 0.3, 0.2, 0.1], keep="final", patience=1, chosen=True)
    assert trainer["epochs_run"] < 6 and trainer["kept"] == "best"  # early stopping cut the schedule
    assert trainer["early_stopping"] is True
    assert trainer["restored_checkpoint"] == trainer["best_checkpoint"] and "epoch=000" in trainer["best_checkpoint"]
    assert torch.equal(task.w.detach(), _weights(trainer["best_checkpoint"]))


def test_keeping_the_final_epoch_turns_an_automatic_patience_off(tmp_path: Path) -> None:
    # The plan's checkpoint decides when train_and_restore is not told; its patience of 1 would
    # have stopped this falling score after epoch 2, but it was not chosen, so the schedule runs out.
    task, trainer = _run(tmp_path, [0.9, 0.5, 0.4, 0.3, 0.2, 0.1], keep=None, patience=1, plan_keep="final")
    assert trainer["early_stopping"] is False
    assert trainer["epochs_run"] == 6 and trainer["kept"] == "final"
    assert torch.equal(task.w.detach(), _weights(str(tmp_path / "checkpoints" / "last.ckpt")))


def test_keeping_the_best_epoch_stops_early_on_an_automatic_patience(tmp_path: Path) -> None:
    _, trainer = _run(tmp_path, [0.9, 0.5, 0.4, 0.3, 0.2, 0.1], keep=None, patience=1)
    assert trainer["early_stopping"] is True and trainer["epochs_run"] < 6 and trainer["kept"] == "best"


def test_keep_best_restores_the_best_epoch_after_a_full_schedule(tmp_path: Path) -> None:
    task, trainer = _run(tmp_path, [0.5, 0.9, 0.6], keep="best", patience=10)
    assert trainer["kept"] == "best" and "epoch=001" in trainer["restored_checkpoint"]
    assert torch.equal(task.w.detach(), _weights(trainer["restored_checkpoint"]))


def test_an_unknown_choice_is_refused_before_training(tmp_path: Path) -> None:
    from meddx.core.errors import ConfigError

    with pytest.raises(ConfigError, match="'best' or 'final'; got 'latest'"):
        _run(tmp_path, [0.5], keep="latest", patience=10)
    assert not (tmp_path / "checkpoints").exists()


def test_the_card_says_how_each_networks_epoch_was_chosen() -> None:
    from meddx.bundle.seg_card import epoch_note

    assert epoch_note(["final", "final"]) == "the final epoch of the schedule was kept (not chosen on val)"
    assert epoch_note(["best"]) == epoch_note([]) == "the best epoch on val was kept"  # [] : an older bundle
    assert "or its best on val where training stopped early" in epoch_note(["final", "best"])
