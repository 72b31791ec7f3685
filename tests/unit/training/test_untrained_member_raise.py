"""An ensemble network that had not started when its run was resumed trains the epochs its
``members/<m>/plan.json`` was raised to, and the resume says so.

Found by an audit: a ``--ensemble 2 --time-budget 2`` run interrupted as network 2 started
(no checkpoint of it yet), whose ``members/1/plan.json`` ``epochs`` was raised by hand from its
share (1) to 3, was resumed without a word about the edit, and network 2's re-planner fitted its
epochs back to the budget after its first epoch (1 -> 9 -> 5 with these clocks): the raise was
undone. A network that has trained already followed its raise since stop 40 (``_follow_raise``).
"""

from __future__ import annotations

import itertools
import json
import os
import types
from pathlib import Path
from typing import Any

import pytest

import meddx.training.budget as budget
import meddx.training.text_fit as text_fit
from meddx.training.config import TrainConfig
from meddx.training.run import RUN_DIR_ENV

STEP_S = {"run": 10.0, "member": 5.0}  # the re-planner's clock per reading, in network 1 and in network 2


def _budget_clock() -> types.SimpleNamespace:
    now = itertools.accumulate(itertools.repeat(None), lambda t, _: t + STEP_S[
        "member" if "members" in os.environ.get(RUN_DIR_ENV, "") else "run"], initial=0.0)
    next(now)
    return types.SimpleNamespace(perf_counter=lambda: next(now))


class _ProbeClock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def perf_counter(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture()
def clocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in test_ensemble_member_budget: a 1-epoch share per network; 10 s epochs in network 1
    (re-planned 1 -> 4), 5 s epochs in network 2 (re-planned 1 -> 9 -> 5 when left to the budget)."""
    import lightning.pytorch.callbacks.timer as timer

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(text_fit, "time", types.SimpleNamespace(perf_counter=_ProbeClock(4.0).perf_counter))
    monkeypatch.setattr(budget, "time", _budget_clock())
    monkeypatch.setattr(timer, "time", types.SimpleNamespace(monotonic=lambda: 0.0))


def _interrupted_before_network_2_saved(notes: Path) -> Path:
    from meddx.training import checkpoint
    from meddx.training.fit import TrainingInterrupted, fit

    def interrupt_network_2(self: Any, trainer: Any, pl_module: Any) -> None:
        if "members" in str(self.path):
            raise KeyboardInterrupt  # as network 2 starts: before its first epoch, re-plan and checkpoint

    config = TrainConfig(data=str(notes), model="lstm", model_args={"embedding_dim": 16, "hidden_size": 16},
                         time_budget=2.0, ensemble=2, batch_size=8, seed=0, precision="32-true", ci_resamples=0,
                         baseline=False, embedding_init="random")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checkpoint.LastEveryEpoch, "on_train_start", interrupt_network_2, raising=False)
        with pytest.raises(TrainingInterrupted) as caught:
            fit(config, progress=False)
    return Path(str(caught.value).rsplit("--resume ", 1)[1])


def test_a_raised_plan_of_a_network_not_yet_started_is_trained(tmp_path: Path, clocks: None,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.data.synthetic_text import write_text_csv
    from meddx.training.fit import fit

    run = _interrupted_before_network_2_saved(write_text_csv(tmp_path / "notes.csv", n=100, seed=5))
    member = run / "members" / "1"
    assert not (member / "checkpoints" / "last.ckpt").exists()
    plan = json.loads((member / "plan.json").read_text())
    assert plan["epochs"] == 1  # its share of the budget
    (member / "plan.json").write_text(json.dumps({**plan, "epochs": 3}))
    capsys.readouterr()

    result = fit(None, resume=run, progress=False)
    err = capsys.readouterr().err
    assert "members/1/plan.json: edits a resume honours: epochs 3 (its share of the time budget planned 1" in err, err
    done = json.loads((member / "trainer.json").read_text())
    assert (done["epochs_run"], done["epochs_planned"]) == (3, 3), done  # not re-planned back to the budget
    why = json.loads((member / "plan.json").read_text())["reasons"]["epochs"]
    assert "raised to 3 by hand at a resume" in why and "re-planned" not in why, why
    networks = json.loads((Path(result.bundle_path) / "config.json").read_text())["training"]["networks"]
    assert networks[1]["epochs"] == 3 and networks[1]["epochs_run"] == 3


def test_a_lowered_plan_of_a_network_not_yet_started_is_kept_and_noted(tmp_path: Path) -> None:
    """The same edit downwards (its share 8, set to 2): no re-plan raises it back to the budget."""
    from pydantic import BaseModel

    from meddx.training.budget import BudgetReplan

    class _Plan(BaseModel):
        epochs: int
        reasons: dict[str, str] = {}

        def write(self, path: Path) -> None:
            path.write_text(self.model_dump_json())

    plan = _Plan(epochs=2, reasons={"epochs": "1 min budget"})
    replan = BudgetReplan(1.0, plan, tmp_path / "plan.json", planned=8)
    trainer = types.SimpleNamespace(current_epoch=0, should_stop=False, fit_loop=types.SimpleNamespace(max_epochs=2),
                                    num_training_batches=4, lr_scheduler_configs=[], world_size=1,
                                    is_global_zero=True, callbacks=[replan])
    replan.on_fit_start(trainer, None)
    replan.on_train_start(trainer, None)
    replan.on_train_epoch_start(trainer, None)
    replan.on_train_epoch_end(trainer, None)  # a 1 s epoch: the budget would fit many more
    assert trainer.fit_loop.max_epochs == plan.epochs == 2
    assert "set to 2 by hand before this network started (its share of the budget planned 8): no re-plans" in \
        json.loads((tmp_path / "plan.json").read_text())["reasons"]["epochs"]
    assert replan.state_dict()["budget_epochs"] == 8


@pytest.mark.parametrize("reason, noted", [("2 min budget", True),
                                           ("2 min budget; re-planned after epoch 1: 5.0 s per epoch measured, "
                                            "1 -> 9 epochs to fit the budget", False)])
def test_only_a_hand_edit_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str], reason: str,
                                   noted: bool) -> None:
    """A network interrupted between its first re-plan (written to its plan.json) and its first
    checkpoint has epochs away from its share that no hand set: no note claims one."""
    import torch

    from meddx.training.members import budget_share
    from meddx.training.resume_edits import _check_member_plans

    (tmp_path / "checkpoints").mkdir()
    torch.save({"callbacks": {"BudgetReplan": {"elapsed": 20.0, "history": [{"after_epoch": 1, "from": 1, "to": 4}],
                                               "budget_epochs": 4}}}, tmp_path / "checkpoints" / "last.ckpt")
    assert budget_share(tmp_path) == 1  # the share, not network 1's re-planned 4
    member = tmp_path / "members" / "1"
    member.mkdir(parents=True)
    run_plan = {"epochs": 4, "batch_size": 8, "reasons": {"epochs": "2 min budget"}}
    (member / "plan.json").write_text(json.dumps({**run_plan, "epochs": 9, "reasons": {"epochs": reason}}))
    _check_member_plans(tmp_path, run_plan)
    assert ("edits a resume honours: epochs 9 (its share of the time budget planned 1" in capsys.readouterr().err) \
        is noted
