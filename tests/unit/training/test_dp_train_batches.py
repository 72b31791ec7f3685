"""DP-SGD under a text ``--time-budget`` shorter than one epoch (``plan.train_batches``): Lightning
stops each epoch after ``train_batches`` steps, so the noise for a target epsilon must be chosen for
those steps. It was chosen for every batch of the loader (8 here, 2 taken): four times the steps, far
more noise than the target needed, and privacy.json's ``steps_per_epoch`` said 8."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("opacus")

from meddx.training.config import TrainConfig  # noqa: E402
from meddx.training.privacy import noise_for, private_training  # noqa: E402
from meddx.training.text_fit import _build_task, token_loader  # noqa: E402
from tests.unit.training.test_text_budget_under_one_epoch import _data, _plan  # noqa: E402
from tests.unit.training.test_text_plan import _source  # noqa: E402


@pytest.mark.parametrize("train_batches", [2, None])
def test_the_noise_is_chosen_for_the_batches_each_epoch_trains(train_batches: int | None, tmp_path: Path) -> None:
    config = TrainConfig(data="x.csv", model="lstm", epochs=3, dp=True, epsilon=3.0, delta=1e-3)
    plan = _plan(config).model_copy(update={"train_batches": train_batches, "epochs": 3})
    task = _build_task(config, _source([0, 1] * 10), plan, None)
    _, loader, callback = private_training(config, plan, task, token_loader(_data(256), 32, shuffle=True), tmp_path)
    steps = train_batches or len(loader)
    assert len(loader) == 8
    assert callback.steps_per_epoch == steps and callback.base["steps_per_epoch"] == steps
    assert callback.base["noise_multiplier"] == pytest.approx(noise_for(config, loader.sample_rate, steps * 3))
