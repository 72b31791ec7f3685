"""Segmentation under a ``--time-budget`` shorter than one epoch planned one epoch without a word (``seg_fit``'s
budget planning, ``seg_plan.epochs_for_budget``). As for images (``short_budget``), a note on stderr now says so
before training, and ``plan.json``'s ``reasons.epochs`` records it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from meddx.training.config import TrainConfig


class _Stop(Exception):
    """Raised in place of training: the plan is all this test needs."""


@pytest.mark.slow
def test_a_segmentation_budget_under_one_epoch_is_said_and_recorded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.data.synthetic_seg import write_seg_folder
    from meddx.training.fit import fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))

    def stop(*_args: object, **_kwargs: object) -> None:
        raise _Stop

    monkeypatch.setattr("meddx.training.fit.train_and_restore", stop)
    data = write_seg_folder(tmp_path / "seg", n=6, size=16, seed=0)
    with pytest.raises(_Stop):
        fit(TrainConfig(data=str(data), time_budget=0.0001, batch_size=2, seed=0, name="segshort"), progress=False)
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if "shorter than one epoch" in line]
    assert len(notes) == 1, err
    assert re.search(r"meddx: note: --time-budget 0.0001 min is shorter than one epoch \(about [\d.]+ m?s at [\d.]+ ms "
                     r"measured per patch and [\d.e-]+ s of validation\): one epoch is planned: the time limit \(1.25x "
                     r"the budget\) cuts it after the batches that fit \(at least 1 of its 20\); give --time-budget "
                     r"[\d.]+ or more for a whole epoch", notes[0]), notes[0]
    plan = json.loads(next((tmp_path / "home" / "runs").glob("segshort-*/plan.json")).read_text())
    assert plan["epochs"] == 1
    assert re.search(r"patches x .* per epoch\); the 0.0001 min budget is [\d.]+% of one epoch \(about .*\): 1 epoch "
                     r"planned; the time limit", plan["reasons"]["epochs"]), plan["reasons"]["epochs"]


def _plan(ensemble: int = 1) -> object:
    from meddx.training.seg_plan import SegPlan

    return SegPlan(spatial_dims=2, channels=1, patch_size=[16, 16], model="unet", model_args={}, batch_size=16,
                   epochs=1, samples_per_epoch=320, early_stopping_patience=1, ensemble=ensemble,
                   seconds_per_sample=0.01, reasons={"epochs": "budget / (320 patches x 10 ms + 1.0 s)"})


def test_whole_epochs_say_nothing_and_an_ensemble_names_each_share(capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.training.short_budget import seg_short_budget

    plan = _plan()
    assert seg_short_budget(plan, 320, 1.0, 1.0) == plan  # 4.2 s an epoch: about 12 fit a minute
    assert capsys.readouterr().err == ""
    cut = seg_short_budget(_plan(ensemble=2), 320, 0.1, 1.0)  # 3 s each of 4.2 s: under one epoch
    assert cut.epochs == 1 and "the 0.1 min (0.05 min for each of 2 networks) budget is 64.29% of one epoch" \
        in cut.reasons["epochs"]
    err = capsys.readouterr().err
    # a whole epoch for each of the two networks: 2 x 4.2 s / 0.9 = 9.3 s = 0.156 min, rounded up
    assert "--time-budget 0.1 min (0.05 min for each of 2 networks) is shorter than one epoch" in err
    assert "give --time-budget 0.16 or more for a whole epoch" in err
