"""Volumes are read in one canonical orientation (RAS+), whatever voxel order the file stores.

Found by an audit: a RAS copy and an LAS copy of one volume (same anatomy, same world
coordinates) were read as mirror images, so a 3D classifier or segmentation network trained on
one orientation saw flipped anatomy from a scanner or converter that stores the other, and a DICOM
series and its NIfTI conversion (dcm2niix writes LPS turned into RAS, rows often flipped) read as
different arrays. Known answers: the RAS file's own array, its flips and permutations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.data.io import read_image

nib = pytest.importorskip("nibabel")

SPACING_XYZ = (2.0, 3.0, 4.0)
ORIGIN = np.array([10.0, -20.0, 30.0])


def _ras_volume() -> np.ndarray:
    """(x, y, z) = (8, 7, 6), distinct values: any flip or axis swap shows."""
    return np.random.default_rng(0).permutation(8 * 7 * 6).reshape(8, 7, 6).astype(np.int16)


def _ras_affine() -> np.ndarray:
    affine = np.diag([*SPACING_XYZ, 1.0])
    affine[:3, 3] = ORIGIN
    return affine


def _copies(folder: Path) -> dict[str, Path]:
    """The RAS volume saved as RAS, LAS (x flipped), LPS (x, y flipped) and with permuted axes
    (stored z, x, y), each with the affine that puts every voxel at the same world point."""
    import nibabel.orientations as nio

    v, affine = _ras_volume(), _ras_affine()
    out = {}
    for name, codes in (("ras", "RAS"), ("las", "LAS"), ("lps", "LPS"), ("perm", "SRA"), ("ial", "IAL")):
        transform = nio.ornt_transform(nio.axcodes2ornt("RAS"), nio.axcodes2ornt(codes))
        data = nio.apply_orientation(v, transform)
        stored_affine = affine @ nio.inv_ornt_aff(transform, v.shape)
        assert nib.aff2axcodes(stored_affine) == tuple(codes)
        out[name] = folder / f"{name}.nii.gz"
        nib.save(nib.Nifti1Image(np.ascontiguousarray(data), stored_affine), str(out[name]))
    return out


def test_ras_las_lps_and_permuted_copies_read_to_one_array_and_spacing(tmp_path: Path) -> None:
    files = _copies(tmp_path)
    expected = _ras_volume().transpose(2, 1, 0)[None]  # the RAS file's own (C, z, y, x)
    for name, path in files.items():
        loaded = read_image(path)
        np.testing.assert_array_equal(loaded.array, expected, err_msg=name)
        assert loaded.spacing == pytest.approx(SPACING_XYZ[::-1]), name
        np.testing.assert_allclose(loaded.affine, _ras_affine(), err_msg=name)
        assert nib.aff2axcodes(loaded.affine) == ("R", "A", "S")
    # the stored order (bundles without an orientation) is the file's own, as before
    las = read_image(files["las"], None)
    np.testing.assert_array_equal(las.array, expected[..., ::-1])
    assert las.reoriented is None
    perm = read_image(files["perm"], None)
    assert perm.array.shape == (1, 7, 8, 6) and perm.spacing == pytest.approx((3.0, 2.0, 4.0))


def test_a_4d_volume_is_turned_along_its_three_spatial_axes_only(tmp_path: Path) -> None:
    v = _ras_volume()
    four = np.stack([v, v * 2], axis=-1)  # (x, y, z, t): t becomes channels
    las_affine = _ras_affine() @ np.diag([-1.0, 1.0, 1.0, 1.0])
    las_affine[:3, 3] = ORIGIN + [SPACING_XYZ[0] * 7, 0, 0]
    nib.save(nib.Nifti1Image(four, _ras_affine()), str(tmp_path / "ras.nii.gz"))
    nib.save(nib.Nifti1Image(np.ascontiguousarray(four[::-1]), las_affine), str(tmp_path / "las.nii.gz"))
    ras, las = read_image(tmp_path / "ras.nii.gz"), read_image(tmp_path / "las.nii.gz")
    assert ras.array.shape == (2, 6, 7, 8)
    np.testing.assert_array_equal(las.array, ras.array)
    np.testing.assert_array_equal(ras.array[1], 2 * v.transpose(2, 1, 0))


def test_a_single_slice_keeps_its_stored_order(tmp_path: Path) -> None:
    """A slice (x*y*1) is a 2D image, read in display order as PNG and DICOM slices are: turning
    it to RAS could make its slice axis a row axis."""
    one = _ras_volume()[:, :, :1]
    affine = np.diag([-1.0, 1.0, 1.0, 1.0])  # LAS: would be flipped if it were a volume
    nib.save(nib.Nifti1Image(one, affine), str(tmp_path / "slice.nii.gz"))
    loaded = read_image(tmp_path / "slice.nii.gz")
    np.testing.assert_array_equal(loaded.array, one.transpose(2, 1, 0)[None])
    assert loaded.reoriented is None


# ------------------------------------------------------------------------------- DICOM
def _dicom_series(folder: Path, pixels: np.ndarray, orient: list[float], origin: np.ndarray,
                  spacing: tuple[float, float, float]) -> Path:
    """Slices ``pixels[k]`` (rows, columns) of one series at ``origin + k * dz * normal``, written
    in reverse file order so that the reader must sort them by position."""
    from tests.unit.data.test_dicom_reading import _dataset

    folder.mkdir(parents=True)
    dz, dy, dx = spacing
    normal = np.cross(orient[:3], orient[3:])
    for k in range(len(pixels)):
        ds = _dataset(np.ascontiguousarray(pixels[k]))
        ds.PixelSpacing = [dy, dx]
        ds.ImageOrientationPatient = orient
        ds.ImagePositionPatient = [float(c) for c in origin + k * dz * normal]
        ds.SliceThickness = dz
        ds.InstanceNumber = len(pixels) - k
        ds.save_as(folder / f"{len(pixels) - k:03d}.dcm", enforce_file_format=True)
    return folder


@pytest.mark.parametrize("orient", [[1.0, 0.0, 0.0, 0.0, 1.0, 0.0],      # axial
                                    [0.0, 1.0, 0.0, 0.0, 0.0, -1.0],     # sagittal
                                    [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]])    # coronal
def test_a_dicom_series_and_its_nifti_conversion_read_alike(tmp_path: Path, orient: list[float]) -> None:
    from meddx.data.dicom import volume_affine

    pixels = np.random.default_rng(1).permutation(5 * 6 * 7).reshape(5, 6, 7).astype(np.uint16)  # (slices, rows, cols)
    spacing, origin = (2.5, 0.8, 0.6), np.array([-40.0, 12.0, 7.0])
    series = _dicom_series(tmp_path / "series", pixels, orient, origin, spacing)
    affine = volume_affine(orient, origin, spacing)  # dcm2niix's geometry: LPS turned into RAS
    xyz = pixels.transpose(2, 1, 0)  # NIfTI (x=column, y=row, z=slice)
    nib.save(nib.Nifti1Image(xyz, affine), str(tmp_path / "plain.nii.gz"))
    # rows stored bottom-up, as dcm2niix typically writes them: the same voxels, another affine
    flip_y = affine @ np.array([[1, 0, 0, 0], [0, -1, 0, 5], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    nib.save(nib.Nifti1Image(np.ascontiguousarray(xyz[:, ::-1]), flip_y), str(tmp_path / "dcm2niix.nii.gz"))
    dicom = read_image(series)
    for name in ("plain.nii.gz", "dcm2niix.nii.gz"):
        nifti = read_image(tmp_path / name)
        np.testing.assert_array_equal(np.asarray(dicom.array), nifti.array, err_msg=name)
        assert dicom.spacing == pytest.approx(nifti.spacing), name
    assert nib.aff2axcodes(nifti.affine) == ("R", "A", "S")
    # the stored order is the series' sorted slices, rows and columns as written
    np.testing.assert_array_equal(np.asarray(read_image(series, None).array[0]), pixels)


def test_an_enhanced_multi_frame_file_reads_as_the_same_series(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    from tests.unit.data.test_dicom_reading import ENHANCED_MR_STORAGE, _dataset

    orient, origin, spacing = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0], np.array([3.0, -2.0, 1.0]), (1.5, 0.8, 0.6)
    pixels = np.random.default_rng(4).permutation(4 * 5 * 6).reshape(4, 5, 6).astype(np.uint16)
    series = _dicom_series(tmp_path / "series", pixels, orient, origin, spacing)
    ds = _dataset(pixels[::-1].copy(), sop_class=ENHANCED_MR_STORAGE)  # frames stored last slice first
    ds.NumberOfFrames = len(pixels)
    measures, plane = Dataset(), Dataset()
    measures.PixelSpacing, measures.SliceThickness = [spacing[1], spacing[2]], spacing[0]
    plane.ImageOrientationPatient = orient
    shared = Dataset()
    shared.PixelMeasuresSequence, shared.PlaneOrientationSequence = Sequence([measures]), Sequence([plane])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    normal, frames = np.cross(orient[:3], orient[3:]), []
    for k in reversed(range(len(pixels))):
        position, group = Dataset(), Dataset()
        position.ImagePositionPatient = [float(c) for c in origin + k * spacing[0] * normal]
        group.PlanePositionSequence = Sequence([position])
        frames.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    ds.save_as(tmp_path / "mf.dcm", enforce_file_format=True)
    multi, stack = read_image(tmp_path / "mf.dcm"), read_image(series)
    np.testing.assert_array_equal(np.asarray(multi.array), np.asarray(stack.array))
    assert multi.spacing == pytest.approx(stack.spacing)
    assert not np.array_equal(np.asarray(stack.array[0]), pixels)  # sagittal: turned, not the stored order
    np.testing.assert_array_equal(np.asarray(read_image(tmp_path / "mf.dcm", None).array[0]), pixels)


def test_a_mirrored_dicom_series_reads_as_the_usual_one(tmp_path: Path) -> None:
    """An axial series stored with columns running to the patient's right (and so its slice
    normal pointing down) holds the same anatomy as the usual one: both read to one RAS array."""
    pixels = np.random.default_rng(2).permutation(4 * 5 * 6).reshape(4, 5, 6).astype(np.uint16)
    usual = _dicom_series(tmp_path / "a", pixels, [1.0, 0, 0, 0, 1.0, 0], np.zeros(3), (2.0, 1.0, 1.0))
    # column c holds the usual column 5 - c at x = 5 - c; slice k (normal -z) the usual slice 3 - k at z = 6 - 2k
    mirrored = _dicom_series(tmp_path / "b", np.ascontiguousarray(pixels[::-1, :, ::-1]), [-1.0, 0, 0, 0, 1.0, 0],
                             np.array([5.0, 0.0, 6.0]), (2.0, 1.0, 1.0))
    np.testing.assert_array_equal(np.asarray(read_image(usual).array), np.asarray(read_image(mirrored).array))
    assert not np.array_equal(np.asarray(read_image(usual, None).array), np.asarray(read_image(mirrored, None).array))


# ------------------------------------------------------------------------------ real data
def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    return path


@pytest.mark.realdata
def test_msd_hippocampus_is_stored_ras_and_reads_unchanged(shared_data: Path, tmp_path: Path) -> None:
    """The MSD hippocampus crops are stored RAS: reorientation changes nothing, so bundles trained
    on them before read them exactly as they did; a mask written back is the label file's."""
    from meddx.data.masks import load_mask, write_mask

    root = _need(shared_data / "msd-hippocampus")
    for name in ("hippocampus_001.nii.gz", "hippocampus_190.nii.gz"):
        image, label = root / "images" / name, root / "labels" / name
        assert nib.aff2axcodes(nib.load(str(image)).affine) == ("R", "A", "S")
        ras, stored = read_image(image), read_image(image, None)
        np.testing.assert_array_equal(ras.array, stored.array)
        assert ras.spacing == stored.spacing == (1.0, 1.0, 1.0)
        mask = load_mask(label, reference=image).array
        assert mask.shape == ras.array.shape[1:]
        out = write_mask(tmp_path / name, mask, image)
        np.testing.assert_array_equal(np.asarray(nib.load(str(out)).dataobj), np.asarray(nib.load(str(label)).dataobj))


@pytest.mark.realdata
def test_real_mr_series_stored_lps_reads_as_its_nifti_conversion(shared_data: Path, tmp_path: Path) -> None:
    """The HippoCrop MR series are axial (columns to the patient's left, rows to posterior: LPS):
    read RAS, rows and columns are flipped; a NIfTI of the series with its dcm2niix-style affine
    reads to the same array, and a mask written for the series lands in its stored order."""
    import pydicom

    from meddx.data.dicom import volume_affine
    from meddx.data.masks import write_mask

    series = _need(shared_data / "dicom-mr-series" / "Study1" / "13_HCropVolume")
    stored, ras = read_image(series, None), read_image(series)
    assert stored.array.shape == ras.array.shape == (1, 32, 51, 35)
    np.testing.assert_array_equal(np.asarray(ras.array), np.asarray(stored.array)[:, :, ::-1, ::-1])
    positions = {f: pydicom.dcmread(f, stop_before_pixels=True) for f in series.glob("*.dcm")}
    first = min(positions.values(), key=lambda d: float(d.ImagePositionPatient[2]))
    affine = volume_affine(first.ImageOrientationPatient, first.ImagePositionPatient, stored.spacing)
    assert nib.aff2axcodes(affine) == ("L", "P", "S")
    nib.save(nib.Nifti1Image(np.asarray(stored.array[0]).transpose(2, 1, 0), affine), str(tmp_path / "s.nii.gz"))
    np.testing.assert_array_equal(read_image(tmp_path / "s.nii.gz").array, np.asarray(ras.array))
    mask = (np.asarray(ras.array[0]) > np.median(ras.array)).astype(np.uint8)
    out = write_mask(tmp_path / "m.nii.gz", mask, series)
    np.testing.assert_array_equal(np.asarray(nib.load(str(out)).dataobj).transpose(2, 1, 0), mask[:, ::-1, ::-1])
    np.testing.assert_allclose(nib.load(str(out)).affine, affine, atol=1e-4)
