"""A raised ``--epochs`` + ``--time-budget`` run interrupted again keeps its grown time limit on resume.

Found by a review: the limit grew only when ``plan.json``'s epochs exceeded those of the plan the
checkpoint recorded; a checkpoint written after the raise records the raised epochs, and Lightning's
timer restores its clock but not the grown limit. A 2-epoch run raised to 6, interrupted after its
4th epoch and resumed, stopped at once at the base 1.25x the budget: ``epochs_run`` 4 of 6.
"""

from __future__ import annotations

import itertools
import json
import types
from pathlib import Path
from typing import Any

import pytest

from meddx.training.config import TrainConfig
from tests.unit.training.test_epochs_and_budget_raised import _set_clock, _table


def test_a_raised_run_resumed_twice_trains_the_raised_epochs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import lightning.pytorch.callbacks.timer as timer

    from meddx.training import checkpoint
    from meddx.training.fit import TrainingInterrupted, fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(timer, "time", types.SimpleNamespace(monotonic=lambda: 0.0))  # the first leg: no time
    config = TrainConfig(data=str(_table(tmp_path / "t.csv")), model="mlp", epochs=2, time_budget=0.2, seed=0,
                         ci_resamples=0, name="twice", early_stopping_patience=50)
    run = fit(config, progress=False).run_dir
    _set_clock(run / "checkpoints" / "last.ckpt", 14.0)  # 2 epochs of 7 s: 1 s left of the 15 s limit
    plan = json.loads((run / "plan.json").read_text())
    (run / "plan.json").write_text(json.dumps({**plan, "epochs": 6}))

    ticks = itertools.count(step=0.5)  # every reading of Lightning's clock: half a second later
    monkeypatch.setattr(timer, "time", types.SimpleNamespace(monotonic=lambda: next(ticks)))
    save = checkpoint.LastEveryEpoch.on_train_epoch_end

    def save_then_interrupt(self: Any, trainer: Any, pl_module: Any) -> None:
        save(self, trainer, pl_module)
        if trainer.current_epoch == 3:
            raise KeyboardInterrupt  # the user stops it after its 4th epoch

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checkpoint.LastEveryEpoch, "on_train_epoch_end", save_then_interrupt)
        with pytest.raises(TrainingInterrupted):
            fit(None, resume=run, progress=False)
    _set_clock(run / "checkpoints" / "last.ckpt", 28.0)  # 4 epochs of 7 s: past the base 15 s limit
    fit(None, resume=run, progress=False)
    done = json.loads((run / "trainer.json").read_text())
    assert (done["epochs_run"], done["epochs_planned"], done["stopped_by"]) == (6, 6, None), done
