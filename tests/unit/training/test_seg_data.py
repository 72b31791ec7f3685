"""Patch sampling and augmentation for segmentation training."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.training.seg_data import PatchDataset, build_seg_augmentation


def _case(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros(shape, dtype=np.uint8)
    mask[tuple(slice(s - 4, s - 1) for s in shape)] = 1  # a small structure in a corner
    return np.random.default_rng(0).normal(size=(1, *shape)).astype(np.float32), mask


def test_foreground_oversampling_finds_small_structures() -> None:
    image, mask = _case((64, 64))
    always = PatchDataset([image], [mask], [16, 16], foreground_oversample=1.0, seed=0, length=50)
    never = PatchDataset([image], [mask], [16, 16], foreground_oversample=0.0, seed=0, length=50)
    hit_always = np.mean([always[i]["label"].sum().item() > 0 for i in range(50)])
    hit_never = np.mean([never[i]["label"].sum().item() > 0 for i in range(50)])
    assert hit_always == 1.0 and hit_never < 0.5
    item = always[0]
    assert item["image"].shape == (1, 16, 16) and item["label"].shape == (1, 16, 16)


def test_small_cases_are_padded_to_the_patch_and_cycled() -> None:
    image, mask = _case((10, 12, 9))
    ds = PatchDataset([image, image], [mask, mask], [16, 16, 16], foreground_oversample=1.0, length=7)
    assert len(ds) == 7
    item = ds[5]
    assert item["image"].shape == (1, 16, 16, 16)
    assert item["label"].sum().item() == mask.sum()  # the whole case (and its structure) is inside the patch


@pytest.mark.parametrize("oversample", [0.0, 1.0])
def test_small_cases_land_anywhere_inside_the_patch(oversample: float) -> None:
    image, mask = _case((10, 12, 9))
    image = image + 10.0  # the case is bright, the padding is 0
    ds = PatchDataset([image], [mask], [16, 16, 16], foreground_oversample=oversample, seed=1, length=60)
    corners = set()
    for i in range(60):
        item = ds[i]
        assert item["label"].sum().item() == mask.sum()  # never cut
        inside = np.argwhere(item["image"][0].numpy() > 5.0)
        low, high = inside.min(0), inside.max(0)
        assert (high - low + 1).tolist() == [10, 12, 9]
        corners.add(tuple(low.tolist()))
    # offsets 0..6, 0..4, 0..7 per axis: the case is not always centred (it was, at (3, 2, 3));
    # centring on the small corner structure leaves fewer places, but still more than one
    assert len(corners) > (20 if oversample == 0.0 else 3)
    if oversample == 0.0:
        assert {c[0] for c in corners} >= {0, 6}


def test_augmentation_moves_image_and_mask_together() -> None:
    image = np.zeros((1, 32, 32), np.float32)
    mask = np.zeros((32, 32), np.uint8)
    image[0, 4:12, 4:20] = 5.0
    mask[4:12, 4:20] = 1
    ds = PatchDataset([image], [mask], [32, 32], augment=build_seg_augmentation("strong", 2, seed=3), length=20)
    for i in range(20):
        item = ds[i]
        bright = item["image"][0] > 2.0
        label = item["label"][0] == 1
        assert item["label"].dtype.is_floating_point is False
        assert (bright == label).float().mean() > 0.95
    with pytest.raises(ConfigError, match="augment"):
        build_seg_augmentation("heavy", 2)
