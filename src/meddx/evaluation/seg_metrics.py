"""Segmentation metrics per case, and their summary over cases with bootstrap intervals.

- ``case_metrics``: Dice, IoU, HD95, ASD and structure sizes of each foreground class of one
  case (label maps in, plain floats out).
- ``summarize_cases``: mean, median, SD and a BCa bootstrap interval of each metric per class
  and of the per-case mean over foreground classes, clustered by patient when ids are given.
- ``case_table``, ``write_case_table``, ``worst_and_best``: per-case listing for audit, and the
  cases to show as overlays.

The overlap and surface distances are MONAI's functional metrics (``compute_dice``,
``compute_iou``, ``compute_hausdorff_distance``, ``compute_average_surface_distance``), so the
numbers agree with what MONAI users report; this module adds the conventions for empty
structures, units, and the summary.

Conventions for a class absent from the truth, the prediction or both (MONAI would give NaN or
inf, which no mean survives):

- both empty: dice 1, iou 1 (the model correctly found nothing), hd95 and asd None;
- exactly one empty: dice 0, iou 0, hd95 and asd None (a distance to nothing is undefined);
- no value is ever inf or NaN: undefined is None, and summaries count defined values in
  ``n_valid``.

Units: hd95 and asd in mm when ``spacing`` is given, else in voxels (pixels in 2D);
``volume_true``/``volume_pred`` in mL (3D with spacing), mm^2 (2D with spacing), else a voxel
count. ``metric_units`` names them; ``summarize_cases`` records them under ``"unit"``.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.core.files import write_text_atomic

CASE_METRICS: tuple[str, ...] = ("dice", "iou", "hd95", "asd", "volume_true", "volume_pred")
SUMMARY_METRICS: tuple[str, ...] = ("dice", "iou", "hd95", "asd")
LOWER_IS_BETTER: frozenset[str] = frozenset({"hd95", "asd"})


def metric_units(ndim: int, spacing: tuple[float, ...] | None) -> dict[str, str]:
    """Units of the ``case_metrics`` values for ``ndim``-dimensional images with/without spacing."""
    distance = "voxels" if spacing is None else "mm"
    volume = "voxels" if spacing is None else ("mL" if ndim == 3 else "mm^2" if ndim == 2 else "mm^n")
    return {"dice": "", "iou": "", "hd95": distance, "asd": distance, "volume": volume}


def _spacing(spacing: float | Sequence[float] | None, ndim: int) -> tuple[float, ...] | None:
    if spacing is None:
        return None
    values = [float(spacing)] * ndim if np.isscalar(spacing) else [float(s) for s in spacing]  # type: ignore[arg-type]
    if len(values) != ndim or not all(math.isfinite(s) and s > 0 for s in values):
        raise DataError(f"spacing must be {ndim} positive numbers (mm per voxel along each spatial axis); "
                        f"got {spacing!r}")
    return tuple(values)


def _label_array(x: Any, name: str, n_classes: int) -> np.ndarray:
    arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise DataError(f"case_metrics: {name} must be an integer label map (argmax of the probabilities), "
                            f"not probabilities; got non-integer float values")
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise DataError(f"case_metrics: {name} must be an integer label map; got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise DataError(f"case_metrics: {name} has labels in [{arr.min()}, {arr.max()}] but label_names lists "
                        f"{n_classes} classes (labels 0..{n_classes - 1})")
    return arr


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def case_metrics(pred: np.ndarray, truth: np.ndarray, label_names: list[str],
                 spacing: tuple[float, ...] | None = None) -> dict[str, dict[str, float | None]]:
    """Per-class metrics of one predicted label map against the truth.

    Args:
        pred, truth: integer label maps of the same spatial shape (2D or 3D, no channel axis);
            label ``i`` is ``label_names[i]``, 0 the background.
        label_names: class names, background first.
        spacing: voxel size in mm per spatial axis (a single number for isotropic); distances
            are then in mm and sizes in mL (3D) or mm^2 (2D), otherwise in voxels.

    Returns:
        ``{class_name: {"dice", "iou", "hd95", "asd", "volume_true", "volume_pred"}}`` for each
        foreground class; see the module docstring for empty structures and units. ``asd`` is
        the symmetric average surface distance (mean over both surfaces' points).
    """
    import torch
    from monai.metrics import (
        compute_average_surface_distance, compute_dice, compute_hausdorff_distance, compute_iou,
    )

    if len(label_names) < 2:
        raise DataError(f"case_metrics: label_names must list the background and >= 1 structure; got {label_names}")
    k = len(label_names)
    p = _label_array(pred, "pred", k)
    t = _label_array(truth, "truth", k)
    if p.shape != t.shape:
        raise DataError(f"case_metrics: pred has shape {p.shape} but truth has shape {t.shape}; "
                        "expected the same spatial shape (resample the prediction to the image grid)")
    if p.ndim not in (2, 3):
        raise DataError(f"case_metrics: expected a 2D or 3D label map without a channel axis; got shape {p.shape}")
    sp = _spacing(spacing, p.ndim)
    unit_size = 1.0 if sp is None else float(np.prod(sp)) / (1000.0 if p.ndim == 3 else 1.0)

    distance_spacing = list(sp) if sp else None
    out: dict[str, dict[str, float | None]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MONAI warns on empty classes (handled here) and on deprecations
        for c in range(1, k):
            # One class at a time as (1, 1, *spatial) bool tensors: memory stays at 2 bytes per
            # voxel however many classes (a float one-hot of a CT volume would take gigabytes).
            yp = torch.from_numpy(p == c)[None, None]
            yt = torch.from_numpy(t == c)[None, None]
            nt, np_ = float(yt.sum()), float(yp.sum())
            row: dict[str, float | None] = {"dice": None, "iou": None, "hd95": None, "asd": None,
                                            "volume_true": nt * unit_size, "volume_pred": np_ * unit_size}
            if nt == 0 or np_ == 0:
                row["dice"] = row["iou"] = 1.0 if nt == 0 and np_ == 0 else 0.0
            else:
                row["dice"] = float(compute_dice(yp, yt, include_background=True, ignore_empty=False)[0, 0])
                row["iou"] = float(compute_iou(yp, yt, include_background=True, ignore_empty=False)[0, 0])
                row["hd95"] = _finite(float(compute_hausdorff_distance(
                    yp, yt, include_background=True, percentile=95, spacing=distance_spacing)[0, 0]))
                row["asd"] = _finite(float(compute_average_surface_distance(
                    yp, yt, include_background=True, symmetric=True, spacing=distance_spacing)[0, 0]))
            out[label_names[c]] = row
    return out


# --- summary over cases ----------------------------------------------------------------------


def _matrix(rows: list[dict], label_names: list[str], metrics: Sequence[str]) -> np.ndarray:
    """(N cases, C foreground classes, Q metrics) float array, NaN where a value is None/missing."""
    classes = label_names[1:]
    out = np.full((len(rows), len(classes), len(metrics)), np.nan)
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("metrics"), dict):
            raise DataError(f"case row {i}: expected {{'id': ..., 'metrics': case_metrics(...)}}; got {row!r:.100}")
        for c, name in enumerate(classes):
            values = row["metrics"].get(name) or {}
            for q, metric in enumerate(metrics):
                v = values.get(metric)
                out[i, c, q] = math.nan if v is None else float(v)
    return out


def case_values(rows: list[dict], label_names: list[str], metric: str = "dice") -> np.ndarray:
    """(N cases, C foreground classes) values of one metric from ``case_metrics`` rows, NaN where undefined."""
    return _matrix(rows, label_names, [metric])[:, :, 0]


def _mean_foreground(cube: np.ndarray) -> np.ndarray:
    """(N, Q) nanmean over the class axis of an (N, C, Q) array (NaN where all are NaN)."""
    valid = ~np.isnan(cube)
    count = valid.sum(axis=1)
    total = np.where(valid, cube, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def _describe(values: np.ndarray) -> dict[str, Any]:
    v = values[~np.isnan(values)]
    return {"mean": float(v.mean()) if len(v) else None,
            "median": float(np.median(v)) if len(v) else None,
            "std": float(v.std(ddof=1)) if len(v) >= 2 else None,
            "ci": None, "n_valid": int(len(v))}


def summarize_cases(rows: list[dict], label_names: list[str], *, groups: np.ndarray | None = None,
                    n_resamples: int = 1000, level: float = 0.95, seed: int = 0, distance_unit: str = "mm",
                    volume_unit: str | None = None) -> dict[str, Any]:
    """Mean, median, SD and bootstrap interval of each metric over cases.

    Args:
        rows: ``[{"id": case_id, "metrics": case_metrics(...)}, ...]``.
        label_names: class names, background first (as given to ``case_metrics``).
        groups: patient id per row: the bootstrap then resamples whole patients, because cases
            of one patient are not independent.
        n_resamples: bootstrap resamples; 0 gives no intervals (``"ci": None``).
        level: confidence level of the intervals.
        seed: bootstrap seed (deterministic results).
        distance_unit: unit of hd95/asd as computed ("mm" with spacing, else "voxels").
        volume_unit: unit of volume_true/volume_pred ("mL", "mm^2" or "voxels"; see
            ``metric_units``); recorded only.

    Returns:
        ``{"n", "unit", "classes": {class: {metric: {"mean", "median", "std", "ci": [lo, hi]
        or None, "n_valid"}}}, "mean_foreground": {metric: {...}}, "ci_method", "resamples",
        "level", "clustered"}``. ``mean_foreground`` summarises, per case, the mean of the
        metric over the foreground classes where it is defined. Means skip undefined (None)
        values; ``n_valid`` counts the defined ones. Intervals are BCa from
        ``bootstrap_ci``, percentile where BCa is undefined.
    """
    from meddx.evaluation.bootstrap import bootstrap_ci

    if len(label_names) < 2:
        raise DataError(f"summarize_cases: label_names must list the background and >= 1 structure; got {label_names}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 0 or 0 < n_resamples < 10:
        raise ConfigError(f"n_resamples must be 0 (no intervals) or an integer >= 10; got {n_resamples!r}")
    metrics = list(CASE_METRICS)
    classes = label_names[1:]
    n = len(rows)
    cube = _matrix(rows, label_names, metrics)  # (N, C, Q)
    fg_idx = [metrics.index(m) for m in SUMMARY_METRICS]
    fg = _mean_foreground(cube[:, :, fg_idx])  # (N, len(SUMMARY_METRICS))
    flat = np.concatenate([cube.reshape(n, -1), fg], axis=1)  # (N, C*Q + len(SUMMARY_METRICS))
    keys = [f"{c}\t{m}" for c in classes for m in metrics] + [f"\tmean_foreground\t{m}" for m in SUMMARY_METRICS]

    summary = {key: _describe(flat[:, j]) for j, key in enumerate(keys)}
    if n_resamples and n >= 2:
        defined = ~np.isnan(flat)

        def statistic(idx: np.ndarray) -> dict[str, float]:
            sub, ok = flat[idx], defined[idx]
            count = ok.sum(axis=0)
            total = np.where(ok, sub, 0.0).sum(axis=0)
            means = np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)
            return dict(zip(keys, means.tolist()))

        g = None if groups is None else np.asarray(groups)
        intervals = bootstrap_ci(statistic, n, groups=g, n_resamples=int(n_resamples), level=level, seed=seed)
        for key, entry in intervals.items():
            bounds = entry["bca"]
            summary[key]["ci"] = None if bounds[0] is None else [float(bounds[0]), float(bounds[1])]

    return {
        "n": n,
        "unit": {"dice": "", "iou": "", "hd95": distance_unit, "asd": distance_unit,
                 "volume": volume_unit or "mL (3D) or mm^2 (2D) with spacing, voxels without"},
        "classes": {c: {m: summary[f"{c}\t{m}"] for m in metrics} for c in classes},
        "mean_foreground": {m: summary[f"\tmean_foreground\t{m}"] for m in SUMMARY_METRICS},
        "ci_method": ("BCa bootstrap (percentile where BCa is undefined), "
                      + ("resampling whole patients" if groups is not None else "resampling cases"))
        if n_resamples and n >= 2 else "none",
        "resamples": int(n_resamples),
        "level": float(level),
        "clustered": groups is not None,
    }


# --- per-case listing -----------------------------------------------------------------------------


MEASUREMENT_COLUMNS: tuple[str, ...] = ("hc_mm", "hc_reference_mm")


def case_table(rows: list[dict], label_names: list[str]) -> list[dict[str, Any]]:
    """Flat per-case rows ``{"id", "<metric>_<class>"..., "mean_dice"}`` (None where undefined),
    then the per-case measurements the rows carry (``hc_mm``, ``hc_reference_mm`` for head
    circumference), so each case's measurement can be audited against its reference."""
    classes = label_names[1:]
    measured = [m for m in MEASUREMENT_COLUMNS if any(m in row for row in rows)]
    cube = _matrix(rows, label_names, CASE_METRICS)
    mean_dice = _mean_foreground(cube[:, :, [CASE_METRICS.index("dice")]])[:, 0]
    table = []
    for i, row in enumerate(rows):
        flat: dict[str, Any] = {"id": row.get("id", i)}
        for c, name in enumerate(classes):
            for q, metric in enumerate(CASE_METRICS):
                v = cube[i, c, q]
                flat[f"{metric}_{name}"] = None if math.isnan(v) else float(v)
        flat["mean_dice"] = None if math.isnan(mean_dice[i]) else float(mean_dice[i])
        for m in measured:
            value = row.get(m)
            flat[m] = None if value is None or not math.isfinite(float(value)) else float(value)
        table.append(flat)
    return table


def write_case_table(path: Path, rows: list[dict], label_names: list[str]) -> Path:
    """Write ``case_table`` as CSV (atomically; empty cell = undefined); returns the path."""
    table = case_table(rows, label_names)
    header = list(table[0]) if table else ["id"] + [f"{m}_{c}" for c in label_names[1:] for m in CASE_METRICS] + [
        "mean_dice"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for flat in table:
        writer.writerow(["" if flat[h] is None else (f"{flat[h]:.6g}" if isinstance(flat[h], float) else flat[h])
                         for h in header])
    return write_text_atomic(path, buf.getvalue())


def worst_and_best(rows: list[dict], k: int = 3, metric: str = "dice") -> tuple[list[str], list[str]]:
    """Ids of the ``k`` worst and ``k`` best cases by the per-case mean of ``metric`` over classes.

    Worst first in the first list, best first in the second (for hd95/asd lower is better).
    Cases where the metric is undefined for every class are skipped; with fewer than ``2k``
    cases the two lists may share ids. Ties are broken by id, so the choice is deterministic.
    """
    if metric not in CASE_METRICS:
        raise ConfigError(f"worst_and_best: unknown metric {metric!r}; expected one of {', '.join(CASE_METRICS)}")
    scored = []
    for i, row in enumerate(rows):
        values = [v.get(metric) for v in (row.get("metrics") or {}).values() if isinstance(v, dict)]
        values = [float(v) for v in values if v is not None and math.isfinite(float(v))]
        if values:
            scored.append((sum(values) / len(values), str(row.get("id", i))))
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    ascending = sorted(scored, key=lambda s: (sign * s[0], s[1]))  # worst first
    worst = [cid for _, cid in ascending[:k]]
    best = [cid for _, cid in sorted(scored, key=lambda s: (-sign * s[0], s[1]))[:k]]
    return worst, best
