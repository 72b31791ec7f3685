"""Is a volume at the spacing the bundle was trained on? 3D classification resizes each voxel grid
to the model's input without resampling (``transforms.image``), so a volume at another spacing
shows the network its anatomy at another scale; ``meddx predict`` says so instead of predicting
quietly. The bundle records the training volumes' spacing (``config.json``
``training.spacing``: median, min, max in mm, written by ``training.finish``)."""

from __future__ import annotations

from typing import Any, Sequence

# Relative difference tolerated beyond the training range: scanners round spacings (0.9766 vs
# 0.98 mm), and a few percent of scale is within what augmentation-free training still meets.
SPACING_TOLERANCE = 0.1


def spacing_warning(where: str, spacing: Sequence[float] | None, training: dict[str, Any],
                    tolerance: float = SPACING_TOLERANCE) -> str | None:
    """A one-line warning when ``spacing`` (a file's, ``(dz, dy, dx)`` mm) lies outside the
    training volumes' ``min``..``max`` by more than ``tolerance`` (relative) on an axis, or when
    the file records no spacing at all; ``None`` when it matches."""
    lo, hi, median = training.get("min"), training.get("max"), training.get("median")
    if not lo or not hi or not median:
        return None
    spread = f", range {_mm(lo)} to {_mm(hi)}" if list(lo) != list(hi) else ""
    trained = f"{_mm(median)} mm (median of the training volumes{spread})"
    if spacing is None:
        return f"{where}: records no voxel spacing; the bundle was trained at {trained}: check it is at that spacing"
    if len(spacing) != len(median):
        return None
    off = [i for i, v in enumerate(spacing) if v < lo[i] * (1 - tolerance) or v > hi[i] * (1 + tolerance)]
    if not off:
        return None
    return (f"{where}: voxel spacing {_mm(spacing)} mm differs from the training spacing {trained} by more than "
            f"{tolerance:.0%} on axis {', '.join('zyx'[i] for i in off)}; classification resizes the volume to the "
            "model's input without resampling, so the anatomy is seen at another scale: resample it to the training "
            "spacing (e.g. MONAI Spacing) before predicting")


def _mm(values: Sequence[float]) -> str:
    return "x".join(f"{float(v):.3g}" for v in values)
