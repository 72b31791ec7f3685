"""Tiny untrained bundles with the records a trained one has, for tests whose answer does not
depend on training (refusals, warnings, notes, what is read, files written): a 28 px seed-CNN
classifier and a 2D or 3D U-Net segmenter."""

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


def tiny_seg_bundle(path: Path, name: str, *, dims: int, size: list[int] | None, patch: list[int],
                    structure: str = "lesion", channels: list[int] | None = None, overlap: float = 0.5,
                    spacing: list[float] | None = None, orientation: str | None = None, seed: int = 0) -> Path:
    """An untrained U-Net segmentation bundle at ``path`` (weights seeded ``seed``), for tests whose
    answer does not depend on training (files written, geometry, timeouts): ``dims`` 2 or 3,
    inputs resized to ``size`` (``None``: resampled to ``spacing`` mm instead) and read in
    ``patch``-sized sliding windows; one ``structure`` beside the background."""
    import torch

    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model

    args: dict[str, Any] = {"in_channels": 1, "spatial_dims": dims, "image_size": list(patch)}
    if channels is not None:
        args["channels"] = list(channels)
    config: dict[str, Any] = {
        "name": name, "task": "segmentation", "label_names": ["background", structure],
        "model": {"name": "unet", "num_classes": 2, "args": args},
        "preprocessing": {"kind": "segmentation", "spatial_dims": dims, "channels": 1, "size": size,
                          "target_spacing": spacing, "normalization": "zscore", "ct_stats": None},
        "inference": {"patch_size": list(patch), "overlap": overlap, "mirror": False, "mirror_axes": []}}
    if orientation is not None:
        config["orientation"] = orientation
    torch.manual_seed(seed)
    net = create_model("unet", num_classes=2, **args).eval()
    return save_bundle(path, net=net, config=config, metrics={}, model_card=f"# {name}")
