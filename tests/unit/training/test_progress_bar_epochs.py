"""What ``meddx train`` shows counts epochs one way: from 1. The time-limit warning said "stopped
epoch 3" for the third epoch while Lightning's progress bar labelled that epoch ``Epoch 2/2``; the bar
now says ``Epoch 3/3`` (``training.progress_bar.EpochsFromOne``). Checkpoint names and JSON records keep
counting from 0 (docs/training.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from meddx.training.config import TrainConfig
from meddx.training.fit import train_and_restore
from tests.unit.training.test_time_limit_cut import _StoppedInLastEpoch


def test_the_bar_and_the_time_limit_warning_name_the_same_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.train_summary import print_summary

    monkeypatch.setenv("COLUMNS", "200")
    scores = [0.9, 0.5, 0.6]  # 3 epochs of 4 batches; the last one stopped after its second batch
    loader = DataLoader(TensorDataset(torch.zeros(4, 1)), batch_size=1)
    plan = SimpleNamespace(epochs=len(scores), early_stopping_patience=10, checkpoint="final", reasons={})
    train_and_restore(TrainConfig(data="x", precision="32-true"), plan, _StoppedInLastEpoch(scores, 1), loader,
                      loader, tmp_path, progress=True, resume=False, monitor="val_dice", keep="final")
    bar = capsys.readouterr().err  # progress: on stderr
    assert json.loads((tmp_path / "trainer.json").read_text())["cut_epoch"]["epoch"] == 2  # records: from 0
    assert re.findall(r"Epoch (\d+)/(\d+)", bar) == [("1", "3"), ("2", "3"), ("3", "3")]
    print_summary(SimpleNamespace(metrics={}, run_dir=tmp_path, bundle_path=tmp_path / "b", registry_ref=None))
    assert "stopped epoch 3 after 2 of its 4 batches" in capsys.readouterr().err.replace("\n", " ")  # a warning
