"""A DICOM series folder whose slices record different pixel spacings (or, without positions,
different slice thicknesses) is refused, naming the folder, two files and their values; rounding
differences between exporters are tolerated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from meddx.core.errors import DataError
from meddx.data.io import read_image


def write_slice(path: Path, k: int, spacing: list[float], *, z: float | None, thickness: float = 3.0) -> None:
    """Slice ``k`` (all pixels ``k``) of one axial MR series, at ``(0, 0, z)`` unless ``z`` is None."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = MRImageStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesInstanceUID, ds.InstanceNumber = "MR", "1.2.3.4.5", k + 1
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 4, 5, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelSpacing, ds.SliceThickness = spacing, thickness
    if z is not None:
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.ImagePositionPatient = [0.0, 0.0, float(z)]
    ds.PixelData = np.full((4, 5), k, np.int16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def test_series_with_slices_of_another_pixel_spacing_is_refused_naming_both(tmp_path: Path) -> None:
    folder = tmp_path / "ct_series"
    folder.mkdir()
    for k in range(4):
        write_slice(folder / f"{k}.dcm", k, [0.7, 0.7] if k != 2 else [0.9, 0.9], z=2.0 * k)
    with pytest.raises(DataError) as err:
        read_image(folder)
    message = str(err.value)
    assert "ct_series" in message and "0.7 x 0.7 mm in 0.dcm" in message and "0.9 x 0.9 mm in 2.dcm" in message
    assert "PixelSpacing" in message and "\n" not in message


def test_series_without_positions_and_two_slice_thicknesses_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "no_positions"
    folder.mkdir()
    for k in range(3):
        write_slice(folder / f"{k}.dcm", k, [0.5, 0.5], z=None, thickness=5.0 if k == 1 else 1.0)
    with pytest.raises(DataError, match=r"SliceThickness 1 mm in 0\.dcm, SliceThickness 5 mm in 1\.dcm"):
        read_image(folder)


def test_rounded_spacings_and_thicknesses_of_a_positioned_series_are_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "rounded"
    folder.mkdir()
    for k in range(3):  # 0.703125 written as 0.7031 by another exporter; thickness is not the step here
        write_slice(folder / f"{k}.dcm", k, [0.703125, 0.703125] if k else [0.7031, 0.7031], z=2.0 * k,
                    thickness=1.0 + k)
    loaded = read_image(folder, None)
    assert loaded.array.shape == (1, 3, 4, 5) and loaded.spacing == pytest.approx((2.0, 0.7031, 0.7031))
