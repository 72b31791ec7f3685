"""Augmentation and kept epoch follow the planned input size unless the user chose them."""

from __future__ import annotations

import json
from pathlib import Path

from meddx.data.synthetic import make_lesion_source
from meddx.training.config import TrainConfig
from meddx.training.plan import SMALL_SIDE, make_plan, plan_epochs, read_plan


def test_small_images_get_whole_pixel_shifts_and_the_final_epoch() -> None:
    plan = make_plan(TrainConfig(data="x", epochs=21), make_lesion_source(20, 6, 6, size=28))
    assert plan.augment == "shift" and plan.checkpoint == "final"
    assert plan.early_stopping_patience == 21  # off: the schedule runs to its end
    assert "28 px" in plan.reasons["augment"] and "final epoch" in plan.reasons["checkpoint"]
    # a budget re-plan keeps early stopping off at the new length
    assert plan_epochs(plan, n_train=1000, budget_minutes=10, seconds_per_sample=0.01).early_stopping_patience == 46


def test_larger_images_keep_the_affine_preset_and_the_best_epoch() -> None:
    plan = make_plan(TrainConfig(data="x", epochs=21), make_lesion_source(20, 6, 6, size=SMALL_SIDE + 4))
    assert plan.augment == "light" and plan.checkpoint == "best" and plan.early_stopping_patience == 7
    vol = make_plan(TrainConfig(data="x", epochs=21), make_lesion_source(8, 4, 4, size=(20, 20, 20)))
    assert vol.augment == "shift" and vol.checkpoint == "final"  # 3D at 20^3 is small too


def test_a_choice_in_the_config_or_plan_file_is_kept_at_any_size(tmp_path: Path) -> None:
    small = make_lesion_source(20, 6, 6, size=28)
    plan = make_plan(TrainConfig(data="x", epochs=21, augment="light"), small)
    assert plan.augment == "light" and plan.reasons["augment"] == "set in config"
    assert plan.checkpoint == "final"  # each field is decided on its own
    best = make_plan(TrainConfig(data="x", epochs=21, checkpoint="best"), small)
    assert best.augment == "shift" and best.checkpoint == "best" and best.early_stopping_patience == 7
    edited = tmp_path / "plan.json"
    edited.write_text(json.dumps({"augment": "strong", "image_size": [64, 64]}))
    over = make_plan(TrainConfig(data="x", epochs=21), small, read_plan(edited))
    assert over.augment == "strong" and over.reasons["augment"].startswith("overridden")
    assert over.checkpoint == "best"  # the overridden size is no longer small


def test_a_budget_that_shrinks_the_input_switches_only_the_automatic_defaults() -> None:
    from meddx.training.speed import _smaller

    source = make_lesion_source(8, 4, 4, size=(48, 48, 48))
    auto = make_plan(TrainConfig(data="x", model="seed-cnn", epochs=30), source)
    assert auto.augment == "light" and auto.checkpoint == "best"
    small = _smaller(auto, shortfall=0.1, budget_minutes=1, epochs=3)
    assert small.image_size == [28, 28, 28]
    assert small.augment == "shift" and small.checkpoint == "final" and small.early_stopping_patience == 30
    chosen = make_plan(TrainConfig(data="x", model="seed-cnn", epochs=30, augment="light", checkpoint="best"), source)
    kept = _smaller(chosen, shortfall=0.1, budget_minutes=1, epochs=3)
    assert kept.image_size == [28, 28, 28] and kept.augment == "light" and kept.checkpoint == "best"


def test_a_short_schedule_keeps_the_affine_preset_and_the_best_epoch() -> None:
    # on the demo's 28-px lesions a 1-minute budget (2-3 epochs) did worse on val with shift + final
    small = make_lesion_source(20, 6, 6, size=28)
    plan = make_plan(TrainConfig(data="x", epochs=3), small)
    assert plan.augment == "light" and plan.checkpoint == "best" and "only 3 epochs" in plan.reasons["augment"]


def test_the_epochs_a_budget_fits_decide_the_defaults() -> None:
    from meddx.training.fit import _build_task
    from meddx.training.speed import fit_to_budget

    cfg = TrainConfig(data="x", model="seed-cnn", batch_size=4)
    source = make_lesion_source(8, 4, 4, size=28)
    plan = make_plan(cfg, source)
    kwargs = dict(build_task=lambda p: _build_task(cfg, source, p), augment_for=lambda p: None, size_is_automatic=True)
    roomy = fit_to_budget(plan, 10, 10, "32-true", **kwargs)
    assert roomy.epochs >= 15 and roomy.augment == "shift" and roomy.checkpoint == "final"
    assert roomy.early_stopping_patience == roomy.epochs
    tight = fit_to_budget(plan, 100_000, 0.05, "32-true", **kwargs)
    assert tight.epochs < 8 and tight.augment == "light" and tight.checkpoint == "best"
    assert "epochs" in tight.reasons["checkpoint"]
