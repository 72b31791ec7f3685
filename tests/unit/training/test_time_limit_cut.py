"""A run that Lightning's time limit (``max_time``, 1.25x a ``--time-budget``) stops inside its last
planned epoch did not run its schedule to the end. Found by audit 56: a PneumoniaMNIST run planned 1
epoch at a 0.3-minute budget, was stopped after 8 of its 37 batches, and ``trainer.json`` called it
finished, so ``--checkpoint final`` would have kept those weights as the end of the schedule (the
documentation says a run the time limit stops keeps its best validation epoch)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset

from meddx.training.config import TrainConfig
from meddx.training.fit import train_and_restore


class _StoppedInLastEpoch(L.LightningModule):
    """Scripted validation scores; in the last epoch, after batch ``stop_after``, the trainer is told
    to stop as Lightning's ``Timer`` tells it when ``max_time`` has passed (``should_stop`` after a batch)."""

    def __init__(self, scores: list[float], stop_after: int | None) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([5.0]))
        self.scores = scores
        self.stop_after = stop_after

    def training_step(self, batch: tuple[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return ((self.w - batch[0]) ** 2).mean()

    def on_train_batch_end(self, outputs: object, batch: object, batch_idx: int) -> None:
        if self.current_epoch == len(self.scores) - 1 and batch_idx == self.stop_after:
            self.trainer.should_stop = True

    def validation_step(self, batch: tuple[torch.Tensor], batch_idx: int) -> None:
        self.log("val_dice", self.scores[self.current_epoch])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _run(tmp_path: Path, stop_after: int | None) -> dict:
    scores = [0.9, 0.5, 0.6]
    loader = DataLoader(TensorDataset(torch.zeros(4, 1)), batch_size=1)  # 4 batches per epoch
    plan = SimpleNamespace(epochs=len(scores), early_stopping_patience=10, checkpoint="final", reasons={})
    config = TrainConfig(data="x", precision="32-true")
    train_and_restore(config, plan, _StoppedInLastEpoch(scores, stop_after), loader, loader, tmp_path,
                      progress=False, resume=False, monitor="val_dice", keep="final")
    return json.loads((tmp_path / "trainer.json").read_text())


def test_a_last_epoch_cut_by_the_time_limit_keeps_the_best_epoch_and_says_so(tmp_path: Path) -> None:
    trainer = _run(tmp_path, stop_after=1)
    assert trainer["cut_epoch"] == {"epoch": 2, "batches": 2, "of": 4}
    assert trainer["kept"] == "best" and "epoch=000" in trainer["restored_checkpoint"]


def test_a_schedule_run_to_its_end_keeps_its_final_epoch(tmp_path: Path) -> None:
    trainer = _run(tmp_path, stop_after=None)
    assert trainer["cut_epoch"] is None and trainer["epochs_run"] == 3
    assert trainer["kept"] == "final"


def test_the_train_summary_warns_of_a_cut_epoch(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from meddx.cli.train_summary import print_summary

    (tmp_path / "trainer.json").write_text(json.dumps({"cut_epoch": {"epoch": 0, "batches": 8, "of": 37}}))
    print_summary(SimpleNamespace(metrics={}, run_dir=tmp_path, bundle_path=tmp_path / "b", registry_ref=None))
    assert "stopped epoch 1 after 8 of its 37 batches" in capsys.readouterr().err.replace("\n", " ")  # a warning


def test_the_bundle_and_its_model_card_say_an_epoch_was_cut(tmp_path: Path) -> None:
    from meddx.bundle.model_card import _model_section
    from meddx.training.finish import _epochs_run

    cut = {"epoch": 0, "batches": 8, "of": 37}
    (tmp_path / "trainer.json").write_text(json.dumps({"epochs_run": 1, "cut_epoch": cut, "kept": "best",
                                                       "restored_checkpoint": str(tmp_path / "epoch=000.ckpt")}))
    training = _epochs_run(tmp_path)
    assert training["cut_epoch"] == cut and training["epochs_run"] == 1
    cfg = {"model": {"name": "seed-cnn", "args": {}}, "preprocessing": {"description": "28 px"}, "tta": [],
           "training": {**training, "plan": {"epochs": 1}}}
    card = " ".join(_model_section(cfg))
    assert "epochs run: 1 of 1 planned (the time limit stopped epoch 1 after 8 of its 37 batches" in card
    whole = {**training, "cut_epoch": None}
    assert "time limit" not in " ".join(_model_section({**cfg, "training": {**whole, "plan": {"epochs": 1}}}))


def test_resuming_a_run_whose_last_epoch_was_cut_says_so(tmp_path: Path) -> None:
    import pytest

    from meddx.core.errors import ConfigError
    from meddx.training.run import _check_unfinished

    (tmp_path / "metrics.json").write_text("{}")
    (tmp_path / "plan.json").write_text(json.dumps({"epochs": 1}))
    (tmp_path / "trainer.json").write_text(json.dumps({"epochs_run": 1, "epochs_planned": 1,
                                                       "cut_epoch": {"epoch": 0, "batches": 8, "of": 37}}))
    with pytest.raises(ConfigError, match=r"1 of 1 planned epochs run \(the time limit stopped epoch 1 after 8 of its "
                                          r"37 batches; .*raise \"epochs\""):
        _check_unfinished(tmp_path)
