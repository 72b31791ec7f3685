"""Tensors for segmentation training: cases preprocessed once, patches and augmentation per step.

Each case is decoded, resampled/resized and normalised once (``preprocess_cases``) and held in
memory on the network grid; the training dataset draws one patch per case and epoch, centred
on foreground with probability ``foreground_oversample`` (nnU-Net: 1/3; without it small
structures are rarely seen), then applies the augmentation preset (MONAI dictionary
transforms, image and mask moved together). A case smaller than the patch lands at a random
place inside it, as in nnU-Net's loader: always centring it would let the network learn
absolute positions from the padding and see every case at one offset only.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

AUGMENT_PRESETS = ("none", "light", "strong")


def preprocess_cases(source: Any, split: str, pre: Any, progress: bool = False) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Images ``(C, *grid)`` float32 and masks ``(*grid)`` uint8 of every case of ``split``."""
    data = source.split(split)
    images, masks = [], []
    indices: Any = range(len(data))
    if progress:
        from rich.progress import track

        indices = track(indices, description=f"preprocessing {split}", transient=True)
    for i in indices:
        case = source.load_case(split, i)
        images.append(pre.image(case.image, case.spacing))
        masks.append(pre.mask(case.mask, case.spacing, source.num_classes).astype(np.uint8))
    return images, masks


def build_seg_augmentation(preset: str, spatial_dims: int, seed: int = 0, mirror_axes: list[int] | None = None) -> Any:
    """MONAI dictionary transforms (keys ``image``, ``label``) for ``preset``, run on plain tensors
    (``PlainTensors``: no metadata tracking); ``None`` for none.

    Spatial: mirroring on ``mirror_axes`` (default every axis) and a random rotation/scaling (nnU-Net's defaults, milder
    for ``light``); intensity: scaling, gamma and Gaussian noise on the image only.
    """
    if preset not in AUGMENT_PRESETS:
        from meddx.core.errors import ConfigError

        raise ConfigError(f"augment must be one of {', '.join(AUGMENT_PRESETS)}; got {preset!r}")
    if preset == "none":
        return None
    from monai.transforms import (
        Compose, RandAdjustContrastd, RandAffined, RandFlipd, RandGaussianNoised, RandScaleIntensityd,
    )

    strong = preset == "strong"
    angle = (0.52 if strong else 0.26)  # radians: 30 / 15 degrees
    rotate = (angle,) if spatial_dims == 2 else (angle, angle, angle)
    keys = ["image", "label"]
    axes = range(spatial_dims) if mirror_axes is None else mirror_axes
    transforms = [RandFlipd(keys, prob=0.5, spatial_axis=axis) for axis in axes]
    transforms += [
        RandAffined(keys, prob=0.4 if strong else 0.25, rotate_range=rotate, scale_range=(0.2 if strong else 0.1,) * spatial_dims,
                    mode=("bilinear", "nearest"), padding_mode="zeros"),
        RandScaleIntensityd("image", factors=0.15, prob=0.3),
        RandAdjustContrastd("image", gamma=(0.7, 1.5), prob=0.3 if strong else 0.15),
        RandGaussianNoised("image", prob=0.15, std=0.1),
    ]
    from meddx.transforms.plain import PlainTensors

    return PlainTensors(Compose(transforms)).set_random_state(seed=seed)


class PatchDataset(Dataset):
    """Random patches (foreground-centred with probability ``foreground_oversample``): one per
    case, or ``length`` per epoch cycling over the cases when there are few of them."""

    def __init__(self, images: list[np.ndarray], masks: list[np.ndarray], patch_size: Sequence[int],
                 foreground_oversample: float = 0.33, augment: Any = None, seed: int = 0,
                 length: int | None = None) -> None:
        self.images = images
        self.length = max(len(images), int(length or 0))
        self.masks = masks
        self.patch = [int(p) for p in patch_size]
        self.fg = float(foreground_oversample)
        self.augment = augment
        self.rng = np.random.default_rng(seed)
        # Foreground voxel indices per case, computed once (nnU-Net caches these too).
        self._fg_index = [np.flatnonzero(m) for m in masks]

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        index = index % len(self.images)
        image, mask = self.images[index], self.masks[index]
        original = mask.shape
        image, mask, offset = _pad_to(image, mask, self.patch)
        start = self._start(index, original, mask.shape, offset)
        region = tuple(slice(s, s + p) for s, p in zip(start, self.patch))
        item = {"image": torch.from_numpy(np.ascontiguousarray(image[(slice(None), *region)])),
                "label": torch.from_numpy(np.ascontiguousarray(mask[region], dtype=np.int64))[None]}
        if self.augment is not None:
            item = self.augment(item)
            item = {k: (v.as_tensor() if hasattr(v, "as_tensor") else torch.as_tensor(v)) for k, v in item.items()}
            item["label"] = item["label"].round().long()
            item["image"] = item["image"].float()
        return item

    def _start(self, index: int, original: Sequence[int], shape: Sequence[int], offset: Sequence[int]) -> list[int]:
        free = [s - p for s, p in zip(shape, self.patch)]
        fg = self._fg_index[index]
        if fg.size and self.rng.random() < self.fg:
            centre = np.unravel_index(fg[self.rng.integers(fg.size)], original)
            return [int(np.clip(c + o - p // 2, 0, f)) for c, o, p, f in zip(centre, offset, self.patch, free)]
        return [int(self.rng.integers(0, f + 1)) for f in free]


class CaseDataset(Dataset):
    """Whole preprocessed cases (for validation by sliding window)."""

    def __init__(self, images: list[np.ndarray], masks: list[np.ndarray]) -> None:
        self.images = images
        self.masks = masks

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"image": torch.from_numpy(self.images[index]),
                "label": torch.from_numpy(self.masks[index].astype(np.int64))[None]}


def _pad_to(image: np.ndarray, mask: np.ndarray, patch: Sequence[int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Zero-pad (after normalisation: the mean intensity) each axis shorter than the patch by its
    shortfall on both sides, so a patch drawn anywhere in the padded case holds the whole case
    at any offset; also returns the offset of the original case inside the padded one."""
    short = [max(0, p - s) for s, p in zip(mask.shape, patch)]
    if not any(short):
        return image, mask, [0] * len(short)
    pads = [(d, d) for d in short]
    return np.pad(image, [(0, 0), *pads]), np.pad(mask, pads), list(short)
