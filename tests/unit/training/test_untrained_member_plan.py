"""A resume holds an ensemble network that has not trained yet to the run's ``plan.json``.

Found by review: ``members/<m>/plan.json`` is written as a copy of the run's plan when the run
starts, and the bundle records the run's plan for every network (only each network's epochs
apart, ``training.networks``). A resume compared only the networks that had trained with their
checkpoints, so a ``batch_size`` or ``augment`` edit in a later, untrained network's plan.json went
through without a word: that network trained under it while the bundle described the run's plan.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.core.errors import ConfigError
from meddx.training.resume_edits import KEY, PLAN_KEY, check_config_edits
from meddx.training.text_plan import TextPlan


def _plan(**edits: object) -> dict:
    plan = TextPlan(model="lstm", model_args={}, tokenizer="word", vocab_size=100, min_frequency=1, max_length=32,
                    lr=1e-3, batch_size=8, epochs=4, class_weights=None, early_stopping_patience=3,
                    seconds_per_sample=0.01, embedding_init="random", dp_vocabulary=None, ensemble=3,
                    train_batches=None, reasons={"epochs": "1 min budget / ..."})
    return json.loads(plan.model_copy(update=edits).model_dump_json())


def _run(tmp_path: Path, third: dict) -> tuple[Path, dict]:
    """Network 1 re-planned to 6 epochs and finished, network 2 interrupted, network 3 not started."""
    run, run_plan = tmp_path / "run", _plan(epochs=6, reasons={"epochs": "...; re-planned after epoch 1: 4 -> 6"})
    for folder, plan in ((run, run_plan), (run / "members" / "1", _plan())):
        (folder / "checkpoints").mkdir(parents=True)
        torch.save({"state_dict": {}, KEY: {}, PLAN_KEY: plan}, folder / "checkpoints" / "last.ckpt")
        (folder / "plan.json").write_text(json.dumps(plan))
    (run / "members" / "2").mkdir()
    (run / "members" / "2" / "plan.json").write_text(json.dumps(third))
    return run, run_plan


def _resume_check(run: Path, run_plan: dict) -> None:
    from meddx.training.config import TrainConfig

    check_config_edits(run, TrainConfig(data="x.csv"), run / "checkpoints" / "last.ckpt", run_plan)


@pytest.mark.parametrize("edit", [{"batch_size": 32}, {"model": "transformer"}, {"lr": 0.01}])
def test_an_untrained_networks_edit_is_refused_naming_its_plan_json(tmp_path: Path, edit: dict) -> None:
    run, run_plan = _run(tmp_path, _plan(**edit))
    field = next(iter(edit))
    with pytest.raises(ConfigError, match=rf"members/2/plan\.json: {field} .* differs from the .* of the run's "
                                          r"plan\.json \(this network has not trained yet") as info:
        _resume_check(run, run_plan)
    assert "\n" not in str(info.value)


def test_an_untrained_network_keeps_its_own_epochs(tmp_path: Path) -> None:  # a guard: no false refusal
    # its share as planned (the run's plan.json has network 1's re-plan), or raised by hand before it trains
    for epochs in (4, 9):
        run, run_plan = _run(tmp_path / str(epochs), _plan(epochs=epochs, reasons={"epochs": "its own"}))
        _resume_check(run, run_plan)
