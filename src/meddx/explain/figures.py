"""Figures of attribution maps: a 2D overlay PNG at the image's size, three slices of a volume
through the map's peak drawn at the voxel spacing, and a side-by-side comparison of methods.

The peak is one point for the JSON and the figure (:func:`peak_index`): where |attribution| is
largest. Grad-CAM, Grad-CAM++ (ReLU'd) and saliency (absolute gradient) are non-negative, so that
is their maximum; integrated gradients and occlusion are signed, and their strongest evidence can
be against the class (negative): a signed maximum there pointed at whichever voxel was least
negative (any near-zero one when the whole map is negative) while the figure, whose colours scale
with |value|, was brightest elsewhere. Figures use matplotlib's object API (no pyplot state) and
are written atomically.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from meddx.core.errors import DataError
from meddx.core.files import write_bytes_atomic


def peak_index(attribution: np.ndarray) -> tuple[int, ...]:
    """Index of the largest |value| (the first in array order on ties; NaN counts as 0)."""
    a = np.nan_to_num(np.asarray(attribution, dtype=np.float64))
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(a))), a.shape))


def image_peak(attribution: np.ndarray, shape: Sequence[int]) -> tuple[int, ...]:
    """:func:`peak_index` of a map on the model's grid, as the index of the image voxel (grid
    ``shape``) at that model voxel's centre: where the overlay, resized to the image, puts it."""
    peak = peak_index(attribution)
    return tuple(min(n - 1, int((p + 0.5) * n / m)) for p, n, m in zip(peak, shape, np.shape(attribution)))


def usable_spacing(spacing: Sequence[float] | None) -> tuple[float, float, float] | None:
    """``(dz, dy, dx)`` mm when the reader gave three finite positive values, else ``None``."""
    if spacing is None or len(spacing) != 3:
        return None
    values = tuple(float(v) for v in spacing)
    return values if all(math.isfinite(v) and v > 0 for v in values) else None  # type: ignore[return-value]


def spacing_note(spacing: Sequence[float] | None) -> str:
    """What the volume figure says (and the JSON's ``figure_voxels``) about how voxels are drawn."""
    usable = usable_spacing(spacing)
    if usable is None:
        return "voxels drawn square: no voxel spacing recorded" if spacing is None else \
            f"voxels drawn square: the recorded spacing {list(spacing)} is not three positive sizes"
    return f"voxels drawn to scale: spacing {' x '.join(f'{v:.3g}' for v in usable)} mm (z x y x x)"


def _resize(attribution: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    a = np.asarray(attribution, dtype=np.float32)
    if a.shape == tuple(shape):
        return a
    mode = "bilinear" if len(shape) == 2 else "trilinear"
    t = torch.from_numpy(np.ascontiguousarray(a))[None, None]
    return F.interpolate(t, size=tuple(shape), mode=mode, align_corners=False)[0, 0].numpy()


def _as_display(image: np.ndarray, spatial_ndim: int = 2) -> np.ndarray:
    """A (C, *spatial) or (*spatial) array as floats in [0, 1]: grey (*spatial) or RGB (*spatial, 3)."""
    a = np.asarray(image, dtype=np.float32)
    if a.ndim == spatial_ndim + 1:
        a = np.moveaxis(a, 0, -1) if a.shape[0] == 3 else a.mean(0)
    elif a.ndim != spatial_ndim:
        raise DataError(f"image for the overlay: expected (C, *spatial) or (*spatial) with {spatial_ndim} spatial "
                        f"axes, found {a.shape}")
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def _blend(display: np.ndarray, attribution: np.ndarray, alpha: float = 0.5, scale: float | None = None,
           signed: bool | None = None) -> np.ndarray:
    """RGB: the image in grey, the map on top (inferno when non-negative, red/blue when signed),
    coloured relative to ``scale`` (default: this map's largest |value|). ``signed`` (default:
    whether this map has a negative value) is the whole map's when this is a slice of it, so that
    every slice of a signed map is drawn red/blue, not inferno where the slice has no negative."""
    import matplotlib

    base = display if display.ndim == 3 else np.repeat(display[..., None], 3, axis=-1)
    a = np.nan_to_num(attribution.astype(np.float32))
    signed = float(a.min()) < 0 if signed is None else signed
    scale = scale or float(np.abs(a).max()) or 1.0
    if signed:
        heat = matplotlib.colormaps["bwr"](np.clip(0.5 + 0.5 * a / scale, 0, 1))[..., :3]
    else:
        heat = matplotlib.colormaps["inferno"](np.clip(a / scale, 0, 1))[..., :3]
    weight = alpha * np.clip(np.abs(a) / scale, 0, 1)[..., None]
    return np.clip((1 - weight) * base + weight * heat, 0.0, 1.0)


def overlay_png(image: np.ndarray, attribution: np.ndarray, path: str | Path, *, title: str = "",
                scale: int = 1) -> Path:
    """The map blended on the raw image, written as a PNG exactly the image's size (times an
    integer ``scale``); the map is resized to the image, the title goes in the PNG metadata."""
    from matplotlib.image import imsave

    display = _as_display(image)
    rgb = _blend(display, _resize(attribution, display.shape[:2]))
    if scale > 1:
        rgb = rgb.repeat(scale, axis=0).repeat(scale, axis=1)
    buf = io.BytesIO()
    imsave(buf, rgb, format="png", metadata={"Title": title} if title else None)
    return write_bytes_atomic(path, buf.getvalue())


def _save_figure(fig, path: str | Path) -> Path:  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return write_bytes_atomic(path, buf.getvalue())


def volume_figure(volume: np.ndarray, attribution: np.ndarray, *, title: str = "",
                  spacing: Sequence[float] | None = None):  # type: ignore[no-untyped-def]
    """The matplotlib ``Figure`` of :func:`volume_overlay_png`."""
    from matplotlib.figure import Figure

    display = _as_display(volume, spatial_ndim=3)
    if display.ndim != 3:
        raise DataError(f"volume overlay: expected a single-channel-like volume, found {np.shape(volume)}")
    attr = _resize(attribution, display.shape)
    peak = image_peak(attribution, display.shape)
    dz, dy, dx = usable_spacing(spacing) or (1.0, 1.0, 1.0)
    # each view: its slice through the peak and the aspect (height / width of one pixel, in mm)
    views = [("axial", np.s_[peak[0], :, :], dy / dx), ("coronal", np.s_[:, peak[1], :], dz / dx),
             ("sagittal", np.s_[:, :, peak[2]], dz / dy)]
    scale = float(np.abs(np.nan_to_num(attr)).max()) or 1.0  # one colour scale for the three slices,
    signed = float(np.nan_to_num(attr).min()) < 0  # and one colour map: the whole map's
    fig = Figure(figsize=(9, 3.6), layout="constrained")  # titles kept clear of tall (to-scale) slices
    for i, (name, sl, aspect) in enumerate(views):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.imshow(_blend(display[sl], attr[sl], scale=scale, signed=signed), interpolation="nearest", aspect=aspect)
        ax.set_title(f"{name} {peak[i]}")
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.supxlabel(spacing_note(spacing), fontsize=8)
    return fig


def volume_overlay_png(volume: np.ndarray, attribution: np.ndarray, path: str | Path, *, title: str = "",
                       spacing: Sequence[float] | None = None) -> Path:
    """Axial, coronal and sagittal slices of the volume through the map's peak (:func:`image_peak`:
    the JSON's ``peak`` on the model grid, ``image_peak`` on the volume's), each drawn at the voxel
    ``spacing`` ((dz, dy, dx) mm, as the reader gives it) so that a CT of 0.7 x 0.7 x 5 mm voxels is
    not squashed five times along z; without one (arrays such as MedMNIST) voxels are drawn square.
    A line under the slices says which."""
    return _save_figure(volume_figure(volume, attribution, title=title, spacing=spacing), path)


def comparison_png(image: np.ndarray, maps: dict[str, np.ndarray], path: str | Path, *, title: str = "") -> Path:
    """The image next to one overlay per method, side by side."""
    from matplotlib.figure import Figure

    display = _as_display(image)
    fig = Figure(figsize=(2.6 * (len(maps) + 1), 2.9))
    ax = fig.add_subplot(1, len(maps) + 1, 1)
    ax.imshow(display, cmap="gray" if display.ndim == 2 else None, interpolation="nearest")
    ax.set_title("image")
    ax.axis("off")
    for i, (name, attribution) in enumerate(maps.items()):
        ax = fig.add_subplot(1, len(maps) + 1, i + 2)
        ax.imshow(_blend(display, _resize(attribution, display.shape[:2])), interpolation="nearest")
        ax.set_title(name)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return _save_figure(fig, path)
