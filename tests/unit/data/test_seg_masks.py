"""Masks: reading label maps from PNG/NIfTI/DICOM-SEG and writing them back in the image's geometry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.data.io import read_image
from meddx.data.orientation import reading_orientation
from meddx.data.segmentation import load_seg_source, read_mask, write_mask

SEG_UID = "1.2.840.10008.5.1.4.1.1.66.4"


def nifti(path: Path, array: np.ndarray, affine: np.ndarray, qcode: int = 1, scode: int = 2) -> Path:
    import nibabel as nib

    img = nib.Nifti1Image(array, affine)
    img.set_qform(affine, code=qcode)
    img.set_sform(affine, code=scode)
    nib.save(img, str(path))
    return path


def test_png_masks_are_normalised(tmp_path: Path) -> None:
    m = np.zeros((5, 7), np.uint8)
    m[1:3, 2:6] = 255
    Image.fromarray(m).save(tmp_path / "bin.png")
    got = read_mask(tmp_path / "bin.png")
    assert got.dtype == np.int64 and got.shape == (5, 7) and got.tolist() == (m // 255).tolist()
    multi = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    Image.fromarray(multi).save(tmp_path / "multi.png")
    assert read_mask(tmp_path / "multi.png").tolist() == multi.tolist()  # labels kept, not rescaled
    Image.fromarray(np.stack([m, m, m], axis=-1)).save(tmp_path / "rgb.png")
    assert read_mask(tmp_path / "rgb.png").tolist() == (m // 255).tolist()
    colour = np.stack([m, m * 0, m], axis=-1)
    Image.fromarray(colour).save(tmp_path / "colour.png")
    with pytest.raises(DataError, match=r"colour\.png: colour mask"):
        read_mask(tmp_path / "colour.png")


def test_nifti_mask_rejects_fractions(tmp_path: Path) -> None:
    nifti(tmp_path / "frac.nii.gz", np.full((3, 3, 3), 0.5, np.float32), np.eye(4))
    with pytest.raises(DataError, match=r"frac\.nii\.gz: mask holds fractional"):
        read_mask(tmp_path / "frac.nii.gz")
    nifti(tmp_path / "float_labels.nii.gz", np.full((3, 3, 3), 2.0, np.float32), np.eye(4))
    assert read_mask(tmp_path / "float_labels.nii.gz").dtype == np.int64


def test_write_mask_nifti_keeps_affine_codes_and_axis_order(tmp_path: Path) -> None:
    with reading_orientation(None):  # the stored voxel order (bundles without an orientation); RAS: test_orientation
        _write_mask_nifti_keeps_affine_codes_and_axis_order(tmp_path)


def _write_mask_nifti_keeps_affine_codes_and_axis_order(tmp_path: Path) -> None:
    import nibabel as nib

    affine = np.array([[0.0, 0.0, 2.0, -5.0], [-1.0, 0.0, 0.0, 3.0], [0.0, 0.5, 0.0, 1.5], [0, 0, 0, 1]])
    ref = nifti(tmp_path / "img.nii.gz", np.random.default_rng(0).normal(size=(4, 5, 6)).astype(np.float32),
                affine)
    shape = read_image(ref).array.shape[1:]
    assert shape == (6, 5, 4)
    mask = np.zeros(shape, np.int64)
    mask[1, 2, 3] = 1
    mask[4, 0, 0] = 2
    out = write_mask(tmp_path / "out" / "pred", mask, ref)
    assert out == tmp_path / "out" / "pred.nii.gz" and out.is_file()
    written, original = nib.load(str(out)), nib.load(str(ref))
    np.testing.assert_array_equal(written.affine, original.affine)
    assert int(written.header["qform_code"]) == 1 and int(written.header["sform_code"]) == 2
    assert written.header.get_zooms() == original.header.get_zooms()
    assert written.get_data_dtype() == np.uint8 and written.shape == original.shape
    assert np.asarray(written.dataobj)[3, 2, 1] == 1  # file order (x, y, z)
    np.testing.assert_array_equal(read_mask(out), mask)
    np.testing.assert_array_equal(read_image(out).affine, read_image(ref).affine)
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary file left
    with pytest.raises(DataError, match=r"mask shape \(6, 5, 3\) does not match reference"):
        write_mask(tmp_path / "bad.nii.gz", mask[..., :3], ref)


def test_write_mask_png_has_reference_size(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((30, 50, 3), np.uint8)).save(tmp_path / "img.jpg")
    mask = np.zeros((30, 50), np.int64)
    mask[10:20, 5:40] = 2
    out = write_mask(tmp_path / "pred.nii.gz", mask, tmp_path / "img.jpg")
    assert out.name == "pred.png"
    with Image.open(out) as img:
        assert img.size == (50, 30) and img.mode == "L"
    np.testing.assert_array_equal(read_mask(out), mask)
    with pytest.raises(DataError, match="fractional"):
        write_mask(tmp_path / "x.png", mask * 0.3, tmp_path / "img.jpg")


# ------------------------------------------------------------------------------ DICOM
def _dicom_file(path: Path, meta_sop: str, **attrs) -> None:  # type: ignore[no-untyped-def]
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = meta_sop
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta_sop
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    for k, v in attrs.items():
        setattr(ds, k, v)
    ds.save_as(path, enforce_file_format=True)


def _series(folder: Path, n: int = 4, size: int = 6) -> list[float]:
    """A synthetic axial CT series; returns the z position of each slice (files out of order)."""
    folder.mkdir(parents=True)
    zs = [10.0 + 2.5 * k for k in range(n)]
    for k in (2, 0, 3, 1)[:n]:
        _dicom_file(folder / f"IM{k}.dcm", "1.2.840.10008.5.1.4.1.1.2", Modality="CT", SeriesInstanceUID="1.2.3",
                    Rows=size, Columns=size, BitsAllocated=16, BitsStored=16, HighBit=15, PixelRepresentation=1,
                    SamplesPerPixel=1, PhotometricInterpretation="MONOCHROME2", PixelSpacing=[0.8, 0.7],
                    ImageOrientationPatient=[1, 0, 0, 0, 1, 0], ImagePositionPatient=[-5.0, 4.0, zs[k]],
                    InstanceNumber=k + 1, PixelData=np.full((size, size), k, np.int16).tobytes())
    return zs


def _seg(path: Path, frames: list[tuple[int, float, np.ndarray]], labels: list[str]) -> None:
    """A BINARY DICOM-SEG; ``frames`` = (segment number, z position, (H, W) 0/1 array)."""
    from pydicom.dataset import Dataset
    from pydicom.pixels import pack_bits

    def item(**kw) -> Dataset:  # type: ignore[no-untyped-def]
        d = Dataset()
        for k, v in kw.items():
            setattr(d, k, v)
        return d

    h, w = frames[0][2].shape
    per_frame = [item(SegmentIdentificationSequence=[item(ReferencedSegmentNumber=n)],
                      PlanePositionSequence=[item(ImagePositionPatient=[-5.0, 4.0, z])]) for n, z, _ in frames]
    shared = item(PlaneOrientationSequence=[item(ImageOrientationPatient=[1, 0, 0, 0, 1, 0])],
                  PixelMeasuresSequence=[item(PixelSpacing=[0.8, 0.7], SpacingBetweenSlices=2.5)])
    _dicom_file(path, SEG_UID, Modality="SEG", SegmentationType="BINARY", Rows=h, Columns=w,
                NumberOfFrames=len(frames), BitsAllocated=1, BitsStored=1, HighBit=0, PixelRepresentation=0,
                SamplesPerPixel=1, PhotometricInterpretation="MONOCHROME2",
                SegmentSequence=[item(SegmentNumber=i + 1, SegmentLabel=n) for i, n in enumerate(labels)],
                SharedFunctionalGroupsSequence=[shared], PerFrameFunctionalGroupsSequence=per_frame,
                PixelData=pack_bits(np.stack([f for _, _, f in frames]).astype(np.uint8)))


def test_multi_frame_seg_over_a_series_is_placed_by_position(tmp_path: Path) -> None:
    zs = _series(tmp_path / "images" / "case1")
    a = np.zeros((6, 6), np.uint8)
    a[1:3, 1:4] = 1
    b = np.zeros((6, 6), np.uint8)
    b[4, 4] = 1
    (tmp_path / "labels").mkdir()
    # frames out of order, and slice 0 and 2 left out (empty): they must land on slices 3 and 1
    _seg(tmp_path / "labels" / "case1.dcm", [(2, zs[3], b), (1, zs[1], a), (1, zs[3], a)], ["Liver", "Tumour"])
    src = load_seg_source(tmp_path, test_fraction=0, val_fraction=0)
    assert src.label_names == ["background", "Liver", "Tumour"] and src.spatial_dims == 3
    with reading_orientation(None):  # stored order: rows and columns as written
        stored = src.load_case("train", 0)
    assert stored.image.shape == (1, 4, 6, 6) and stored.image[0, :, 0, 0].tolist() == [0, 1, 2, 3]
    assert stored.mask.shape == (4, 6, 6)
    assert stored.mask[0].sum() == 0 and stored.mask[2].sum() == 0
    assert (stored.mask[1] == a).all() and stored.mask[3, 4, 4] == 2 and (stored.mask[3] == 1).sum() == a.sum()
    # RAS (the default): the axial series (columns to patient left, rows to posterior) and its SEG
    # are both flipped along rows and columns, so they still line up
    case = src.load_case("train", 0)
    np.testing.assert_array_equal(case.image, stored.image[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(case.mask, stored.mask[:, ::-1, ::-1])
    alone = read_mask(tmp_path / "labels" / "case1.dcm")  # without the series: its own two slices
    assert alone.shape == (2, 6, 6) and alone[1, 4, 4] == 2

    out = write_mask(tmp_path / "pred.nii.gz", case.mask, tmp_path / "images" / "case1")
    written = read_image(out, None)  # as stored: the series' own voxel order
    assert written.spacing == pytest.approx((2.5, 0.8, 0.7))
    np.testing.assert_allclose(written.affine[:3, 3], [5.0, -4.0, zs[0]])  # LPS -> RAS origin of slice 0
    np.testing.assert_array_equal(written.array[0], stored.mask)
    np.testing.assert_array_equal(read_mask(out), case.mask)


def test_seg_frames_without_positions_on_several_slices_are_refused(tmp_path: Path) -> None:
    from pydicom import dcmread

    frame = np.ones((4, 4), np.uint8)
    _seg(tmp_path / "s.dcm", [(1, 0.0, frame), (1, 1.0, frame)], ["A"])
    ds = dcmread(tmp_path / "s.dcm")
    for item in ds.PerFrameFunctionalGroupsSequence:
        del item.PlanePositionSequence
    ds.save_as(tmp_path / "s.dcm")
    with pytest.raises(DataError, match=r"s\.dcm: frames have no ImagePositionPatient"):
        read_mask(tmp_path / "s.dcm")


def test_liver_one_frame_seg(shared_data: Path) -> None:
    path = shared_data / "dicom-samples" / "liver_1frame.dcm"
    if not path.is_file():
        pytest.skip(f"{path} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    from meddx.data.masks import load_mask

    mask = load_mask(path)
    assert mask.array.shape == (512, 512) and mask.array.dtype == np.int64
    assert set(np.unique(mask.array).tolist()) == {0, 1} and int(mask.array.sum()) == 36233
    assert mask.names == ["Liver"] and mask.spacing == pytest.approx((0.810547, 0.810547))
