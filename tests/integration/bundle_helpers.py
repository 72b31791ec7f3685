"""A tiny untrained 28 px seed-CNN image bundle with the records a trained one has, for CLI tests
whose answer does not depend on training (refusals, warnings, notes, what is read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def tiny_image_bundle(path: Path, *, label_names: list[str], decision: dict[str, Any],
                      training: dict[str, Any]) -> Path:
    """A binary seed-CNN bundle at ``path`` (weights seeded 0) deciding by ``decision``, its
    ``training`` section as given."""
    import torch

    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((28, 28), 1).fit([rng.integers(0, 256, (1, 28, 28), dtype=np.uint8) for _ in range(4)])
    config = {"name": "cxr", "task": "binary", "label_names": list(label_names), "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "tta": [],
              "decision": {"class_thresholds": None, "chosen_on": "val", **decision},
              "calibration": {"temperature": 1.0, "fitted_on": "val", "method": "temperature"},
              "training": training}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
    return save_bundle(path, net=net, config=config, metrics={}, model_card="")
