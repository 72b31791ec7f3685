"""Figures of attribution maps: a 2D overlay PNG at the image's size, three slices of a volume
through the map's peak drawn at the voxel spacing, and a side-by-side comparison of methods. A 2D
image whose pixels are not square (PixelSpacing or ImagerPixelSpacing rows != columns: some CR,
ultrasound, secondary captures) is drawn at its pixel aspect too, as the volume slices are: the
overlay PNG stretched along the longer pixel side, the comparison's axes at that aspect.

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


MAX_PIXEL_ASPECT = 10.0
"""A 2D image is drawn to scale when its pixels' height/width lies within 1/10 .. 10; beyond it the
recorded spacing is taken for a header error (and would stretch the PNG tenfold): square pixels."""


def pixel_aspect(spacing: Sequence[float] | None) -> float | None:
    """Height / width of one pixel of a 2D image whose reader gave ``(dy, dx)`` mm (DICOM
    PixelSpacing order: rows, then columns); None when not two finite positive values within
    :data:`MAX_PIXEL_ASPECT` (then pixels are drawn square)."""
    if spacing is None or len(spacing) != 2:
        return None
    dy, dx = (float(v) for v in spacing)
    if not (math.isfinite(dy) and math.isfinite(dx) and dy > 0 and dx > 0):
        return None
    return dy / dx if 1 / MAX_PIXEL_ASPECT <= dy / dx <= MAX_PIXEL_ASPECT else None


def pixel_note(spacing: Sequence[float] | None) -> str:
    """What a 2D figure (and the JSON's ``figure_pixels``) says about how pixels are drawn."""
    aspect = pixel_aspect(spacing)
    if aspect is None:
        return "pixels drawn square: no pixel spacing recorded" if spacing is None else \
            f"pixels drawn square: the recorded spacing {list(spacing)} is not two positive sizes within " \
            f"{MAX_PIXEL_ASPECT:g}x of each other"
    return f"pixels drawn to scale: spacing {' x '.join(f'{float(v):.3g}' for v in spacing)} mm (y x x)"  # type: ignore[union-attr]


def drawn_shape(shape: Sequence[int], spacing: Sequence[float] | None) -> tuple[int, int]:
    """``(H, W)`` of a 2D overlay drawn at its pixel aspect: the side of the shorter pixel kept,
    the other stretched by the aspect (never shrunk, so no pixel is lost); ``shape`` unchanged for
    square pixels or no usable spacing."""
    h, w = int(shape[0]), int(shape[1])
    aspect = pixel_aspect(spacing)
    if aspect is None or aspect == 1.0:
        return h, w
    return (max(1, round(h * aspect)), w) if aspect > 1 else (h, max(1, round(w / aspect)))


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
                scale: int = 1, spacing: Sequence[float] | None = None, exclusive: bool = False) -> Path:
    """The map blended on the raw image, written as a PNG exactly the image's size (times an
    integer ``scale``); the map is resized to the image, the title goes in the PNG metadata. With a
    ``spacing`` ``(dy, dx)`` mm of non-square pixels, the PNG is the image drawn at that aspect
    (:func:`drawn_shape`: the longer pixel side stretched, bilinear), not squashed along it."""
    from matplotlib.image import imsave

    display = _as_display(image)
    shape = drawn_shape(display.shape[:2], spacing)
    if shape != display.shape[:2]:
        display = _resize_display(display, shape)
    rgb = _blend(display, _resize(attribution, shape))
    if scale > 1:
        rgb = rgb.repeat(scale, axis=0).repeat(scale, axis=1)
    buf = io.BytesIO()
    imsave(buf, rgb, format="png", metadata={"Title": title} if title else None)
    return write_bytes_atomic(path, buf.getvalue(), exclusive=exclusive)  # exclusive: never over a file there


def _resize_display(display: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A grey (H, W) or RGB (H, W, 3) display in [0, 1] resized to ``shape`` (bilinear, per channel)."""
    if display.ndim == 2:
        return np.clip(_resize(display, shape), 0.0, 1.0)
    return np.clip(np.stack([_resize(display[..., c], shape) for c in range(display.shape[-1])], -1), 0.0, 1.0)


def _save_figure(fig, path: str | Path, exclusive: bool = False) -> Path:  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return write_bytes_atomic(path, buf.getvalue(), exclusive=exclusive)


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
                       spacing: Sequence[float] | None = None, exclusive: bool = False) -> Path:
    """Axial, coronal and sagittal slices of the volume through the map's peak (:func:`image_peak`:
    the JSON's ``peak`` on the model grid, ``image_peak`` on the volume's), each drawn at the voxel
    ``spacing`` ((dz, dy, dx) mm, as the reader gives it) so that a CT of 0.7 x 0.7 x 5 mm voxels is
    not squashed five times along z; without one (arrays such as MedMNIST) voxels are drawn square.
    A line under the slices says which."""
    fig = volume_figure(volume, attribution, title=title, spacing=spacing)
    return _save_figure(fig, path, exclusive=True) if exclusive else _save_figure(fig, path)


def comparison_figure(image: np.ndarray, maps: dict[str, np.ndarray], *, title: str = "",
                      spacing: Sequence[float] | None = None):  # type: ignore[no-untyped-def]
    """The matplotlib ``Figure`` of :func:`comparison_png`: each panel's axes at the pixel aspect
    of ``spacing`` (``(dy, dx)`` mm; square without one), as a volume figure's slices are."""
    from matplotlib.figure import Figure

    display = _as_display(image)
    aspect = pixel_aspect(spacing) or 1.0
    fig = Figure(figsize=(2.6 * (len(maps) + 1), 2.9))
    ax = fig.add_subplot(1, len(maps) + 1, 1)
    ax.imshow(display, cmap="gray" if display.ndim == 2 else None, interpolation="nearest", aspect=aspect)
    ax.set_title("image")
    ax.axis("off")
    for i, (name, attribution) in enumerate(maps.items()):
        ax = fig.add_subplot(1, len(maps) + 1, i + 2)
        ax.imshow(_blend(display, _resize(attribution, display.shape[:2])), interpolation="nearest", aspect=aspect)
        ax.set_title(name)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    if spacing is not None:
        fig.supxlabel(pixel_note(spacing), fontsize=8)
    return fig


def comparison_png(image: np.ndarray, maps: dict[str, np.ndarray], path: str | Path, *, title: str = "",
                   spacing: Sequence[float] | None = None, exclusive: bool = False) -> Path:
    """The image next to one overlay per method, side by side, drawn at the pixel aspect of
    ``spacing`` (:func:`comparison_figure`)."""
    fig = comparison_figure(image, maps, title=title, spacing=spacing)
    return _save_figure(fig, path, exclusive=True) if exclusive else _save_figure(fig, path)
