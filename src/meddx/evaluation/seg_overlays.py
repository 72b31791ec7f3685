"""Overlay pictures of segmentations: the image in grey with truth and prediction outlines.

A reader of a segmentation report needs to see *where* a model fails, not only its Dice. Each
overlay shows the image (first channel, scaled between its 1st and 99th percentiles) with, for
every foreground class, the outline of the truth as a solid line in ``TRUTH_COLOURS[c]`` and
the outline of the prediction as a dotted line in ``PRED_COLOURS[c]`` (a different colour, so
the two stay apart where they coincide). A header strip holds the title and a legend.

2D images give one panel; 3D volumes give three orthogonal slices (along axes 0, 1 and 2)
through the centroid of the truth foreground (of the prediction when the truth is empty).

PIL and numpy only (scipy.ndimage for the outlines), no matplotlib: an overlay is a few
hundred kB at most and is written atomically.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.core.files import write_bytes_atomic

# Class c (1-based foreground label) uses entry (c - 1) % len(...).
TRUTH_COLOURS: tuple[tuple[int, int, int], ...] = (
    (0, 230, 64), (0, 200, 255), (255, 215, 0), (160, 255, 160), (0, 128, 255), (200, 255, 0))
PRED_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 64), (255, 0, 255), (255, 128, 0), (255, 120, 160), (190, 40, 255), (255, 60, 0))
_BACKGROUND = (24, 24, 24)
_TEXT = (235, 235, 235)
_GAP = 6


def _colour(table: tuple[tuple[int, int, int], ...], label: int) -> tuple[int, int, int]:
    return table[(label - 1) % len(table)]


def _grey(plane: np.ndarray) -> np.ndarray:
    """uint8 grey of a float plane, scaled between its 1st and 99th percentiles."""
    x = np.nan_to_num(plane.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = np.percentile(x, [1, 99])
    if hi <= lo:
        lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        return np.zeros(x.shape, dtype=np.uint8)
    return (np.clip((x - lo) / (hi - lo), 0, 1) * 255).round().astype(np.uint8)


def _nearest(labels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an (H, W) label plane to ``size`` = (rows, cols)."""
    rows = np.minimum(((np.arange(size[0]) + 0.5) * labels.shape[0] / size[0]).astype(int), labels.shape[0] - 1)
    cols = np.minimum(((np.arange(size[1]) + 0.5) * labels.shape[1] / size[1]).astype(int), labels.shape[1] - 1)
    return labels[np.ix_(rows, cols)]


def _display_size(shape: tuple[int, int], aspect: tuple[float, float], max_side: int) -> tuple[int, int]:
    """Panel (rows, cols): physical aspect kept, fitted to ``max_side``, small images enlarged."""
    h, w = shape[0] * aspect[0], shape[1] * aspect[1]
    scale = max_side / max(h, w)
    if scale > 1:  # enlarge small images by whole steps up to 256 px so outlines stay readable
        scale = max(1.0, min(math.floor(scale), math.ceil(256 / max(h, w))))
    return max(1, round(h * scale)), max(1, round(w * scale))


def _panel(grey: np.ndarray, truth: np.ndarray | None, pred: np.ndarray, n_classes: int,
           aspect: tuple[float, float], max_side: int) -> np.ndarray:
    """(rows, cols, 3) uint8 RGB panel of one 2D slice with the outlines drawn."""
    from PIL import Image
    from scipy import ndimage

    size = _display_size(grey.shape, aspect, max_side)
    rgb = np.array(Image.fromarray(grey).resize((size[1], size[0]), Image.Resampling.BILINEAR).convert("RGB"))
    width = 2 if max(size) >= 300 else 1
    rr, cc = np.indices(size)
    dots = ((rr // 3 + cc // 3) % 2) == 0
    for labels, table, pattern in ((truth, TRUTH_COLOURS, None), (pred, PRED_COLOURS, dots)):
        if labels is None:
            continue
        big = _nearest(labels, size)
        for c in range(1, n_classes):
            mask = big == c
            if not mask.any():
                continue
            edge = mask & ~ndimage.binary_erosion(mask, iterations=width, border_value=0)
            if pattern is not None:
                edge &= pattern
            rgb[edge] = _colour(table, c)
    return rgb


def _centre(truth: np.ndarray | None, pred: np.ndarray) -> list[int]:
    """Voxel index of the truth foreground centroid (prediction's if none, else the middle)."""
    for labels in (truth, pred):
        if labels is not None and (labels > 0).any():
            return [int(round(float(v))) for v in np.argwhere(labels > 0).mean(axis=0)]
    return [s // 2 for s in pred.shape]


def _header(width: int, title: str | None, label_names: Sequence[str]) -> np.ndarray:
    """Dark strip with the title and the legend (swatch per class for truth and prediction),
    the legend wrapped onto as many lines as the width needs."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    items = [(f"{name} {kind}", _colour(table, c)) for c, name in enumerate(label_names[1:], start=1)
             for kind, table in (("truth", TRUTH_COLOURS), ("pred (dotted)", PRED_COLOURS))]
    placed, x, line = [], 6, 0
    for text, colour in items:
        w = 13 + int(measure.textlength(text, font=font)) + 12
        if x > 6 and x + w > width:
            x, line = 6, line + 1
        placed.append((x, line, text, colour))
        x += w
    top = 16 if title else 0
    strip = Image.new("RGB", (width, 6 + top + 16 * (line + 1)), _BACKGROUND)
    draw = ImageDraw.Draw(strip)
    if title:
        draw.text((6, 3), title, fill=_TEXT, font=font)
    for x, line, text, colour in placed:
        y = 3 + top + 16 * line
        draw.rectangle([x, y + 3, x + 9, y + 12], fill=colour)
        draw.text((x + 13, y), text, fill=_TEXT, font=font)
    return np.array(strip)


def _as_label_map(x: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim == len(shape) + 1 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.shape != shape:
        raise DataError(f"overlay_png: {name} has shape {arr.shape}; expected the image's spatial shape {shape}")
    return np.rint(arr).astype(np.int64) if arr.dtype.kind == "f" else arr.astype(np.int64)


def overlay_png(path: Path, image: np.ndarray, truth: np.ndarray | None, pred: np.ndarray,
                label_names: list[str], *, title: str | None = None, max_side: int = 512,
                spacing: Sequence[float] | None = None) -> Path:
    """Write a PNG of ``image`` with the truth and prediction outlines of each foreground class.

    Args:
        path: PNG file to write (atomically; parent folders are created).
        image: (C, *spatial) array of any numeric dtype; the first channel is shown. A plain
            (H, W) array is taken as one channel.
        truth: integer label map of the spatial shape, or None (prediction only).
        pred: integer label map of the spatial shape.
        label_names: class names, background first (label ``i`` is ``label_names[i]``).
        title: text above the picture (e.g. case id and Dice).
        max_side: longest side of a panel in pixels (a 3D panel gets half of it); larger images
            are shrunk, small ones enlarged by whole steps.
        spacing: voxel size per spatial axis, to draw anisotropic voxels with the right aspect.

    Returns:
        ``path``.
    """
    from PIL import Image

    img = np.asarray(image)
    if img.ndim == 2:
        img = img[None]
    if img.ndim not in (3, 4):
        raise DataError(f"overlay_png: image must be (C, H, W) or (C, D, H, W); got shape {np.shape(image)}")
    shape = tuple(img.shape[1:])
    pred_map = _as_label_map(pred, "pred", shape)
    truth_map = None if truth is None else _as_label_map(truth, "truth", shape)
    sp = [1.0] * len(shape) if spacing is None else [float(s) for s in spacing]
    if len(sp) != len(shape) or not all(s > 0 for s in sp):
        raise DataError(f"overlay_png: spacing must be {len(shape)} positive numbers; got {spacing!r}")
    k = max(len(label_names), int(pred_map.max(initial=0)) + 1,
            0 if truth_map is None else int(truth_map.max(initial=0)) + 1)
    channel = img[0]
    if len(shape) == 2:
        panels = [_panel(_grey(channel), truth_map, pred_map, k, (sp[0], sp[1]), int(max_side))]
    else:
        centre = _centre(truth_map, pred_map)
        panels = []
        for axis in range(3):
            take = [slice(None)] * 3
            take[axis] = centre[axis]
            rest = [a for a in range(3) if a != axis]
            panels.append(_panel(_grey(channel[tuple(take)]), None if truth_map is None else truth_map[tuple(take)],
                                 pred_map[tuple(take)], k, (sp[rest[0]], sp[rest[1]]), max(64, int(max_side) // 2)))
    height = max(p.shape[0] for p in panels)
    width = sum(p.shape[1] for p in panels) + _GAP * (len(panels) - 1)
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    canvas[:] = _BACKGROUND
    x = 0
    for p in panels:
        canvas[: p.shape[0], x: x + p.shape[1]] = p
        x += p.shape[1] + _GAP
    names = list(label_names) + [f"class {i}" for i in range(len(label_names), k)]
    picture = np.concatenate([_header(width, title, names), canvas], axis=0)
    buf = io.BytesIO()
    # zlib's default level: 5x faster than optimize=True (0.05 s against 0.25 s for a 3D overlay,
    # one per evaluated case) for a file 17% larger (137 kB against 117 kB)
    Image.fromarray(picture).save(buf, format="PNG")
    return write_bytes_atomic(Path(path), buf.getvalue())


def _file_stem(case_id: str, used: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(case_id)).strip("._") or "case"
    candidate, i = stem, 1
    while candidate in used:
        i += 1
        candidate = f"{stem}_{i}"
    used.add(candidate)
    return candidate


def write_overlays(out_dir: Path, cases: list[tuple[str, np.ndarray, np.ndarray | None, np.ndarray]],
                   label_names: list[str], *, max_side: int = 512) -> list[Path]:
    """Write one ``<id>.png`` overlay per ``(id, image, truth, pred)`` case into ``out_dir``.

    Ids are made safe as file names (other characters become ``_``; repeats get ``_2``...).
    Returns the paths in the order of ``cases``.
    """
    out_dir = Path(out_dir)
    used: set[str] = set()
    paths = []
    for case_id, image, truth, pred in cases:
        paths.append(overlay_png(out_dir / f"{_file_stem(case_id, used)}.png", image, truth, pred, label_names,
                                 title=str(case_id), max_side=max_side))
    return paths
