"""A bundle rebuilds the network it trained, whatever ``stem="auto"`` means later.

Found by reading ``config.json`` of a bundle trained with the default stem (``meddx train --model resnet18
--epochs 1`` on 28 px images): ``model.args`` was ``{"in_channels": 1, "spatial_dims": 2, "image_size": 28}``,
no stem, so loading resolved ``auto`` again with the rule of the day (``models.registry.auto_stem``); a
changed threshold rebuilt another stem and the weights no longer loaded. Now the bundle records the stem
``auto`` resolved to, and a bundle written before (``auto``) is rebuilt with the stem its weights hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import meddx.models.registry as registry
from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


def _bundle(path: Path, name: str, args: dict[str, Any], side: int, ensemble: int = 1) -> Path:
    """A binary bundle of ``name`` built with ``args`` as the rule resolves them now, saved with ``args`` as
    given (``stem`` absent: as bundles were written before the stem was recorded)."""
    from meddx.models.ensemble import build_network
    from meddx.tasks.ensemble import member_head

    pre = ImagePreprocessor((side, side), 1).fit([np.zeros((1, side, side), np.uint8)])
    spec = {"name": name, "args": args, "num_classes": 2, **({"ensemble": ensemble} if ensemble > 1 else {})}
    config = {"task": "binary", "label_names": ["a", "b"], "spatial_dims": 2, "preprocessing": pre.to_dict(),
              "model": spec}
    torch.manual_seed(0)
    net = build_network(spec, member_head("binary") if ensemble > 1 else None)
    return save_bundle(path, net=net, config=config, metrics={}, model_card="")


def _stem_kernel(net: torch.nn.Module) -> int:
    state = net.state_dict()
    key = next(k for k in state if k.endswith("conv1.weight") or k.endswith("features.conv0.weight"))
    return int(state[key].shape[-1])


@pytest.mark.parametrize(("name", "args", "side", "threshold", "kernel"), [
    ("resnet18", {"in_channels": 1, "image_size": 28, "width": 4}, 28, 16, 3),        # small, then "standard"
    ("resnet18", {"in_channels": 1, "image_size": 72, "width": 4}, 72, 128, 7),       # standard, then "small"
    ("densenet121", {"in_channels": 1, "image_size": 32}, 32, 16, 3),
])
def test_a_bundle_that_says_auto_loads_its_network_after_the_rule_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, args: dict[str, Any], side: int, threshold: int,
        kernel: int) -> None:
    path = _bundle(tmp_path / "b", name, args, side)
    monkeypatch.setattr(registry, "SMALL_STEM_MAX", threshold)  # the rule changes: auto now means the other stem
    assert _stem_kernel(create_model(name, **args)) != kernel
    predictor = load_bundle(path)
    assert _stem_kernel(predictor.net) == kernel


def test_an_ensemble_bundle_that_says_auto_loads_after_the_rule_changes(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _bundle(tmp_path / "b", "resnet18", {"in_channels": 1, "image_size": 28, "width": 4}, 28, ensemble=2)
    monkeypatch.setattr(registry, "SMALL_STEM_MAX", 16)
    assert _stem_kernel(load_bundle(path).net) == 3


def test_a_trained_bundle_records_the_stem_auto_resolved_to(tmp_path: Path) -> None:
    from meddx.data.synthetic import make_lesion_source
    from meddx.training.config import TrainConfig
    from meddx.training.finish import bundle_config
    from meddx.training.plan import make_plan

    for side, stem in ((28, "small"), (96, "standard")):
        source = make_lesion_source(4, 2, 2, size=side)
        plan = make_plan(TrainConfig(data="x", model="resnet18"), source)
        assert "stem" not in plan.model_args  # the plan keeps "auto": an edited image_size still re-decides it
        pre = ImagePreprocessor((side, side), 1).fit([np.zeros((1, side, side), np.uint8)])
        recorded = bundle_config(TrainConfig(data="x"), source, plan, pre, "b", tmp_path)["model"]["args"]
        assert recorded == {**plan.model_args, "stem": stem}


def test_only_an_auto_stem_of_a_stem_model_is_resolved() -> None:
    from meddx.models.registry import with_resolved_stem

    assert with_resolved_stem("resnet18", {"image_size": 28}) == {"image_size": 28, "stem": "small"}
    assert with_resolved_stem("resnet18-3d", {"image_size": [20, 80, 80], "stem": "auto"})["stem"] == "small"
    assert with_resolved_stem("densenet121", {})["stem"] == "small"  # the factories' 28 px
    assert with_resolved_stem("resnet50", {"image_size": 128})["stem"] == "standard"
    assert with_resolved_stem("resnet18", {"image_size": 28, "stem": "strided"})["stem"] == "strided"
    assert with_resolved_stem("seed-cnn", {"image_size": 28}) == {"image_size": 28}
    assert with_resolved_stem("resnet18", {"image_size": "big"}) == {"image_size": "big"}  # the factory names it
