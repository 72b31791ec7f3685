"""Is an image laid out like the training images? The layout statistic of the intensity check.

An inverted radiograph (a MONOCHROME1 export read as MONOCHROME2, a negative) keeps the contrast,
brightness range and clipping of the training images, so the three intensity statistics of
``bundle.typicality_inputs`` cannot see it, and the feature check flagged only 89% of inverted
PneumoniaMNIST test images (docs/typicality.md). Its *layout* is what changed: where the image
is dark and where bright. Training images of one modality and view share a layout (the lungs dark,
the mediastinum and the edges bright), so each is correlated with their mean image; an inverted
one is anti-correlated with it, another organ or view less correlated.

The statistic: the Pearson correlation of an input's thumbnail (the preprocessed tensor averaged
over its channels, then averaged over an ``8 x 8`` grid of cells in 2D, ``4 x 4 x 4`` in 3D: 64
cells either way) with the mean of the training images' thumbnails. Pearson's correlation is
invariant to a change of brightness and contrast, so it measures layout alone, not what the other
three statistics measure. Channels are averaged so that the appended width is the same for every
bundle (64), and because colour is not layout: a colour bundle's channels share one layout.

Hand-written rather than scikit-learn or MONAI: it is one adaptive average pooling (torch) and a
dot product, and the fitted mean is 64 numbers that ``typicality.json`` stores as plain JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NAME = "layout"
GRID_2D = (8, 8)
GRID_3D = (4, 4, 4)
CELLS = 64  # 8 * 8 = 4 * 4 * 4: one width for 2D and 3D bundles
WORDS = "layout (correlation of its thumbnail with the training images' mean thumbnail: inverted, or another view)"
# A thumbnail flatter than this (standard deviation over its cells, in the preprocessed units, where
# the training images have a standard deviation of about 1) has no layout to correlate: correlation 0.
FLAT = 1e-6


def grid_of(spatial_dims: int) -> tuple[int, ...] | None:
    """The thumbnail grid of a ``spatial_dims``-D input; ``None`` for other inputs (no layout)."""
    return {2: GRID_2D, 3: GRID_3D}.get(spatial_dims)


def thumbnails(x: Any) -> Any:
    """``(N, 64)`` float64 tensor: each preprocessed input of ``x`` ``(N, C, *spatial)`` averaged
    over its channels and over the cells of :func:`grid_of` (zeros for an input that is neither 2D
    nor 3D, whose layout is then never scored)."""
    import torch
    from torch.nn import functional

    x = x.detach().double()
    grid = grid_of(x.ndim - 2)
    if grid is None:
        return torch.zeros(len(x), CELLS, dtype=torch.float64)
    pool = functional.adaptive_avg_pool2d if len(grid) == 2 else functional.adaptive_avg_pool3d
    return pool(x.mean(dim=1, keepdim=True), grid).reshape(len(x), CELLS).cpu()


def correlation(thumbs: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row of ``thumbs`` ``(N, 64)`` with ``mean`` ``(64,)``; 0 for a
    flat thumbnail or a flat mean (no layout to compare: a constant image, flagged by its contrast)."""
    t = np.asarray(thumbs, dtype=np.float64).reshape(-1, CELLS)
    t = t - t.mean(axis=1, keepdims=True)
    m = np.asarray(mean, dtype=np.float64) - float(np.mean(mean))
    norms = np.linalg.norm(t, axis=1) * np.linalg.norm(m)
    flat = (t.std(axis=1) < FLAT) | (m.std() < FLAT)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (t @ m) / norms
    return np.where(flat | ~np.isfinite(r), 0.0, np.clip(r, -1.0, 1.0))


def fit_mean(train_thumbs: np.ndarray) -> np.ndarray:
    """The training images' mean thumbnail ``(64,)``, the reference each input is correlated with."""
    return np.asarray(train_thumbs, dtype=np.float64).reshape(-1, CELLS).mean(axis=0)


def mean_from_json(values: Any) -> np.ndarray:
    """A recorded mean thumbnail, or a ``ValueError`` unless it is 64 finite numbers."""
    mean = np.asarray(values, dtype=np.float64)
    if mean.shape != (CELLS,) or not np.all(np.isfinite(mean)):
        found = f"shape {mean.shape}" if mean.shape != (CELLS,) else f"{int(np.sum(~np.isfinite(mean)))} not finite"
        raise ValueError(f"layout_mean: expected {CELLS} finite numbers, found {found}")
    return mean
