"""What counts as "the same image" for a segmentation bundle's training-case voxel digests:
the same shape and values, whatever dtype, header or file stores them."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.training import seg_voxels
from meddx.training.seg_voxels import voxel_digest


def test_same_values_in_any_dtype_have_one_digest_and_other_values_or_shapes_another() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(-1000, 3000, (1, 6, 7, 5)).astype(np.int16)
    digest = voxel_digest(image)
    for same in (image.astype(np.int32), image.astype(np.float32), image.astype(np.float64),
                 np.asfortranarray(image), image.astype(">i2")):  # a big-endian decode, a Fortran-ordered one
        assert voxel_digest(same) == digest
    changed = image.copy()
    changed[0, 3, 3, 3] += 1
    assert voxel_digest(changed) != digest
    assert voxel_digest(image.reshape(1, 7, 6, 5)) != digest  # same values, another shape: another image
    assert voxel_digest(image[:, ::-1]) != digest  # flipped: another image
    grey = rng.integers(0, 256, (1, 8, 8)).astype(np.uint8)
    assert voxel_digest(grey) == voxel_digest(grey.astype(np.uint16))  # an 8-bit PNG re-saved as 16-bit
    assert voxel_digest(grey) != voxel_digest(np.repeat(grey, 3, axis=0))  # saved as RGB: other channels


def test_fractional_values_match_in_float32_and_float64_only_when_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seg_voxels, "CHUNK", 7)  # chunks of whole and fractional values in one array
    values = np.concatenate([np.arange(10, dtype=np.float32), np.linspace(0, 1, 11, dtype=np.float32)])
    image = values.reshape(1, 3, 7)
    assert voxel_digest(image) == voxel_digest(image.astype(np.float64))
    assert voxel_digest(image) != voxel_digest(np.float64(1) / 3 + image.astype(np.float64))
    assert voxel_digest(np.array([[0.0, 1.5]])) == voxel_digest(np.array([[-0.0, 1.5]]))
    with pytest.raises(TypeError, match="real-valued"):
        voxel_digest(np.zeros((1, 2), dtype=np.complex64))


def test_each_bundle_is_matched_on_the_pass_that_reads_files_as_it_was_trained() -> None:
    """compare: bundle B's digests are matched in A's pass only when A reads files alike (same
    orientation and DICOM reading); else in B's own pass, once per case, and named in one warning."""
    from types import SimpleNamespace

    from meddx.evaluation.seg_seen_voxels import VoxelCheck

    image = np.arange(24, dtype=np.int16).reshape(1, 2, 3, 4)
    source = SimpleNamespace(origin="src", split=lambda s: ["x", "y"])  # two cases
    recorded = {"train": {"ids": ["t1"], "voxel_sha256": [voxel_digest(image)]}, "val": {"ids": [], "voxel_sha256": []}}
    ras = SimpleNamespace(name="a", orientation="RAS", config={"dicom_voi": True})
    stored = SimpleNamespace(name="b", orientation=None, config={"dicom_voi": True})
    check = VoxelCheck(source, "val")
    check.add(ras, "bundle A", recorded, skip=set())
    check.add(stored, "bundle B", recorded, skip={"y"})  # y: matched by file digest already
    case = SimpleNamespace(id="x", image=image.astype(np.float32))
    check.see(case, ras)
    first = check.warnings()
    assert len(first) == 1 and "bundle A 'a'" in first[0]  # A only: B reads another orientation
    check.see(case, ras)  # A's second look at x: not counted again
    check.see(case, stored)
    check.see(SimpleNamespace(id="y", image=image), stored)
    warnings = check.warnings()
    assert len(warnings) == 2 and all("1 of 2 val cases of src" in w and "x = train case t1" in w for w in warnings)
    assert "bundle A 'a'" in warnings[0] and "bundle B 'b'" in warnings[1]
