"""The Ctrl-C line during the epochs counts epochs from 1 and says how many finished epochs
``last.ckpt`` holds.

Found by an audit: a Ctrl-C in the second epoch said "training interrupted at epoch 1" (Lightning's
index, counted from 0) beside ``best-epoch=000.ckpt``, while the time-limit warning counts from 1;
a reader counting from 1 took the one finished epoch for lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from meddx.training.config import TrainConfig
from tests.unit.training.test_epochs_and_budget_raised import _table


def _interrupt_in_epoch(epoch: int, patch: pytest.MonkeyPatch) -> None:
    from meddx.training import checkpoint

    def stop(self: Any, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if trainer.current_epoch == epoch:
            raise KeyboardInterrupt  # the user presses Ctrl-C during this epoch (counted from 0)

    patch.setattr(checkpoint.LastEveryEpoch, "on_train_batch_start", stop, raising=False)


def test_ctrl_c_in_the_second_epoch_says_epoch_2_and_one_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.training.fit import TrainingInterrupted, fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    config = TrainConfig(data=str(_table(tmp_path / "t.csv")), model="mlp", epochs=4, seed=0, ci_resamples=0,
                         name="ctrlc", early_stopping_patience=50)
    with pytest.MonkeyPatch.context() as patch:
        _interrupt_in_epoch(1, patch)
        with pytest.raises(TrainingInterrupted) as caught:
            fit(config, progress=False)
    run = next((tmp_path / "home" / "runs").iterdir())
    assert str(caught.value) == (f"training interrupted in epoch 2 of 4 (1 finished epoch saved in "
                                 f"{run / 'checkpoints' / 'last.ckpt'}); resume with: meddx train --resume {run}")
    with pytest.MonkeyPatch.context() as patch:  # resumed, and stopped again in its fourth epoch
        _interrupt_in_epoch(3, patch)
        with pytest.raises(TrainingInterrupted, match=r"interrupted in epoch 4 of 4 \(3 finished epochs saved in "):
            fit(None, resume=run, progress=False)
    assert json.loads((run / "config.json").read_text())["name"] == "ctrlc"


def test_ctrl_c_in_the_first_epoch_says_none_is_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.training.fit import TrainingInterrupted, fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    config = TrainConfig(data=str(_table(tmp_path / "t.csv")), model="mlp", epochs=3, seed=0, ci_resamples=0)
    with pytest.MonkeyPatch.context() as patch:
        _interrupt_in_epoch(0, patch)
        with pytest.raises(TrainingInterrupted) as caught:
            fit(config, progress=False)
    # no command that would be refused: a resume of this run says "nothing to resume", as `registry run` names none
    assert str(caught.value) == ("training interrupted in epoch 1 of 3 (no epoch finished yet); "
                                 "nothing to resume: start the run again")
    from meddx.core.errors import MeddxError

    run = next((tmp_path / "home" / "runs").iterdir())
    with pytest.raises(MeddxError, match="nothing to resume"):
        fit(None, resume=run, progress=False)
