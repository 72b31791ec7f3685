"""The planned input size reaches the network whole, and a size that cannot fit the source is refused.

Found by an audit: (1) ``image_size: [32, 48]`` gave the network ``image_size=32`` only, so
seed-cnn's dense layer was sized for 32x32 and training crashed with a shape mismatch; (2) a
side count other than the source's dimensions (``[32]`` or ``[32, 32, 32]`` for 2D images)
failed deep in preprocessing or the network; (3) a copy of a written plan.json with
``image_size`` or ``channels`` edited kept the copied ``model_args`` (which every copy holds), so
the network was built for the old input and crashed mid-training.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.core.errors import ConfigError
from meddx.data.synthetic import make_lesion_source
from meddx.models.registry import create_model
from meddx.training.config import TrainConfig
from meddx.training.plan import make_plan, read_plan


def test_a_non_square_size_is_given_to_the_network_whole() -> None:
    source = make_lesion_source(50, 10, 10)
    plan = make_plan(TrainConfig(data="x", model="seed-cnn", image_size=[32, 48]), source)
    assert plan.image_size == [32, 48] and plan.model_args["image_size"] == [32, 48]
    net = create_model(plan.model, num_classes=2, **plan.model_args)
    assert net(torch.zeros(2, 1, 32, 48)).shape == (2, 2)
    square = make_plan(TrainConfig(data="x", model="seed-cnn", image_size=[32, 32]), source)
    assert square.model_args["image_size"] == 32


@pytest.mark.parametrize("size", [[32], [32, 32, 32]])
def test_a_size_with_the_wrong_number_of_sides_is_refused(size: list[int]) -> None:
    source = make_lesion_source(50, 10, 10)
    with pytest.raises(ConfigError, match="2D images"):
        make_plan(TrainConfig(data="x", model="seed-cnn", image_size=size), source)
    with pytest.raises(ConfigError, match="plan file"):
        make_plan(TrainConfig(data="x", model="seed-cnn"), source, {"image_size": size})


def test_an_edited_copy_of_plan_json_builds_the_network_for_the_edited_input(tmp_path: Path) -> None:
    source = make_lesion_source(50, 10, 10)
    config = TrainConfig(data="x", model="seed-cnn")
    written = make_plan(config, source).model_dump()  # as plan.json holds it, model_args included
    written.update(image_size=[32, 32], channels=3)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(written))
    plan = make_plan(config, source, read_plan(path))
    assert plan.model_args["image_size"] == 32 and plan.model_args["in_channels"] == 3
    net = create_model(plan.model, num_classes=2, **plan.model_args)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 2)
    # other arguments given in the plan file stay as written
    kept = make_plan(TrainConfig(data="x", model="resnet18"), source,
                     {"image_size": [64, 64], "model_args": {"in_channels": 1, "image_size": 28, "stem": "standard"}})
    assert kept.model_args == {"in_channels": 1, "image_size": 64, "stem": "standard"}


def test_the_reason_says_when_a_non_cubic_volume_is_resized_to_a_cube() -> None:
    """A 28x20x16 volume is planned as 28^3 (stretched): the reason says so; a cube says nothing more."""
    import numpy as np

    from meddx.data.base import ImageSource, SplitData

    def source(shape: tuple[int, ...]) -> ImageSource:
        images = np.zeros((8, 1, *shape), np.uint8)
        labels = np.array([0, 1] * 4)
        split = SplitData(ids=[f"s{i}" for i in range(8)], labels=labels, images=images)
        return ImageSource("v", "mem", "binary", ["a", "b"], 3, {"train": split, "val": split})

    plan = make_plan(TrainConfig(data="x", epochs=1), source((28, 20, 16)))
    assert plan.image_size == [28, 28, 28]
    assert "resized to a cubic [28, 28, 28] (aspect ratio not kept)" in plan.reasons["image_size"]
    cube = make_plan(TrainConfig(data="x", epochs=1), source((16, 16, 16)))
    assert cube.image_size == [16, 16, 16] and "resized" not in cube.reasons["image_size"]
