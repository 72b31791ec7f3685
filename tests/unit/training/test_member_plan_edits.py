"""An ensemble's later networks follow their own ``members/<m>/plan.json``: a resume holds edits
there to the same policy as the run's ``plan.json`` (raised ``epochs`` honoured, the rest refused).

Before, only the run's ``plan.json`` was compared with its checkpoint's plan record, so editing
``batch_size`` or ``class_weights`` in ``members/1/plan.json`` changed network 2 half-way through
while its bundle described it as trained under the edit from the start.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.core.errors import ConfigError
from meddx.training.resume_edits import KEY, PLAN_KEY, check_config_edits

STARTED = {"epochs": 4, "batch_size": 8, "augment": "none", "reasons": {"epochs": "measured"}}


def _run(tmp_path: Path, member_plan: dict) -> Path:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    torch.save({"state_dict": {}}, run / "checkpoints" / "last.ckpt")  # network 1: no records (old)
    member = run / "members" / "1"
    (member / "checkpoints").mkdir(parents=True)
    torch.save({"state_dict": {}, KEY: {}, PLAN_KEY: STARTED}, member / "checkpoints" / "last.ckpt")
    (member / "plan.json").write_text(json.dumps(member_plan))
    return run


def _resume_check(run: Path) -> None:
    from meddx.training.config import TrainConfig

    check_config_edits(run, TrainConfig(data="x.csv"), run / "checkpoints" / "last.ckpt", None)


def test_a_later_networks_edited_batch_size_is_refused_naming_its_plan_json(tmp_path: Path) -> None:
    run = _run(tmp_path, {**STARTED, "batch_size": 16})
    with pytest.raises(ConfigError, match=r"members/1/plan\.json: batch_size 16 differs from the 8"):
        _resume_check(run)


def test_a_later_networks_raised_epochs_is_honoured_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _resume_check(_run(tmp_path, {**STARTED, "epochs": 6, "reasons": {"epochs": "raised by hand"}}))
    assert "members/1/plan.json: edits a resume honours: epochs 6 (was 4" in capsys.readouterr().err


def test_an_unedited_or_untrained_network_passes(tmp_path: Path) -> None:
    run = _run(tmp_path, dict(STARTED))
    (run / "members" / "2").mkdir()  # network 3 not started: no checkpoint, nothing to compare
    (run / "members" / "2" / "plan.json").write_text(json.dumps({**STARTED, "batch_size": 32}))
    _resume_check(run)
