"""DICOM read errors do not carry header values or series UIDs into the terminal and logs.

Found while serving DICOM series ZIPs: the server withheld them, but ``meddx predict``/``train`` on the
same files printed ``could not convert string to float: 'DOE^JANE'`` (a patient's name in a numeric
tag) and ``holds 2 DICOM series (SeriesInstanceUID 1.2.3..., ...)``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.io import read_image
from tests.dicom_slices import write_ct_slice


def _series(folder: Path, series: str, prefix: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(3):
        write_ct_slice(folder / f"{prefix}s{k}.dcm", np.full((8, 8), 100 * k, np.int16), series=series,
                       number=k + 1, position=[0.0, 0.0, 1.5 * k], spacing=[1.0, 1.0])
    return folder


def test_a_header_value_that_breaks_decoding_is_withheld(tmp_path: Path) -> None:
    import pydicom

    folder = _series(tmp_path / "s", "1.2.826.0.1.3680043.8.498.1")
    first = sorted(folder.iterdir())[0]
    ds = pydicom.dcmread(first)
    del ds.RescaleSlope
    ds.add_new(0x00281053, "LO", "DOE^JANE")  # a name where a number belongs: Python's message quotes it
    ds.save_as(first, enforce_file_format=True)
    for target in (first, folder):
        with pytest.raises(DataError) as err:
            read_image(target)
        assert "DOE" not in str(err.value) and "(value withheld)" in str(err.value)
        assert str(err.value).startswith(f"{first}: cannot decode image")


def test_several_series_are_named_by_slice_count_and_first_file_not_uid(tmp_path: Path) -> None:
    folder = _series(tmp_path / "a", "1.2.826.0.1.3680043.8.498.1")
    for f in _series(tmp_path / "b", "1.2.826.0.1.3680043.8.498.77", prefix="x").iterdir():
        shutil.copy(f, folder / f.name)
    with pytest.raises(DataError) as err:
        read_image(folder)
    msg = str(err.value)
    assert "holds 2 DICOM series" in msg and "3 slices from s0.dcm" in msg and "3 slices from xs0.dcm" in msg
    assert "1.2.826" not in msg and "\n" not in msg
