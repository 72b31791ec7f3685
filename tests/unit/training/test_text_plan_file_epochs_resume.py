"""A text run whose epochs a ``--plan`` file chose keeps them through every resume (the twin of
test_seg_plan_file_epochs_resume.py).

Found by a review: ``fit_text`` let the time budget plan the epochs unless ``reasons.epochs`` was
exactly "overridden by the given plan file"; a resume that raised ``plan.json`` ``epochs`` appends
"raised to N by hand at a resume: ..." to it, so the next resume re-planned the user's epochs from
the budget and dropped the grown time limit. The fix (text_fit.py: ``plan.is_chosen``, as image and
segmentation runs) is outside the training helper's area and was reported with this test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import meddx.training.fit as fitmod
from meddx.training.config import TrainConfig


class _Stop(Exception):
    """Ends the run after training (the test needs no evaluation)."""


def test_plan_file_epochs_stay_chosen_after_a_resume_noted_a_raise(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.synthetic_text import write_text_csv

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    notes = write_text_csv(tmp_path / "notes.csv", n=100, seed=5)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"epochs": 1}))
    budgets: list[Any] = []
    train = fitmod.train_and_restore

    def spy(config: Any, plan: Any, *args: Any, **kwargs: Any) -> Any:
        budgets.append(kwargs.get("budget_minutes"))
        if len(budgets) == 1:  # the first run trains its epoch (a checkpoint to resume from)
            train(config, plan, *args, **kwargs)
        raise _Stop(kwargs.get("resume_dir"))

    monkeypatch.setattr(fitmod, "train_and_restore", spy)
    config = TrainConfig(data=str(notes), model="lstm", model_args={"embedding_dim": 16, "hidden_size": 16},
                         time_budget=1.0, batch_size=8, seed=0, precision="32-true", ci_resamples=0, baseline=False,
                         embedding_init="random")
    with pytest.raises(_Stop) as stopped:
        fitmod.fit(config, plan_file=plan_file, progress=False)
    run = Path(str(stopped.value))
    plan = json.loads((run / "plan.json").read_text())
    assert plan["reasons"]["epochs"] == "overridden by the given plan file" and budgets == [None]
    plan["epochs"] = 3  # what a resume that raised the epochs leaves in plan.json (RaisedEpochsTimeLimit's note)
    plan["reasons"]["epochs"] += "; raised to 3 by hand at a resume: the --time-budget's time limit grows with it"
    (run / "plan.json").write_text(json.dumps(plan))
    with pytest.raises(_Stop):
        fitmod.fit(None, resume=run, progress=False)
    assert budgets == [None, None]  # before: [None, 1.0], the budget re-planning the plan file's epochs
