"""Ctrl-C during training names the command that resumes the run.

Found by an audit: Lightning answers a KeyboardInterrupt by tearing down and calling
``sys.exit(1)``, so ``meddx train`` stopped silently with exit status 1 and the
``TrainingInterrupted`` message (with its ``--resume`` command) was never shown.
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from meddx.tasks.classification import ClassificationTask
from meddx.training.config import TrainConfig
from meddx.training.data import ArrayDataset, make_loader
from meddx.training.fit import TrainingInterrupted, train_and_restore


def test_ctrl_c_raises_training_interrupted_with_the_resume_command(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images, labels = rng.normal(size=(16, 1, 12, 12)).astype(np.float32), np.arange(16) % 2
    task = ClassificationTask("seed-cnn", {"in_channels": 1, "spatial_dims": 2, "image_size": 12}, "binary", 2,
                              max_epochs=4)
    seen = []

    def press_ctrl_c_in_second_epoch() -> None:
        seen.append(task.current_epoch)
        if task.current_epoch == 1:
            raise KeyboardInterrupt

    task.on_train_epoch_start = press_ctrl_c_in_second_epoch  # type: ignore[method-assign]
    config = TrainConfig(data="x", epochs=4, precision="32-true")
    plan = SimpleNamespace(epochs=4, early_stopping_patience=4, checkpoint="best", reasons={})
    loader = make_loader(ArrayDataset(images, labels), 8, shuffle=True)
    handler = signal.getsignal(signal.SIGINT)  # Lightning ignores SIGINT from the interrupt on
    try:
        with pytest.raises(TrainingInterrupted, match=f"--resume {tmp_path}") as caught:
            train_and_restore(config, plan, task, loader, make_loader(ArrayDataset(images, labels), 8, shuffle=False),
                              tmp_path, progress=False, resume=False)
    finally:
        signal.signal(signal.SIGINT, handler)
    assert seen == [0, 1] and caught.value.exit_code == 130
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["epoch"] == 0  # the finished epoch, ready to resume
