"""A segmentation run whose epochs a ``--plan`` file chose keeps them through every resume.

Found by a review: ``fit_segmentation`` let the time budget plan the epochs unless ``reasons.epochs``
was exactly "overridden by the given plan file". A resume that raised ``plan.json`` ``epochs``
appends "raised to N by hand at a resume: ..." to that reason, so the NEXT resume of the run took
the budget for its planner: a re-planner took the user's epochs back, and the time limit fell back
to 1.25x the budget instead of the grown one. Now the reason's start decides (``plan.is_chosen``,
as image runs do).
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
    from meddx.data.synthetic_seg import write_seg_folder

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    data = write_seg_folder(tmp_path / "seg", n=12, spatial_dims=2, size=32, classes=2, seed=1)
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
    with pytest.raises(_Stop) as stopped:
        fitmod.fit(TrainConfig(data=str(data), time_budget=1.0, seed=0), plan_file=plan_file, progress=False)
    run = Path(str(stopped.value))
    plan = json.loads((run / "plan.json").read_text())
    assert plan["reasons"]["epochs"] == "overridden by the given plan file" and budgets == [None]
    # what a resume that raised the epochs leaves in plan.json (budget.RaisedEpochsTimeLimit's note)
    plan["epochs"] = 3
    plan["reasons"]["epochs"] += "; raised to 3 by hand at a resume: the --time-budget's time limit grows with it"
    (run / "plan.json").write_text(json.dumps(plan))
    with pytest.raises(_Stop):
        fitmod.fit(None, resume=run, progress=False)
    assert budgets == [None, None]  # before: [None, 1.0], the budget re-planning the plan file's epochs
