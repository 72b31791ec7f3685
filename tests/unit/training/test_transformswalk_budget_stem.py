"""The budget planner keeps the stem when it shrinks an automatic input.

Found by a walk of the ResNet stems: ``stem="auto"`` is small (3x3/1, no pool) at <= 64 px and
standard (7x7/2 + pool) above. A 128 px source whose epochs did not fit ``--time-budget`` was shrunk
to <= 64 px, which switched ResNet-18 to the small stem: 4.4 GFLOP per 64 px image against 1.1 at
128 px, so the shrink meant to make training cheaper made each sample about 4x dearer.
"""

from __future__ import annotations

import inspect

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import meddx.training.speed as speed
from meddx.models import create_model, list_models, model_info
from meddx.training.plan import Plan


def _plan(side: int, model: str = "resnet18", **args: object) -> Plan:
    return Plan(model=model, model_args={"in_channels": 1, "spatial_dims": 2, "image_size": side, **args},
                image_size=[side, side], channels=1, batch_size=32, epochs=20, class_weights=None,
                early_stopping_patience=6, reasons={"image_size": "native", "batch_size": "set in config"})


def _fit(plan: Plan, monkeypatch: pytest.MonkeyPatch) -> Plan:
    monkeypatch.setattr(speed, "seconds_per_sample", lambda *a, **k: 0.05)  # far too slow: shrinks
    return speed.fit_to_budget(plan, 1000, 1.0, "32-true", build_task=lambda p: None,
                               augment_for=lambda p: None, size_is_automatic=True)


def _gflop(plan: Plan) -> float:
    net = create_model(plan.model, **plan.model_args).eval()
    with FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 1, *plan.image_size))
    return counter.get_total_flops() / 1e9


def test_shrunken_input_keeps_its_standard_stem_and_costs_less(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _plan(128)
    after = _fit(before, monkeypatch)
    assert max(after.image_size) <= 64  # shrunk into the range where "auto" means the small stem
    assert after.model_args["stem"] == "standard"
    assert "stem kept standard, as chosen for 128 px" in after.reasons["image_size"]
    assert create_model(after.model, **after.model_args).conv1.kernel_size == (7, 7)
    assert _gflop(after) < _gflop(before)


def test_a_chosen_stem_and_stemless_models_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _fit(_plan(128, stem="small"), monkeypatch).model_args["stem"] == "small"
    assert "stem" not in _fit(_plan(128, model="seed-cnn"), monkeypatch).model_args
    assert "stem" not in _fit(_plan(64), monkeypatch).model_args  # small at 64 px and below alike


def test_stem_models_are_the_image_classifiers_with_a_stem() -> None:
    from meddx.models.registry import MODELS, STEM_MODELS  # the planner's list, checked against the registry

    with_stem = [name for name in list_models() if model_info(name).get("input") == "image"
                 and "stem" in inspect.signature(MODELS._factories[name]).parameters]
    assert sorted(with_stem) == sorted(STEM_MODELS)
