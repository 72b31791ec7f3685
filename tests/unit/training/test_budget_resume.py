"""A ``--time-budget`` run interrupted and resumed spends the same budget and re-plans as the run
left alone would have (``--seed N --deterministic``, the same epoch times: bit-identical weights).

Found by an audit: a resumed budget run attached no re-planning at all, so a re-plan due after the
interruption (the check after a quarter of the epochs) never happened: the resumed run trained the
9 epochs planned before it, the run left alone re-planned to 5, and their weights differed. The
re-planner's state (training seconds spent, where the late check's mean starts) now travels in
every checkpoint, as Lightning's own ``max_time`` timer's does.
"""

from __future__ import annotations

import itertools
import json
import types
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import torch

import meddx.training.budget as budget
import meddx.training.speed as speed
from meddx.training.config import TrainConfig
from meddx.training.fit import fit

STEP_S = 10.0  # every clock reading of the re-planner advances this much: each epoch "takes" 10 s


def _fake_clock() -> types.SimpleNamespace:
    """A ``time`` module for budget.py whose ``perf_counter`` advances ``STEP_S`` per reading: the
    same epoch times in every process, whatever the machine's load."""
    ticks = itertools.count(1)
    return types.SimpleNamespace(perf_counter=lambda: next(ticks) * STEP_S)


def _run(config: TrainConfig, interrupt_after_epoch: int | None = None) -> Path:
    # 0.6 s per sample measured: 3 epochs of 48 samples fit 2 minutes; after epoch 0 (20 s of the
    # fake clock spent) 9 fit; after epoch 2 the late check measures 20 s per epoch and plans 5.
    with mock.patch.object(speed, "seconds_per_sample", lambda *a, **k: 0.6), \
            mock.patch.object(budget, "time", _fake_clock()):
        if interrupt_after_epoch is None:
            return fit(config, progress=False).run_dir
        from test_resume_identical import _interrupted_after_first_epoch_then_resumed

        return _interrupted_after_first_epoch_then_resumed(config)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    return write_image_folder(make_lesion_source(48, 16, 8, size=16, seed=3, contrast=2.0),
                              tmp_path_factory.mktemp("lesions16"))


def test_a_resumed_budget_run_replans_and_ends_as_the_uninterrupted_one(image_folder: Path) -> None:
    config = TrainConfig(data=str(image_folder), model="seed-cnn", time_budget=2.0, seed=7, deterministic=True,
                         batch_size=16, precision="32-true", augment="light", checkpoint="final", ci_resamples=0)
    left, right = _run(config), _run(config, interrupt_after_epoch=0)
    plans = [json.loads((d / "plan.json").read_text()) for d in (left, right)]
    assert [p["epochs"] for p in plans] == [5, 5]
    assert "3 -> 9 epochs" in plans[1]["reasons"]["epochs"] and "9 -> 5 epochs" in plans[1]["reasons"]["epochs"]
    a, b = (torch.load(d / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True) for d in (left, right))
    assert a["epoch"] == b["epoch"] == 4
    differing = [k for k in a["state_dict"] if not torch.equal(a["state_dict"][k], b["state_dict"][k])]
    assert not differing, f"{len(differing)} of {len(a['state_dict'])} tensors differ"
    saved: Any = next(v for k, v in b["callbacks"].items() if "BudgetReplan" in k)
    assert saved["elapsed"] == 5 * 2 * STEP_S  # five epochs of the fake clock, across both processes
    assert [h["to"] for h in saved["history"]] == [9, 5]
