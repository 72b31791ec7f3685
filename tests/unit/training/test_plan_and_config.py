"""Self-configuration and typed configs: the automatic choices, their reasons, overrides."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import ConfigError, ModelError
from meddx.data.base import ImageSource, SplitData
from meddx.data.synthetic import make_lesion_source
from meddx.training.config import TrainConfig, load_config
from meddx.training.plan import make_plan, plan_epochs, read_plan


def _imbalanced_source() -> ImageSource:
    labels = np.array([0] * 90 + [1] * 10)
    images = np.zeros((100, 1, 28, 28), np.uint8)
    split = SplitData(ids=[str(i) for i in range(100)], labels=labels, images=images)
    return ImageSource("imb", "memory", "binary", ["a", "b"], 2, {"train": split, "val": split})


def test_plan_uses_native_size_and_balanced_classes() -> None:
    plan = make_plan(TrainConfig(data="x"), make_lesion_source(50, 10, 10))
    assert plan.image_size == [28, 28] and plan.channels == 1
    assert plan.model == "resnet18" and plan.class_weights is None
    assert plan.model_args == {"in_channels": 1, "spatial_dims": 2, "image_size": 28}
    assert set(plan.reasons) >= {"image_size", "channels", "model", "batch_size", "class_weights", "epochs"}


def test_plan_weights_imbalanced_classes_by_inverse_frequency() -> None:
    plan = make_plan(TrainConfig(data="x"), _imbalanced_source())
    assert plan.class_weights == pytest.approx([100 / (2 * 90), 100 / (2 * 10)])
    off = make_plan(TrainConfig(data="x", class_weights=False), _imbalanced_source())
    assert off.class_weights is None


def test_plan_for_3d_and_large_images() -> None:
    vol = make_lesion_source(8, 4, 4, size=(20, 20, 20))
    plan = make_plan(TrainConfig(data="x"), vol)
    assert plan.model == "resnet18-3d" and plan.image_size == [20, 20, 20]
    assert make_plan(TrainConfig(data="x", image_size=16), vol).image_size == [16, 16, 16]


def test_plan_rejects_model_for_wrong_dims_before_any_training() -> None:
    with pytest.raises(ModelError, match="3D"):
        make_plan(TrainConfig(data="x", model="resnet18-3d"), make_lesion_source(8, 4, 4))


def test_plan_epochs_fits_the_budget() -> None:
    plan = make_plan(TrainConfig(data="x"), make_lesion_source(50, 10, 10))
    fitted = plan_epochs(plan, n_train=1000, budget_minutes=10, seconds_per_sample=0.01)
    # 600 s * 0.9 / (1000 * 0.01 * 1.15 s per epoch) = 46.9
    assert fitted.epochs == 46 and fitted.seconds_per_sample == 0.01
    assert "10 min budget" in fitted.reasons["epochs"]


def test_keeping_the_final_epoch_turns_automatic_early_stopping_off() -> None:
    source = make_lesion_source(50, 10, 10, size=64)  # above SMALL_SIDE: the best val epoch by default
    best = make_plan(TrainConfig(data="x", epochs=21), source)
    assert best.checkpoint == "best" and best.early_stopping_patience == 7
    final = make_plan(TrainConfig(data="x", epochs=21, checkpoint="final"), source)
    assert final.checkpoint == "final" and final.early_stopping_patience == 21
    assert final.reasons["checkpoint"] == "set in config"
    assert "off (= epochs)" in final.reasons["early_stopping_patience"]
    # a budget re-plan follows the automatic choice: off stays off at the new length
    assert plan_epochs(final, n_train=1000, budget_minutes=10, seconds_per_sample=0.01).early_stopping_patience == 46
    assert plan_epochs(best, n_train=1000, budget_minutes=10, seconds_per_sample=0.01).early_stopping_patience == 15


def test_a_patience_set_in_the_config_survives_the_budget() -> None:
    # plan_epochs used to reset every patience to epochs // 3, also one the user had set
    config = TrainConfig(data="x", early_stopping_patience=3, checkpoint="final")
    plan = make_plan(config, make_lesion_source(50, 10, 10))
    assert plan.early_stopping_patience == 3
    assert plan_epochs(plan, n_train=1000, budget_minutes=10, seconds_per_sample=0.01).early_stopping_patience == 3


def test_checkpoint_and_shift_preset_are_validated_config_fields() -> None:
    assert load_config(data="x", checkpoint="final", augment="shift").checkpoint == "final"
    with pytest.raises(ConfigError, match="checkpoint"):
        load_config(data="x", checkpoint="latest")


def test_read_plan_rejects_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"epochz": 3}))
    with pytest.raises(ConfigError, match="epochz"):
        read_plan(path)


def test_yaml_config_with_flag_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data: medmnist:pneumoniamnist\nepochs: 5\naugment: strong\n")
    cfg = load_config(path, epochs=7, model=None)
    assert cfg.epochs == 7 and cfg.augment == "strong" and cfg.model is None


def test_bad_config_values_are_one_line_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data: x\nepochs: -1\naugment: wild\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "c.yaml" in message and "epochs" in message and "augment" in message and "\n" not in message
    with pytest.raises(ConfigError, match="--data"):
        load_config(None)
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(path)


def test_3d_default_model_is_sized_for_cpu() -> None:
    plan = make_plan(TrainConfig(data="x"), make_lesion_source(8, 4, 4, size=(20, 20, 20)))
    assert plan.model_args["stem"] == "strided" and plan.model_args["width"] == 32
    explicit = make_plan(TrainConfig(data="x", model="resnet18-3d"), make_lesion_source(8, 4, 4, size=(20, 20, 20)))
    assert "stem" not in explicit.model_args  # a model the user names keeps its own defaults


def test_budget_shrinks_an_automatic_size_until_enough_epochs_fit() -> None:
    from meddx.training.fit import _build_task
    from meddx.training.speed import MIN_SIDE, fit_to_budget

    cfg = TrainConfig(data="x", model="seed-cnn")
    source = make_lesion_source(8, 4, 4, size=(48, 48, 48))
    plan = make_plan(cfg, source)
    seen: list[str] = []
    kwargs = dict(build_task=lambda p: _build_task(cfg, source, p), augment_for=lambda p: seen.append(p.augment))
    small = fit_to_budget(plan, 100_000, 0.05, "32-true", size_is_automatic=True, **kwargs)
    assert seen[0] == "light" and seen[-1] == "shift"  # each probe times the preset planned for its size
    assert small.image_size == [MIN_SIDE] * 3 and small.model_args["image_size"] == MIN_SIDE
    assert plan.batch_size == 8 and small.batch_size == 32  # automatic batch size follows the new size
    assert "reduced from 48" in small.reasons["image_size"]
    fixed = fit_to_budget(plan, 100_000, 0.05, "32-true", size_is_automatic=False, **kwargs)
    assert fixed.image_size == [48, 48, 48] and fixed.epochs == 1


def test_auto_precision_is_bf16_only_for_2d() -> None:
    from meddx.training.fit import resolve_precision

    assert resolve_precision("auto", 3) == "32-true"
    assert resolve_precision("auto", 2) in ("bf16-mixed", "32-true")
    assert resolve_precision("bf16-mixed", 3) == "bf16-mixed"  # an explicit choice is kept


def test_non_finite_loss_stops_training_with_a_clear_error() -> None:
    import torch

    from meddx.core.errors import MeddxError
    from meddx.tasks.classification import ClassificationTask

    task = ClassificationTask("seed-cnn", {"in_channels": 1, "image_size": 28}, "binary", 2)
    x = torch.full((2, 1, 28, 28), float("nan"))
    with pytest.raises(MeddxError, match="diverged.*--precision 32-true"):
        task.training_step((x, torch.tensor([0, 1])), 0)



def test_a_diverged_loss_names_the_epoch_counted_from_1() -> None:
    """As the progress bar and the time-limit warning count epochs (the first is epoch 1)."""
    import torch

    from meddx.core.errors import MeddxError
    from meddx.tasks.classification import ClassificationTask

    task = ClassificationTask("seed-cnn", {"in_channels": 1, "image_size": 28}, "binary", 2)
    with pytest.raises(MeddxError, match="at epoch 1, step 0"):
        task.training_step((torch.full((2, 1, 28, 28), float("nan")), torch.tensor([0, 1])), 0)

def test_budget_halves_the_width_of_an_automatic_network_at_the_smallest_size() -> None:
    from meddx.training.fit import _build_task
    from meddx.training.speed import fit_to_budget

    cfg = TrainConfig(data="x", batch_size=4)  # small probes: the test is about the decision, not the speed
    source = make_lesion_source(8, 4, 4, size=28)
    plan = make_plan(cfg, source)
    kwargs = dict(build_task=lambda p: _build_task(cfg, source, p), augment_for=lambda p: None,
                  size_is_automatic=True)
    narrow = fit_to_budget(plan, 100_000, 0.05, "32-true", width_is_automatic=True, **kwargs)
    assert narrow.model_args["width"] == 32 and narrow.image_size == [28, 28]  # once, and no smaller than 28 px
    assert "width 64 -> 32" in narrow.reasons["model"]
    kept = fit_to_budget(plan, 100_000, 0.05, "32-true", width_is_automatic=False, **kwargs)
    assert "width" not in kept.model_args  # a model or width chosen by the user is left alone
    roomy = fit_to_budget(plan, 10, 10, "32-true", width_is_automatic=True, **kwargs)
    assert "width" not in roomy.model_args and roomy.epochs >= 15  # enough epochs fit: nothing changes


def test_a_plan_file_changing_size_or_channels_changes_the_network_built_for_them() -> None:
    """Found by an audit: image_size/channels from a plan file were not passed to model_args, so
    seed-cnn crashed mid-training (shape mismatch) and resnet18 kept the small-image stem."""
    source = make_lesion_source(50, 10, 10)
    config = TrainConfig(data="x", model="seed-cnn")
    plan = make_plan(config, source, {"image_size": [20, 20], "channels": 3})
    assert plan.image_size == [20, 20] and plan.model_args["image_size"] == 20 and plan.model_args["in_channels"] == 3
    assert make_plan(TrainConfig(data="x"), source, {"image_size": [72, 72]}).model_args["image_size"] == 72
    given = make_plan(config, source, {"image_size": [20, 20], "model_args": {"in_channels": 1, "image_size": 20}})
    assert given.model_args == {"in_channels": 1, "image_size": 20}  # model_args given too: taken as written
    with pytest.raises(ConfigError, match="channels=2"):
        make_plan(config, source, {"channels": 2})


@pytest.mark.parametrize("n", [1, 9])
def test_ci_resamples_below_10_refused_before_training(tmp_path: Path, n: int) -> None:
    """Found by the evaluation audit: ``ci_resamples: 1..9`` passed the config and failed in the
    bootstrap after the last epoch; 0 (no intervals) and 10+ stay valid."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"data: x\nci_resamples: {n}\n")
    with pytest.raises(ConfigError, match=f"ci_resamples {n} gives no usable interval"):
        load_config(cfg)
    assert load_config(cfg, ci_resamples=0).ci_resamples == 0
    assert load_config(cfg, ci_resamples=10).ci_resamples == 10
