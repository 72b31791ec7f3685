"""Segmentation self-configuration: a dataset fingerprint, then a plan (in nnU-Net's spirit).

The fingerprint (``fingerprint.json``) summarises the training cases: sizes, spacings,
intensities inside the foreground, class frequencies. The plan (``plan.json``) derives from it
the grid (2D fixed size or 3D target spacing), patch size, normalisation, network, batch size
and epochs, each with the reason it was chosen. Both are plain JSON: a user edits the plan and
passes it back with ``--plan`` to override any field, as for classification.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from meddx.core.errors import ConfigError
from meddx.training.config import TrainConfig

LONG_SIDE_2D = 256  # 2D images are resized so their long side is this (CPU cost grows with pixels)
MAX_PATCH_VOXELS_3D = 96 ** 3
FG_SAMPLES_PER_CASE = 10_000
DEFAULT_EPOCHS = 50
MIN_STEPS_PER_EPOCH = 20  # short epochs make checkpointing and early stopping noisy


class SegPlan(BaseModel):
    """The resolved automatic choices of one segmentation run."""

    model_config = ConfigDict(extra="forbid")

    spatial_dims: int
    channels: int
    size: list[int] | None = None
    target_spacing: list[float] | None = None
    patch_size: list[int]
    normalization: str = "zscore"
    ct_stats: dict[str, float] | None = None
    model: str
    model_args: dict[str, Any]
    batch_size: int
    epochs: int
    samples_per_epoch: int | None = None
    foreground_oversample: float = 0.33
    augment: str = "light"
    mirror_axes: list[int] | None = None  # spatial axes mirrored in augmentation and test-time mirroring
    largest_component: dict[str, bool] | None = None
    early_stopping_patience: int
    # "final": the last epoch when the schedule ran to its end (nnU-Net), else the best val epoch; or "best"
    checkpoint: Literal["final", "best"] = "final"
    ensemble: int = 1  # networks trained (seeds seed..seed+K-1); the bundle averages their probabilities
    seconds_per_sample: float | None = None
    reasons: dict[str, str] = {}

    def write(self, path: Path) -> None:
        from meddx.core.files import write_json_atomic

        write_json_atomic(path, self.model_dump())

    def preprocessor(self) -> Any:
        from meddx.transforms.segmentation import SegPreprocessor

        return SegPreprocessor(self.spatial_dims, self.channels, size=self.size, target_spacing=self.target_spacing,
                               normalization=self.normalization, ct_stats=self.ct_stats)


# ---------------------------------------------------------------------------- fingerprint


def fingerprint(cases: Iterable[Any], label_names: list[str], seed: int = 0) -> dict[str, Any]:
    """Summary of training cases (objects with ``image``, ``mask``, ``spacing``).

    Intensities are sampled inside the foreground (``FG_SAMPLES_PER_CASE`` per case), as
    nnU-Net does, because the background (air, padding) says little about the tissue.
    """
    rng = np.random.default_rng(seed)
    shapes, spacings, channels, fg, everything, offsets = [], [], [], [], [], []
    voxels = np.zeros(len(label_names), dtype=np.int64)
    present = np.zeros(len(label_names), dtype=np.int64)
    for case in cases:
        shapes.append(case.image.shape[1:])
        channels.append(case.image.shape[0])
        if case.spacing is not None:
            spacings.append(case.spacing)
        first = np.asarray(case.image[0], dtype=np.float32)
        everything.append(rng.choice(first.ravel(), size=min(first.size, 2000), replace=False))
        if case.mask is None:
            continue
        counts = np.bincount(case.mask.ravel(), minlength=len(label_names))[: len(label_names)]
        voxels += counts
        present += counts > 0
        if len(label_names) > 2 and counts[1] and counts[2]:
            offsets.append(_centroid(case.mask == 2) - _centroid(case.mask == 1))
        values = first[case.mask > 0]
        if values.size:
            fg.append(rng.choice(values, size=min(values.size, FG_SAMPLES_PER_CASE), replace=False))
    if not shapes:
        raise ConfigError("no training cases to fingerprint")
    fg_all = np.concatenate(fg) if fg else np.concatenate(everything)
    all_values = np.concatenate(everything)
    shape_arr = np.array(shapes)
    out: dict[str, Any] = {
        "n_cases": len(shapes),
        "spatial_dims": int(shape_arr.shape[1]),
        "channels": int(np.bincount(channels).argmax()),
        "shape": {"median": _ints(np.median(shape_arr, axis=0)), "min": _ints(shape_arr.min(0)),
                  "max": _ints(shape_arr.max(0))},
        "spacing": None,
        "intensity_foreground": _stats(fg_all),
        "intensity_all": _stats(all_values),
        "classes": {
            name: {"voxel_fraction": float(voxels[i] / max(voxels.sum(), 1)), "cases_present": int(present[i])}
            for i, name in enumerate(label_names)
        },
    }
    out["ordered_axes"] = _ordered_axes(offsets)
    if spacings:
        sp = np.array(spacings, dtype=np.float64)
        out["spacing"] = {"median": _floats(np.median(sp, axis=0)), "min": _floats(sp.min(0)), "max": _floats(sp.max(0)),
                          "cases_with_spacing": len(spacings)}
    return out


def _centroid(region: np.ndarray) -> np.ndarray:
    return np.array([float(i.mean()) for i in np.nonzero(region)])


def _ordered_axes(offsets: list[np.ndarray], consistency: float = 0.9, min_separation: float = 1.0) -> dict[str, Any]:
    """Axes along which structure 2 lies on the same side of structure 1 in (nearly) every case.

    Mirroring such an axis swaps the anatomical order of the labels (anterior/posterior
    hippocampus along the head-foot axis), so the plan does not mirror it: with a short
    schedule the network would have to learn both orders from shape alone.
    """
    if not offsets:
        return {"axes": [], "evidence": "fewer than two structures present together"}
    arr = np.array(offsets)
    axes, evidence = [], {}
    for axis in range(arr.shape[1]):
        same_side = float(max((arr[:, axis] > 0).mean(), (arr[:, axis] < 0).mean()))
        separation = float(np.median(np.abs(arr[:, axis])))
        evidence[str(axis)] = {"same_side": round(same_side, 3), "median_separation_voxels": round(separation, 2)}
        if same_side >= consistency and separation >= min_separation:
            axes.append(axis)
    return {"axes": axes, "evidence": evidence}


def _stats(values: np.ndarray) -> dict[str, float]:
    v = values.astype(np.float64)
    return {"mean": float(v.mean()), "std": float(v.std()), "min": float(v.min()), "max": float(v.max()),
            "p00_5": float(np.percentile(v, 0.5)), "p99_5": float(np.percentile(v, 99.5))}


def _ints(a: np.ndarray) -> list[int]:
    return [int(round(float(x))) for x in a]


def _floats(a: np.ndarray) -> list[float]:
    return [round(float(x), 6) for x in a]


# ---------------------------------------------------------------------------- plan


def make_seg_plan(config: TrainConfig, fp: dict[str, Any], overrides: dict[str, Any] | None = None) -> SegPlan:
    """Decide grid, patch, normalisation, model, batch size and (provisional) epochs."""
    from meddx.models.segmentation import required_divisor
    from meddx.training.seg_data import AUGMENT_PRESETS

    augment = config.augment or "light"
    if augment not in AUGMENT_PRESETS:
        raise ConfigError(f"augment {config.augment!r} is for classification; segmentation takes "
                          f"{', '.join(AUGMENT_PRESETS)}")
    dims = fp["spatial_dims"]
    reasons: dict[str, str] = {}
    median = fp["shape"]["median"]
    model = config.model or "unet"
    reasons["model"] = "set in config" if config.model else "default: MONAI U-Net (the fastest of unet/dynunet/segresnet on CPU)"
    size: list[int] | None = None
    target_spacing: list[float] | None = None
    if dims == 2:
        if isinstance(config.image_size, list):
            grid, reasons["size"] = list(config.image_size), "set in config"
        else:
            long_side = config.image_size or LONG_SIDE_2D
            scale = min(1.0, long_side / max(median))
            grid = [max(8, int(round(s * scale))) for s in median]
            reasons["size"] = (f"median image {median} scaled by {scale:.3f} so the long side is at most {long_side} px"
                               f"{' (set in config)' if config.image_size else ''}")
        patch = grid
    else:
        spacing = (fp.get("spacing") or {}).get("median")
        target_spacing = list(config.target_spacing) if config.target_spacing else spacing
        reasons["target_spacing"] = ("set in config" if config.target_spacing else
                                     "median spacing of the training cases" if spacing else "no spacing known: native grid")
        grid = list(median)
        if target_spacing and spacing:
            grid = [int(round(m * s / t)) for m, s, t in zip(median, spacing, target_spacing)]
        patch = list(config.patch_size) if config.patch_size else _cap_patch(grid)
        reasons["patch_size"] = "set in config" if config.patch_size else (
            f"median case on the target grid {grid}, capped at {round(MAX_PATCH_VOXELS_3D ** (1 / 3))}^3 voxels")
    args: dict[str, Any] = {"in_channels": fp["channels"], "spatial_dims": dims, **config.model_args}
    if model == "unet" and "channels" not in args:
        # nnU-Net's depth rule: downsample until the smallest feature map would fall below 4
        # voxels (at most 4 times), so the patch needs rounding only to that many halvings.
        halvings = int(max(1, min(4, np.floor(np.log2(max(min(patch), 8) / 4)))))
        args["channels"] = [16, 32, 64, 128, 256][: halvings + 1]
        reasons["model"] += f"; {halvings + 1} levels for a {min(patch)}-voxel smallest patch side"
    if model == "dynunet" and target_spacing and "spacing" not in args:
        args["spacing"] = target_spacing
    for _ in range(3):  # the divisor can depend on the patch (DynUNet): settle it
        args["image_size"] = patch
        div = required_divisor(model, dims, args)
        patch = [int(np.ceil(p / d) * d) for p, d in zip(patch, div)]
    reasons.setdefault("patch_size", f"the whole resized image, rounded up to multiples of {div}")
    if dims == 2:
        size = patch  # the fixed 2D grid is the patch: one window covers the image
    args["image_size"] = patch
    normalization, ct_stats, reasons["normalization"] = _normalization(fp)
    ordered = (fp.get("ordered_axes") or {}).get("axes", [])
    mirror_axes = [a for a in range(dims) if a not in ordered]
    reasons["mirror_axes"] = (f"not axes {ordered}: structure 2 lies on one side of structure 1 along them in the "
                              "training cases, and mirroring would swap that order" if ordered else
                              "all axes (no label order along any axis)")
    voxels = int(np.prod(patch))
    batch = config.batch_size or (2 if voxels > 64 ** 3 else 4 if dims == 3 else 8 if voxels > 128 ** 2 else 16)
    reasons["batch_size"] = "set in config" if config.batch_size else f"default for {voxels} voxels per patch"
    n_train = fp["n_cases"]
    samples = max(n_train, MIN_STEPS_PER_EPOCH * batch)
    reasons["samples_per_epoch"] = (f"one patch per training case ({n_train})" if samples == n_train else
                                    f"at least {MIN_STEPS_PER_EPOCH} steps of {batch} patches per epoch "
                                    f"(cases are revisited: {n_train} training cases)")
    epochs = config.epochs or DEFAULT_EPOCHS
    reasons["epochs"] = "set in config" if config.epochs else "default (no time budget given)"
    # No early stopping unless asked: the cosine schedule gains most in its last, low-rate epochs
    # (hippocampus: val Dice flat from epoch 18 at full rate; stopping there forfeits the decay).
    reasons["early_stopping_patience"] = ("set in config" if config.early_stopping_patience else
                                          "off (= epochs): the schedule runs to its end (see checkpoint for the epoch kept)")
    reasons["checkpoint"] = ("set in config" if config.checkpoint else
                             "the final epoch (nnU-Net's choice: the cosine schedule ends at rate 0, and the best of "
                             "a small validation split is partly noise); the best val epoch if training stops early")
    ensemble = config.ensemble or 1
    reasons["ensemble"] = ("set in config: the mean of the networks' probabilities" if config.ensemble
                           else "one network (default)")
    plan = SegPlan(
        spatial_dims=dims, channels=fp["channels"], size=size, target_spacing=target_spacing, patch_size=patch,
        normalization=normalization, ct_stats=ct_stats, model=model, model_args=args, batch_size=batch,
        epochs=epochs, samples_per_epoch=samples, augment=augment, mirror_axes=mirror_axes,
        early_stopping_patience=config.early_stopping_patience or epochs, checkpoint=config.checkpoint or "final",
        ensemble=ensemble,
        largest_component=None if config.largest_component is None else {"all": config.largest_component},
        reasons=reasons,
    )
    return apply_seg_overrides(plan, overrides or {})


def _cap_patch(grid: list[int]) -> list[int]:
    patch = list(grid)
    while int(np.prod(patch)) > MAX_PATCH_VOXELS_3D:
        i = int(np.argmax(patch))
        patch[i] = int(patch[i] * 0.9)
    return patch


def _normalization(fp: dict[str, Any]) -> tuple[str, dict[str, float] | None, str]:
    """CT (absolute Hounsfield units: air near -1000) gets global clipping and z-score from the
    training foreground; everything else a per-image z-score."""
    lowest = fp["intensity_all"]["p00_5"]
    if lowest < -500:
        s = fp["intensity_foreground"]
        stats = {"lower": s["p00_5"], "upper": s["p99_5"], "mean": s["mean"], "std": s["std"]}
        return "ct", stats, f"intensities reach {lowest:.0f} (Hounsfield units): clip to foreground 0.5-99.5% and z-score"
    return "zscore", None, "relative intensities (MR, ultrasound, photographs): z-score per image"


def apply_seg_overrides(plan: SegPlan, overrides: dict[str, Any]) -> SegPlan:
    """Replace plan fields with user-edited values, marking them in ``reasons``."""
    if not overrides:
        return plan
    data = plan.model_dump()
    for key, value in overrides.items():
        if key in ("reasons", "seconds_per_sample"):
            continue
        data[key] = value
        data["reasons"][key] = "overridden by the given plan file"
    if "patch_size" in overrides:
        data["model_args"]["image_size"] = overrides["patch_size"]
        if data["spatial_dims"] == 2 and "size" not in overrides:
            data["size"] = overrides["patch_size"]
    try:
        return SegPlan(**data)
    except ValidationError as exc:
        raise ConfigError(f"invalid plan override: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


def read_seg_plan(path: str | Path) -> dict[str, Any]:
    """Read a (possibly hand-edited) segmentation plan; only the fields present override."""
    from meddx.training.plan import read_plan

    return read_plan(path, SegPlan)


def epochs_for_budget(n_train: int, budget_minutes: float, seconds_per_sample: float, val_seconds: float) -> int:
    """Epochs that fit the budget: 10% kept for loading, evaluation and saving."""
    per_epoch = n_train * seconds_per_sample + val_seconds
    return int(max(1, min(1000, budget_minutes * 60 * 0.9 / max(per_epoch, 1e-9))))
