"""read_image: every supported format gives a channel-first array, errors are one-line DataErrors."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from meddx.core.errors import DataError
from meddx.data.io import IMAGE_EXTENSIONS, detect_kind, is_image_file, read_image


def write_dicom(path: Path, pixels: np.ndarray, *, position: float | None = None, series: str | None = None,
                slope: float | None = None, intercept: float | None = None, with_pixels: bool = True) -> Path:
    """A minimal MR DICOM file (int16, 0.5 x 0.7 mm pixels); 3D ``pixels`` make a multi-frame file."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.SeriesInstanceUID = series or generate_uid()
    ds.Modality = "MR"
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelSpacing = [0.5, 0.7]
    if position is not None:
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [0, 0, position]
    if slope is not None:
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept or 0
    if pixels.ndim == 3:
        ds.NumberOfFrames = pixels.shape[0]
        ds.SliceThickness = 2.5
    if with_pixels:
        ds.PixelData = pixels.astype("<i2").tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def test_png_grey_16bit_rgb_rgba_palette(tmp_path: Path) -> None:
    grey = np.arange(48, dtype=np.uint8).reshape(6, 8)
    Image.fromarray(grey).save(tmp_path / "g.png")
    out = read_image(tmp_path / "g.png")
    assert out.array.shape == (1, 6, 8) and out.array.dtype == np.uint8
    np.testing.assert_array_equal(out.array[0], grey)
    assert out.spacing is None and out.path.endswith("g.png")

    deep = (np.arange(48, dtype=np.uint16) * 1000).reshape(6, 8)
    Image.fromarray(deep).save(tmp_path / "d.png")
    out = read_image(tmp_path / "d.png")
    assert out.array.dtype == np.uint16
    np.testing.assert_array_equal(out.array[0], deep)

    rgb = np.random.default_rng(0).integers(0, 255, (6, 8, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    np.testing.assert_array_equal(read_image(tmp_path / "c.png").array, rgb.transpose(2, 0, 1))

    Image.fromarray(np.dstack([rgb, np.full((6, 8), 255, np.uint8)])).save(tmp_path / "a.png")
    assert read_image(tmp_path / "a.png").array.shape == (3, 6, 8)  # opaque alpha: dropped without loss
    Image.fromarray(np.dstack([rgb, np.full((6, 8), 128, np.uint8)])).save(tmp_path / "t.png")
    with pytest.raises(DataError, match="t.png: 48 of 48 pixels are transparent or translucent"):
        read_image(tmp_path / "t.png")  # translucent: refused (test_png_values.py)
    Image.fromarray(rgb).convert("P").save(tmp_path / "p.png")
    assert read_image(tmp_path / "p.png").array.shape == (3, 6, 8)


def test_jpeg_and_content_detection_beats_the_extension(tmp_path: Path) -> None:
    img = np.random.default_rng(1).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(img).save(tmp_path / "x.jpg")
    assert read_image(tmp_path / "x.jpg").array.shape == (3, 16, 16)
    Image.fromarray(img[..., 0]).save(tmp_path / "misnamed.jpg", format="PNG")
    assert detect_kind(tmp_path / "misnamed.jpg") == "pil"
    assert read_image(tmp_path / "misnamed.jpg").array.shape == (1, 16, 16)
    (tmp_path / "IM0001").write_bytes((tmp_path / "x.jpg").read_bytes())
    assert is_image_file(tmp_path / "IM0001")
    assert read_image(tmp_path / "IM0001").array.shape == (3, 16, 16)
    assert ".nii.gz" in IMAGE_EXTENSIONS and ".dcm" in IMAGE_EXTENSIONS


def test_dicom_single_rescaled_and_multiframe(tmp_path: Path) -> None:
    px = np.arange(12, dtype=np.int16).reshape(3, 4)
    out = read_image(write_dicom(tmp_path / "a.dcm", px, slope=2.0, intercept=-100))
    assert out.array.shape == (1, 3, 4) and out.array.dtype == np.float32
    np.testing.assert_allclose(out.array[0], px * 2.0 - 100)
    assert out.spacing == (0.5, 0.7)

    plain = read_image(write_dicom(tmp_path / "IMG0002", px))  # no extension: found by 'DICM'
    assert plain.array.dtype == np.int16

    frames = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    out = read_image(write_dicom(tmp_path / "mf.dcm", frames))
    assert out.array.shape == (1, 2, 3, 4)
    assert out.spacing == (2.5, 0.5, 0.7)


def test_dicom_series_sorted_by_position(tmp_path: Path) -> None:
    series = generate_uid()
    folder = tmp_path / "series"
    folder.mkdir()
    for name, z in [("b.dcm", 6.0), ("a.dcm", 0.0), ("c.dcm", 3.0)]:  # file order != z order
        write_dicom(folder / name, np.full((3, 4), int(z), np.int16), position=z, series=series)
    out = read_image(folder)
    assert out.array.shape == (1, 3, 3, 4)
    assert [int(out.array[0, k, 0, 0]) for k in range(3)] == [0, 3, 6]
    assert out.spacing == (3.0, 0.5, 0.7)

    write_dicom(folder / "other.dcm", np.zeros((3, 4), np.int16), position=9.0)  # a second series
    with pytest.raises(DataError, match="2 DICOM series"):
        read_image(folder)


def test_nifti_3d_and_4d(tmp_path: Path) -> None:
    vol = np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4)  # (x, y, z)
    nib.save(nib.Nifti1Image(vol, np.diag([0.8, 0.9, 2.0, 1.0])), tmp_path / "v.nii.gz")
    out = read_image(tmp_path / "v.nii.gz")
    assert out.array.shape == (1, 4, 3, 2)  # (C, z, y, x)
    assert out.array[0, 3, 2, 1] == vol[1, 2, 3]
    assert out.spacing == pytest.approx((2.0, 0.9, 0.8))
    assert detect_kind(tmp_path / "v.nii.gz") == "nifti"

    nib.save(nib.Nifti1Image(np.zeros((2, 3, 4, 5), np.float32), np.eye(4)), tmp_path / "t.nii")
    assert read_image(tmp_path / "t.nii").array.shape == (5, 4, 3, 2)


def test_errors_are_one_line_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing.png: no such file"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "bad.png").write_bytes(b"this is not an image")
    with pytest.raises(DataError) as err:
        read_image(tmp_path / "bad.png")
    msg = str(err.value)
    assert "bad.png: cannot decode image" in msg and "expected PNG/JPEG/DICOM/NIfTI" in msg and "\n" not in msg

    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "t.jpg")
    data = (tmp_path / "t.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated.jpg: cannot decode image"):
        read_image(tmp_path / "truncated.jpg")

    with pytest.raises(DataError, match="without pixel data"):
        read_image(write_dicom(tmp_path / "nopix.dcm", np.zeros((2, 2), np.int16), with_pixels=False))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="unrecognised"):
        read_image(tmp_path / "notes.txt")
