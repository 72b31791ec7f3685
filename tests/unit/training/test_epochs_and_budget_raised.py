"""A run given both ``--epochs`` and ``--time-budget`` trains the epochs its ``plan.json`` was raised to.

Found by an audit: such a run has no re-planner (its epochs are the user's), but Lightning's
``max_time`` (1.25x the budget) restores its clock from the checkpoint. A run of 2 epochs that used
14 of its 15 s, raised to 4 in ``plan.json`` and resumed (the resume's note: "training goes on to
epoch 4"), was stopped by the restored clock one second into epoch 3.
"""

from __future__ import annotations

import itertools
import json
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.training.config import TrainConfig


def _table(path: Path, n: int = 60) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    rows = ["marker,bp,label", *(f"{a:.4f},{b:.4f},{int(a > 0)}" for a, b in x)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _set_clock(last: Path, seconds: float) -> None:
    """The checkpoint's Lightning timer as after ``seconds`` of training."""
    saved = torch.load(last, map_location="cpu", weights_only=True)
    timer = next(v for k, v in saved["callbacks"].items() if k.startswith("Timer"))
    timer["time_elapsed"] = {**timer["time_elapsed"], "train": seconds}
    torch.save(saved, last)


def test_raised_epochs_of_an_epochs_and_budget_run_are_trained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    import lightning.pytorch.callbacks.timer as timer

    from meddx.training.fit import fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(timer, "time", types.SimpleNamespace(monotonic=lambda: 0.0))  # the first leg: no time
    config = TrainConfig(data=str(_table(tmp_path / "t.csv")), model="mlp", epochs=2, time_budget=0.2, seed=0,
                         ci_resamples=0, name="raised", early_stopping_patience=50)
    run = fit(config, progress=False).run_dir
    _set_clock(run / "checkpoints" / "last.ckpt", 14.0)  # 2 epochs of 7 s: 1 s left of the 15 s limit
    plan = json.loads((run / "plan.json").read_text())
    (run / "plan.json").write_text(json.dumps({**plan, "epochs": 4}))

    ticks = itertools.count(step=0.5)  # every reading of Lightning's clock: half a second later
    monkeypatch.setattr(timer, "time", types.SimpleNamespace(monotonic=lambda: next(ticks)))
    fit(None, resume=run, progress=False)
    assert "training goes on to epoch 4" in capsys.readouterr().err
    done = json.loads((run / "trainer.json").read_text())
    assert (done["epochs_run"], done["epochs_planned"], done["stopped_by"]) == (4, 4, None), done
    why = json.loads((run / "plan.json").read_text())["reasons"]["epochs"]
    assert why.startswith("set in config; raised to 4 by hand at a resume: the --time-budget's time limit grows"), why


def test_an_unraised_resume_keeps_the_budgets_limit() -> None:  # a guard: the limit grows only with a raise
    from lightning.pytorch.callbacks import Timer

    from meddx.training.budget import RaisedEpochsTimeLimit
    from meddx.training.resume_edits import PLAN_KEY

    plan = types.SimpleNamespace(epochs=2, reasons={"epochs": "set in config"})
    limit = RaisedEpochsTimeLimit(0.2, plan, None)
    clock = Timer(duration={"seconds": 15}, verbose=False)
    clock.load_state_dict({"time_elapsed": {"train": 16.0}})
    trainer = types.SimpleNamespace(callbacks=[limit, clock], is_global_zero=True)
    limit.on_load_checkpoint(trainer, None, {"epoch": 1, PLAN_KEY: {"epochs": 2}})
    limit.on_fit_start(trainer, None)
    assert clock.time_remaining() < 0 and plan.reasons == {"epochs": "set in config"}
