"""``data.masks.write_like``: a float map (an attribution) written in the geometry of its reference
volume, the way predicted masks are, so it reads back in the reference file's own voxel order and
affine whatever orientation the file was stored in."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.io import read_image
from meddx.data.masks import write_like

# stored LPS-like (x and y flipped), anisotropic voxels, shifted origin: read_image turns it to RAS
AFFINE = np.array([[-0.8, 0, 0, 40.0], [0, -0.8, 0, 30.0], [0, 0, 2.5, -20.0], [0, 0, 0, 1]])


def _reference(tmp_path, name="ref.nii.gz"):
    stored = np.arange(7 * 6 * 5, dtype=np.float32).reshape(7, 6, 5)  # (x, y, z), every voxel distinct
    nib.save(nib.Nifti1Image(stored, AFFINE), tmp_path / name)
    return tmp_path / name, stored


@pytest.mark.parametrize("name", ["ref.nii.gz", "ref.nii"])
def test_a_float_map_of_a_reoriented_volume_reads_back_in_the_files_order_and_affine(tmp_path, name):
    ref, stored = _reference(tmp_path, name)
    loaded = read_image(ref)
    assert loaded.reoriented is not None  # the read turned the volume: the writer must turn it back
    values = loaded.array[0].astype(np.float32) * 0.5 - 3.25  # signed, fractional
    out = write_like(tmp_path / "map.nii.gz", values, ref)
    img = nib.load(str(out))
    assert img.shape == stored.shape
    np.testing.assert_allclose(img.affine, AFFINE, atol=1e-5)
    data = np.asarray(img.dataobj)
    assert data.dtype == np.float32
    np.testing.assert_allclose(data, stored * 0.5 - 3.25)  # voxel for voxel on the reference's grid
    assert float(img.header["cal_min"]) == pytest.approx(-3.25)  # negative evidence inside the display window


def test_a_map_of_another_size_than_its_reference_is_refused_naming_both(tmp_path):
    ref, _ = _reference(tmp_path)
    with pytest.raises(DataError, match=r"attribution map shape \(4, 4, 4\) does not match reference"):
        write_like(tmp_path / "map.nii.gz", np.zeros((4, 4, 4), np.float32), ref, "attribution map")


def test_write_mask_still_refuses_fractional_labels(tmp_path):
    from meddx.data.masks import write_mask

    ref, _ = _reference(tmp_path)
    with pytest.raises(DataError, match="fractional"):
        write_mask(tmp_path / "m.nii.gz", np.full((5, 6, 7), 0.5, np.float32), ref)


def test_a_reference_named_against_its_content_is_written_like_it_is_read(tmp_path):
    from meddx.data.masks import write_mask

    ref, stored = _reference(tmp_path)  # gzipped
    misnamed = tmp_path / "scan.nii"  # gzipped content under a plain name: read_image reads it by content
    misnamed.write_bytes(ref.read_bytes())
    labels = (read_image(misnamed).array[0] > 100).astype(np.uint8)
    out = write_mask(tmp_path / "mask.nii.gz", labels, misnamed)
    img = nib.load(str(out))
    np.testing.assert_allclose(img.affine, AFFINE, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(img.dataobj), (stored > 100).astype(np.uint8))
