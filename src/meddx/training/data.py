"""Tensors for training: deterministic preprocessing done once per split, augmentation per sample.

Decoding and resizing are the same every epoch, so each split is preprocessed once into a
float array held in memory (PneumoniaMNIST: 15 MB; 2,870 brain MRIs at 128 px: 190 MB);
only the random augmentation runs per sample and epoch.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from meddx.data.base import ImageSource
from meddx.transforms.image import ImagePreprocessor


class ArrayDataset(Dataset):
    """Preprocessed images ``(N, C, *size)`` with labels and an optional augmentation."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, augment: Callable[[Any], Any] | None = None) -> None:
        self.images = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
        self.labels = torch.from_numpy(np.asarray(labels))
        self.augment = augment

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[index]
        if self.augment is not None:
            x = torch.as_tensor(self.augment(x), dtype=torch.float32)
            if hasattr(x, "as_tensor"):  # MONAI MetaTensor -> plain tensor for collation
                x = x.as_tensor()
        return x, self.labels[index]


def preprocess_split(source: ImageSource, split: str, pre: ImagePreprocessor, progress: bool = True,
                     fit: bool = False, fixed_statistics: bool = False) -> np.ndarray:
    """Decode and preprocess every image of ``split`` into ``(N, C, *size)`` float32.

    With ``fit`` the preprocessor learns its statistics from this split on the way (use it for
    train only), so every image is decoded once; ``fixed_statistics`` (DP) fixes them instead.
    """
    data = source.split(split)
    n = len(data)
    indices = _progress(range(n), f"preprocessing {split}", progress and data.paths is not None)
    images = (source.get_image(split, i) for i in indices)
    if fit:
        return pre.fit_transform(images, fixed_statistics=fixed_statistics)
    out = np.empty((n, pre.channels, *pre.spatial_size), dtype=np.float32)
    for i, image in enumerate(images):
        out[i] = pre.transform(image)
    return out


def preprocess_planned_train(source: ImageSource, normalization: dict[str, Any], released: bool,
                             progress: bool = True) -> tuple[ImagePreprocessor, np.ndarray]:
    """The preprocessor a run fitted (its plan's ``normalization``) and the training array, for a
    resumed run or an extra process. ``released`` (``--dp``): the array is rebuilt as the release
    made it (fixed statistics, then the released ones in float64), not normalised in float32 with
    them, which differs in the last bit and would make a resumed run train on other inputs."""
    pre = ImagePreprocessor.from_dict(normalization)
    if not released:
        return pre, preprocess_split(source, "train", pre, progress)
    from meddx.privacy.statistics import normalise_released

    fixed = ImagePreprocessor.from_dict({**normalization, "mean": [0.5] * pre.channels, "std": [0.5] * pre.channels})
    return pre, normalise_released(preprocess_split(source, "train", fixed, progress), pre.mean_, pre.std_)


def fit_with_given_statistics(source: ImageSource, pre: ImagePreprocessor, given: dict[str, Any],
                              progress: bool = True) -> np.ndarray:
    """The training array normalised with a plan file's ``normalization`` ``mean``/``std`` (which
    replace the statistics of ``pre``), fitting only the intensity scaling on train.

    Normalised once, from the scaled images, by the same arithmetic as ``pre.transform``: a resumed
    run (which rebuilds the array with ``pre.transform``), val, test and prediction then see the
    same bits. (Re-normalising the array normalised with the fitted statistics differed in the
    last bit, so a resumed run trained on other inputs than the run it continued.) Only ``mean``
    and ``std`` are taken; size, channels and scaling follow the plan as fitted.
    """
    mean, std = given_statistics(given, pre.channels)
    normalize, pre.normalize = pre.normalize, False
    try:
        scaled = preprocess_split(source, "train", pre, progress, fit=True)
    finally:
        pre.normalize = normalize
    pre.mean_, pre.std_ = mean, std
    return pre.normalise(scaled) if normalize else scaled


def given_statistics(given: Any, channels: int) -> tuple[list[float], list[float]]:
    """``mean`` and ``std`` of a plan file's ``normalization``, checked: one finite number per
    channel, every std positive."""
    from meddx.core.errors import ConfigError

    try:
        mean, std = [float(v) for v in given["mean"]], [float(v) for v in given["std"]]
    except (KeyError, TypeError, ValueError):
        raise ConfigError("normalization in the --plan file: expected 'mean' and 'std', one number per channel; "
                          f"got {given!r}") from None
    if len(mean) != channels or len(std) != channels or not np.all(np.isfinite(mean + std)) or min(std) <= 0:
        raise ConfigError(f"normalization in the --plan file: expected {channels} finite mean(s) and positive "
                          f"std(s), one per channel; got mean {mean}, std {std} (drop 'normalization' from the "
                          "file to fit them on the training split)")
    return mean, std


def make_loader(dataset: Dataset, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """Single-process loader: on two cores, worker processes compete with the model's threads."""
    gen = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=0, generator=gen, drop_last=False)


def _progress(it: range, description: str, enabled: bool):  # type: ignore[no-untyped-def]
    if not enabled:
        return it
    from rich.progress import track

    return track(it, description=description, transient=True)
