"""Image models: the seed CNN layer by layer, the documented stems, and bad arguments as ModelError.

Found by an audit: arguments of the wrong type, as a YAML config or plan.json can hold them
(``model_args: {width: wide}``, ``image_size: "28"``, ``image_size: 28.0``), escaped as a bare
ValueError/TypeError traceback from ``meddx train`` (or, for the string, were read as the sizes
2 and 8) instead of the one-line error naming the argument.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from meddx.core.errors import ModelError
from meddx.models.registry import create_model


def test_seed_cnn_is_the_article_network_with_hand_counted_parameters() -> None:
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
    kinds = [type(m).__name__ for m in net.children()]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    # conv 1*32*9+32, conv 32*64*9+64, dense 64*5*5*2+2 (28 -> 26 -> 13 -> 11 -> 5)
    assert sum(p.numel() for p in net.parameters()) == 320 + 18_496 + 3_202
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 2)


def test_resnet_stems_follow_the_image_size() -> None:
    small = create_model("resnet18", image_size=28)
    standard = create_model("resnet18", image_size=224)
    assert small.conv1.kernel_size == (3, 3) and small.conv1.stride == (1, 1) and small.no_max_pool
    assert standard.conv1.kernel_size == (7, 7) and standard.conv1.stride == (2, 2) and not standard.no_max_pool
    assert create_model("resnet18-3d", image_size=28)(torch.zeros(1, 1, 28, 28, 28)).shape == (1, 2)


@pytest.mark.parametrize(
    ("name", "kwargs", "named"),
    [
        ("resnet18", {"width": "wide"}, "width"),
        ("seed-cnn", {"in_channels": "grey"}, "in_channels"),
        ("resnet18", {"num_classes": 2.5}, "num_classes"),
        ("seed-cnn", {"image_size": "28"}, "image_size"),
        ("seed-cnn", {"image_size": 28.0}, "image_size"),
        ("seed-cnn", {"image_size": [28, "x"]}, "image_size"),
        ("densenet121", {"dropout_prob": 2}, "dropout_prob"),
        ("densenet121", {"dropout_prob": "half"}, "dropout_prob"),
    ],
)
def test_arguments_of_the_wrong_type_are_model_errors_naming_them(name: str, kwargs: dict, named: str) -> None:
    with pytest.raises(ModelError, match=named):
        create_model(name, **kwargs)


def test_non_square_sizes_and_numpy_integers_are_accepted() -> None:
    import numpy as np

    net = create_model("seed-cnn", image_size=[32, 48], in_channels=np.int64(1))
    assert isinstance(net.fc, nn.Linear) and net(torch.zeros(2, 1, 32, 48)).shape == (2, 2)
