"""../shared/data/dicom-mr-series listed in a CSV manifest without a patient_id column: each series folder's
patient is the PatientID of its first image (two studies of two patients), as an image folder's files give theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.realdata


def test_series_folders_of_a_manifest_take_their_patient_ids(shared_data: Path, tmp_path: Path) -> None:
    from meddx.data.manifest import load_manifest

    root = shared_data / "dicom-mr-series"
    if not root.exists():
        pytest.skip(f"{root} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    csv = tmp_path / "series.csv"
    csv.write_text(f"path,label\n{root}/Study1/13_HCropVolume,a\n{root}/Study2/14_HCropVolume,b\n")
    source = load_manifest(csv)
    assert source.splits["train"].patient_ids == ["PGBM-002", "PGBM-006"]  # the two studies' PatientIDs
    assert "patient ids read from DICOM PatientID (2 patients)" in source.notes
