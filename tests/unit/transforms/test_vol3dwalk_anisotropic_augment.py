"""3D augmentation on anisotropic voxels: a rotation in voxel space that mixes a 2.5 mm slice axis
with 0.8 mm pixels shears the anatomy, so with the model voxel size known only in-plane rotations
are drawn; near-cubic voxels keep all three."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.transforms.image import build_augmentation, model_voxel_mm, rotation_range


def _slices_stay_flat(voxel_mm) -> bool:
    """Whether every augmented slice of a volume that is constant in each axial plane stays constant."""
    z = torch.arange(16, dtype=torch.float32).view(1, 16, 1, 1).expand(1, 16, 16, 16).contiguous()
    augment = build_augmentation("light", (16, 16, 16), seed=0, voxel_mm=voxel_mm)
    spread = 0.0
    for _ in range(12):
        out = torch.as_tensor(np.asarray(augment(z.clone())))
        spread = max(spread, float(out[0].flatten(1).std(dim=1).max()))
    return spread < 1e-3


def test_anisotropic_voxels_rotate_in_plane_only():
    assert _slices_stay_flat((2.5, 0.8, 0.8))
    assert rotation_range(0.26, (2.5, 0.8, 0.8)) == (0.26, 0.0, 0.0)  # strong's 15 degrees, in-plane only


def test_cubic_or_unknown_voxels_still_rotate_about_every_axis():
    assert not _slices_stay_flat(None)  # the check above can fail: out-of-plane rotations tilt the slices
    assert not _slices_stay_flat((1.0, 1.0, 1.1))
    assert rotation_range(0.2, None) == (0.2, 0.2, 0.2)
    assert rotation_range(0.2, (1.0, 0.9, 1.0)) == (0.2, 0.2, 0.2)
    assert rotation_range(0.2, (0.8, 2.5, 0.8)) == (0.0, 0.2, 0.0)  # only the plane of axes 0 and 2


def test_the_model_voxel_follows_the_resize_of_each_axis():
    # 40 slices of 2.5 mm and 256 px of 0.8 mm resized to 32 x 64 x 64: 3.125 x 3.2 x 3.2 mm voxels
    assert model_voxel_mm((2.5, 0.8, 0.8), (40, 256, 256), (32, 64, 64)) == pytest.approx([3.125, 3.2, 3.2])
    assert rotation_range(0.2, model_voxel_mm((2.5, 0.8, 0.8), (40, 256, 256), (32, 64, 64))) == (0.2, 0.2, 0.2)
    assert model_voxel_mm(None, (28, 28, 28), (28, 28, 28)) is None


def test_the_training_volumes_model_voxel_is_read_from_their_files(tmp_path):
    import nibabel as nib

    from meddx.data.sources import load_source
    from meddx.training.augment_voxels import augment_voxel_mm

    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (tmp_path / "vols" / label).mkdir(parents=True)
        for k in range(3):  # (x, y, z) = 32 x 32 x 8 voxels of 0.8 x 0.8 x 2.5 mm
            nib.save(nib.Nifti1Image(rng.random((32, 32, 8)).astype(np.float32), np.diag([0.8, 0.8, 2.5, 1.0])),
                     tmp_path / "vols" / label / f"{label}{k}.nii.gz")
    source = load_source(str(tmp_path / "vols"))
    voxel = augment_voxel_mm(source, (16, 16, 16))  # z stretched 8 -> 16, y and x shrunk 32 -> 16
    assert voxel == pytest.approx([1.25, 1.6, 1.6])
    assert rotation_range(0.2, voxel) == (0.2, 0.0, 0.0)
    assert augment_voxel_mm(source, (16, 16)) is None


def test_training_rotates_anisotropic_volumes_in_plane_and_says_so(tmp_path):
    """Wired into training (``fit`` builds its augmentation with ``planned_augmentation``): the plan's
    reason says which rotations were left out, once, also when a resumed run builds it again."""
    import nibabel as nib

    from meddx.data.sources import load_source
    from meddx.training.augment_voxels import planned_augmentation
    from meddx.training.plan import Plan

    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (tmp_path / "vols" / label).mkdir(parents=True)
        for k in range(3):
            nib.save(nib.Nifti1Image(rng.random((32, 32, 8)).astype(np.float32), np.diag([0.8, 0.8, 2.5, 1.0])),
                     tmp_path / "vols" / label / f"{label}{k}.nii.gz")
    source = load_source(str(tmp_path / "vols"))
    plan = Plan.model_validate({**_plan_fields(), "image_size": [8, 32, 32], "augment": "light",
                                "reasons": {"augment": "default (...)"}})
    assert planned_augmentation(plan, source, seed=0) is not None
    assert plan.reasons["augment"].count("rotations only in planes of near-equal voxels") == 1
    assert "2.5x0.8x0.8 mm" in plan.reasons["augment"]
    planned_augmentation(plan, source, seed=0)  # resumed: built again from the recorded plan
    assert plan.reasons["augment"].count("rotations only in planes of near-equal voxels") == 1


def _plan_fields() -> dict:
    return {"model": "resnet18-3d", "model_args": {}, "image_size": [8, 32, 32], "channels": 1, "batch_size": 4,
            "epochs": 1, "class_weights": None, "early_stopping_patience": 4}
