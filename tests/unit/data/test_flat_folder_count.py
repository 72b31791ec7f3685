"""A folder of images without class sub-folders is described by its images only. Found by an audit:
``meddx data info /work/shared/data/dicom-samples`` said "a folder of 12 images" for 9 DICOM files
beside README.txt, SOURCE.md and the licence."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.sources import load_source

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def test_notes_beside_the_images_are_not_counted(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"scan{i}.png").write_bytes(PNG)
    (tmp_path / "README.txt").write_text("where these came from\n")
    (tmp_path / "SOURCE.md").write_text("# source\n")
    (tmp_path / "LICENSE").write_text("MIT\n")
    with pytest.raises(DataError) as err:
        load_source(tmp_path)
    assert f"{tmp_path}: a folder of 3 PNG/JPEG/BMP/TIFF images without class sub-folders" in str(err.value)


def test_a_folder_of_notes_only_has_no_images(tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("nothing here\n")
    with pytest.raises(DataError, match="a folder without images or class sub-folders"):
        load_source(tmp_path)


@pytest.mark.realdata
def test_dicom_samples_counts_its_dicom_files(shared_data: Path) -> None:
    folder = shared_data / "dicom-samples"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    n_dicom = len(list(folder.glob("*.dcm")))
    with pytest.raises(DataError) as err:
        load_source(folder)
    assert f"a folder of {n_dicom} DICOM images without class sub-folders" in str(err.value)
