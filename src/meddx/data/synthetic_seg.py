"""Synthetic segmentation cases with known masks: shapes on textured tissue, 2D and 3D.

In the spirit of MONAI's ``create_test_image_2d/3d``: class 1 is an ellipse (ellipsoid in 3D)
brighter than the tissue, class 2 (when asked for) a smaller, darker box beside it. Written
as an ``images/`` + ``labels/`` folder (PNG in 2D, NIfTI with a non-trivial affine in 3D) so
the real readers, geometry handling and writers are exercised. Deterministic for a seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_seg_case(rng: np.random.Generator, shape: tuple[int, ...], classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """One ``(image uint8, mask uint8)`` pair of ``shape`` with ``classes`` labels (2 or 3)."""
    from scipy.ndimage import gaussian_filter

    grids = np.meshgrid(*[np.arange(s, dtype=np.float64) for s in shape], indexing="ij")
    mask = np.zeros(shape, dtype=np.uint8)
    centre = [rng.uniform(0.35 * s, 0.65 * s) for s in shape]
    axes = [rng.uniform(0.15, 0.25) * s for s in shape]
    inside = sum(((g - c) / a) ** 2 for g, c, a in zip(grids, centre, axes)) <= 1.0
    mask[inside] = 1
    if classes >= 3:  # a box in a corner region, away from the ellipse
        corner = [int(s * 0.08) for s in shape]
        half = [max(2, int(s * rng.uniform(0.07, 0.1))) for s in shape]
        region = tuple(slice(c, c + 2 * h) for c, h in zip(corner, half))
        mask[region] = 2
    texture = gaussian_filter(rng.standard_normal(shape), 2.0)
    texture = texture / (texture.std() + 1e-8)
    image = 90 + 12 * texture + 80 * (mask == 1) - 50 * (mask == 2) + rng.normal(0, 6, shape)
    return np.clip(image, 0, 255).astype(np.uint8), mask


def write_seg_folder(root: str | Path, n: int = 40, spatial_dims: int = 2, size: int = 64, classes: int = 2,
                     seed: int = 0, spacing: tuple[float, ...] | None = None) -> Path:
    """Write ``n`` cases under ``root/images`` and ``root/labels``; returns ``root``.

    3D cases are NIfTI volumes of ``size``^3 voxels with ``spacing`` (default 1.5, 1, 1 mm in
    x, y, z) and a translated affine; 2D cases are PNG. A ``labels.json`` names the classes.
    """
    import json

    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = ["background", "ellipse", "box"][:classes]
    (root / "labels.json").write_text(json.dumps({str(i): n for i, n in enumerate(names)}))
    for i in range(n):
        image, mask = make_seg_case(rng, (size,) * spatial_dims, classes)
        stem = f"case_{i:03d}"
        if spatial_dims == 2:
            from PIL import Image

            Image.fromarray(image).save(root / "images" / f"{stem}.png")
            Image.fromarray(mask).save(root / "labels" / f"{stem}.png")
        else:
            import nibabel as nib

            zooms = spacing or (1.5, 1.0, 1.0)
            affine = np.diag([*zooms, 1.0])
            affine[:3, 3] = [-20.0, 10.0, 5.0]
            nib.save(nib.Nifti1Image(image, affine), str(root / "images" / f"{stem}.nii.gz"))
            nib.save(nib.Nifti1Image(mask, affine), str(root / "labels" / f"{stem}.nii.gz"))
    return root
