"""The size of one model-input voxel of the training volumes, for 3D augmentation.

3D classification resizes each volume to the planned grid without resampling, so a model voxel
keeps the file's anisotropy (2.5 mm slices, 0.8 mm pixels) stretched by each axis's resize factor.
``transforms.image.build_augmentation`` rotates only in planes of near-equal voxel size: a voxel-space
rotation out of the slice plane shears the anatomy. The size is the median over a few training files
of ``spacing * native side / planned side`` per axis (``transforms.image.model_voxel_mm``)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from meddx.core.errors import DataError


def augment_voxel_mm(source: Any, image_size: Sequence[int], max_files: int = 20) -> list[float] | None:
    """Median model-input voxel size (mm, ``(z, y, x)``) of up to ``max_files`` training volumes (evenly
    spread); ``None`` for 2D sources, in-memory arrays (MedMNIST carries no spacing) and files that
    record none (voxels are then taken as cubes). Undecodable files are skipped, as ``data info`` does."""
    from meddx.data.info import _sample_indices
    from meddx.transforms.image import model_voxel_mm

    data = source.splits.get("train")
    if source.spatial_dims != 3 or len(image_size) != 3 or data is None or data.paths is None or not len(data):
        return None
    sizes = []
    for i in _sample_indices(len(data), max_files):
        try:
            loaded = source.get_loaded("train", int(i))
        except DataError:
            continue
        voxel = model_voxel_mm(loaded.spacing, loaded.array.shape[1:], image_size)
        if voxel is not None and all(np.isfinite(voxel)) and min(voxel) > 0:
            sizes.append(voxel)
    return [round(float(v), 4) for v in np.median(np.array(sizes), axis=0)] if sizes else None


def planned_augmentation(plan: Any, source: Any, seed: int | None) -> Any:
    """``build_augmentation`` for ``plan`` on ``source``: for volumes whose files record a spacing, the
    affine rotates only in planes of near-equal model voxels, and ``plan.reasons["augment"]`` says so
    when a plane was left out (recorded in plan.json and the bundle)."""
    from meddx.transforms.image import build_augmentation, rotation_range

    voxel = augment_voxel_mm(source, plan.image_size) if plan.augment in ("light", "strong") else None
    said = "rotations only in planes of near-equal voxels" in str(plan.reasons.get("augment"))  # a resumed run's
    if voxel is not None and 0.0 in rotation_range(1.0, voxel) and not said:
        shown = "x".join(f"{v:g}" for v in voxel)
        plan.reasons["augment"] = (plan.reasons.get("augment") or plan.augment) + (
            f"; rotations only in planes of near-equal voxels (model voxels {shown} mm): a rotation across "
            "the slice axis would shear the anatomy")
    return build_augmentation(plan.augment, plan.image_size, seed=seed, voxel_mm=voxel)
