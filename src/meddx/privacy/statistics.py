"""Intensity normalisation statistics of DP image training, released privately.

The per-channel mean and standard deviation of the training images would otherwise be published
as they are in the bundle. Under ``--dp`` they come from a Gaussian mechanism instead: every image
contributes its channel means of the [0, 1]-scaled pixels and of 4 (pixel - 0.5)^2 (each in
[0, 1], so one image moves the vector of sums by at most sqrt(2 C) in L2 norm), and
Gaussian noise of ``noise * sqrt(2 C)`` is added to each sum. The training's RDP accountant counts
it as one full-batch step of noise multiplier ``noise`` (``(noise, 1.0, 1)``), as it counts the
private vocabulary of a text run. The number of training images is treated as public, as DP-SGD's
sampling rate already does.

Our own code: Opacus releases gradients, not dataset statistics.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

NOISE = 10.0  # noise multiplier of the sums: on 4,000 images the mean is off by ~0.004, the std by ~0.005 (sd)
VARIANCE_FLOOR = 1e-4  # a noisy variance is never below this (std 0.01)


def private_image_statistics(pre: Any, x: np.ndarray, *, seed: int, noise: float = NOISE) -> tuple[np.ndarray, dict[str, Any]]:
    """Re-normalise ``x`` (the training split as ``pre`` preprocessed it with the fixed statistics
    mean = std = 0.5) with privately released statistics, set them on ``pre``, and return the new
    array with the mechanism's public parameters (for the plan and the privacy section)."""
    n, channels = x.shape[0], x.shape[1]
    scaled = np.clip(x.astype(np.float64) * 0.5 + 0.5, 0.0, 1.0).reshape(n, channels, -1)
    scale = noise * math.sqrt(2 * channels)
    rng = np.random.default_rng(seed)
    sums = scaled.mean(axis=2).sum(axis=0) + rng.normal(0.0, scale, channels)
    # squares about the public centre 0.5, times 4 to span [0, 1]: a quarter of the noise on the variance
    squares = (4 * (scaled - 0.5) ** 2).mean(axis=2).sum(axis=0) + rng.normal(0.0, scale, channels)
    mean = np.clip(sums / n, 0.0, 1.0)
    std = np.sqrt(np.maximum(squares / (4 * n) - (mean - 0.5) ** 2, VARIANCE_FLOOR))
    pre.mean_, pre.std_ = [float(m) for m in mean], [float(s) for s in std]
    return normalise_released(x, pre.mean_, pre.std_), {"noise": float(noise), "sensitivity": math.sqrt(2 * channels),
                 "released": "per-channel mean and standard deviation of the [0, 1]-scaled training pixels"}


def normalise_released(x: np.ndarray, mean: list[float], std: list[float]) -> np.ndarray:
    """``x`` (preprocessed with the fixed statistics mean = std = 0.5) normalised with the released
    per-channel ``mean`` and ``std``, in float64 then float32. One function for the release and for
    a resumed run, so both train on the same array, bit for bit."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    scaled = np.clip(x.astype(np.float64) * 0.5 + 0.5, 0.0, 1.0)
    centre, spread = (np.asarray(v, np.float64).reshape(shape) for v in (mean, std))
    return ((scaled - centre) / spread).astype(np.float32)
