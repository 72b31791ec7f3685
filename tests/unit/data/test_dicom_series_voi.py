"""A DICOM series folder of X-ray slices read through their VOI is divided by what each slice is
divided by alone: a window over rescaled values (RescaleSlope 0.5) spreads its output over 16
bits, and the series took BitsStored (4095) as its top instead, so its intensities reached 16
instead of 1. Raw series keep ``2**BitsStored - 1``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from meddx.data.io import read_image
from tests.unit.data.test_dicom_voi import _detector, _picture, write_xray


def _series(folder: Path, **attrs: object) -> Path:
    folder.mkdir()
    for k in range(3):
        write_xray(folder / f"{k}.dcm", _detector(_picture()), modality="XA", SeriesInstanceUID="1.2.826.0.1.3680043.9",
                   InstanceNumber=k + 1, ImageOrientationPatient=[1, 0, 0, 0, 1, 0],
                   ImagePositionPatient=[0, 0, float(k)], PixelSpacing=[1, 1], **attrs)
    return folder


def _top(array: np.ndarray) -> float:
    """What dtype scaling divides ``array`` by."""
    return float(getattr(array, "value_max", None) or np.iinfo(array.dtype).max)


def test_a_series_of_windowed_slices_is_scaled_as_each_slice(tmp_path: Path) -> None:
    folder = _series(tmp_path / "xa", RescaleSlope=0.5, RescaleIntercept=0, WindowCenter=1000, WindowWidth=1000)
    volume, one = read_image(folder).array, read_image(folder / "0.dcm").array
    assert int(volume.max()) == 65535 and _top(one) == 65535  # the window's output, spread over 16 bits
    assert _top(volume) == _top(one)  # was 4095 (BitsStored): the volume scaled to 0..16
    # the same values (the volume is turned to RAS, so its rows and columns may be flipped)
    np.testing.assert_array_equal(np.sort(np.asarray(volume)[0, 0], axis=None), np.sort(np.asarray(one), axis=None))


def test_a_raw_12_bit_series_is_still_divided_by_4095(tmp_path: Path) -> None:
    volume = read_image(_series(tmp_path / "raw")).array  # no window: stored values
    assert volume.dtype == np.uint16 and getattr(volume, "value_max", None) == 4095
