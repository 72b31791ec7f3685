"""A resumed network whose time limit is already spent records the epochs it actually trained.

Found by an audit: a run of 5 planned epochs interrupted after its third, as its time limit
(``--time-budget``'s 1.25x) ran out, was resumed; its restored Lightning timer stopped it before any
new epoch, and ``trainer.json`` recorded ``epochs_run`` one short (2 for 3 epochs trained), as did
the bundle's ``training.epochs_run``: Lightning restores a checkpoint written at an epoch's end with
that epoch processed but not yet counted in ``current_epoch``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from meddx.training.config import TrainConfig


def _table(path: Path, n: int = 60, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)
    split = np.where(np.arange(n) % 5 == 0, "val", "train")
    rows = ["marker,bp,split,label", *(f"{a:.4f},{b:.4f},{s},{t}" for (a, b), s, t in zip(x, split, y))]
    path.write_text("\n".join(rows) + "\n")
    return path


def _spend_time_limit(last: Path) -> None:
    """Set the checkpoint's Lightning timer past the limit, as after a run the time limit ended."""
    saved = torch.load(last, map_location="cpu", weights_only=True)
    timer = next(v for k, v in saved["callbacks"].items() if k.startswith("Timer"))
    timer["time_elapsed"] = {"train": 1000.0, "sanity_check": 0.0, "validate": 0.0, "test": 0.0, "predict": 0.0}
    torch.save(saved, last)


def test_epochs_run_counts_the_epochs_before_a_resume_the_time_limit_stops_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.training import checkpoint
    from meddx.training.fit import TrainingInterrupted, fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    config = TrainConfig(data=str(_table(tmp_path / "t.csv")), model="mlp", epochs=5, time_budget=1.0, seed=0,
                         ci_resamples=0, name="spent", early_stopping_patience=50)
    save = checkpoint.LastEveryEpoch.on_train_epoch_end

    def save_then_interrupt(self: Any, trainer: Any, pl_module: Any) -> None:
        save(self, trainer, pl_module)
        if trainer.current_epoch == 2:
            raise KeyboardInterrupt  # the user stopped it as the time limit ran out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checkpoint.LastEveryEpoch, "on_train_epoch_end", save_then_interrupt)
        with pytest.raises(TrainingInterrupted):
            fit(config, progress=False)
    run = next((tmp_path / "home" / "runs").glob("spent-*"))
    _spend_time_limit(run / "checkpoints" / "last.ckpt")  # 3 epochs trained, the time limit spent

    result = fit(None, resume=run, progress=False)
    done = json.loads((run / "trainer.json").read_text())
    assert (done["epochs_run"], done["stopped_by"]) == (3, "the time limit"), done  # not 2: no epoch was lost
    training = json.loads((Path(result.bundle_path) / "config.json").read_text())["training"]
    assert training["epochs_run"] == 3
