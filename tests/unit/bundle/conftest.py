"""A small saved image bundle (seed CNN, 28 px, binary) for the tests that damage or edit one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import save_bundle
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": "t", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.3}, "tta": []}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
    return save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="")
