"""Train on a CSV manifest of DICOM series folders with no val split (validation is carved from
train, hashing each folder's files), then predict a series folder exported with its RT structure set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

RT_STRUCT_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"


def _save(path: Path, ds: Dataset, sop_class: str) -> None:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, ds.file_meta.MediaStorageSOPInstanceUID
    ds.save_as(path, enforce_file_format=True)


def write_series(folder: Path, volume: np.ndarray, series: str) -> Path:
    """A 12-bit (in 16) axial series, one file per slice, 1 mm apart."""
    folder.mkdir(parents=True)
    for k, plane in enumerate(volume):
        ds = Dataset()
        ds.Modality, ds.SeriesInstanceUID, ds.InstanceNumber = "MR", series, k + 1
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        ds.ImagePositionPatient = [0.0, 0.0, float(k)]
        ds.PixelSpacing = [1.0, 1.0]
        ds.Rows, ds.Columns = plane.shape
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = plane.astype(np.uint16).tobytes()
        _save(folder / f"IM{k:04d}.dcm", ds, MRImageStorage)
    return folder


def add_rtstruct(folder: Path) -> None:
    """A structure set in its own series, saved beside the image slices as exports do."""
    ds = Dataset()
    ds.Modality, ds.SeriesInstanceUID = "RTSTRUCT", generate_uid()
    _save(folder / "zz_rtstruct.dcm", ds, RT_STRUCT_STORAGE)


@pytest.mark.slow
def test_train_on_series_manifest_without_val_then_predict_series_with_rtstruct(
        tmp_path: Path, meddx_home: Path, capsys) -> None:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(12):
        volume = rng.integers(0, 4096, (6, 12, 12))
        volume[:, 4:8, 4:8] = 4095 if i % 2 else 0  # a bright or dark core: the label
        write_series(tmp_path / f"s{i}", volume, series=f"1.9.{i}")
        rows.append((f"s{i}", "ab"[i % 2]))
    add_rtstruct(tmp_path / "s0")
    with open(tmp_path / "series.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([("path", "label"), *rows])
    result = run_cli(["train", "--data", str(tmp_path / "series.csv"), "--model", "seed-cnn", "--epochs", "1",
                      "--image-size", "12", "--name", "series3d", "--no-progress"], capsys)
    assert result.code == 0, result.err
    config = json.loads((meddx_home / "bundles" / "series3d" / "v1" / "config.json").read_text())
    assert config["spatial_dims"] == 3
    assert config["training"]["spacing"]["median"] == [1.0, 1.0, 1.0]  # slices 1 mm apart, 1 mm pixels

    result = run_cli(["predict", "series3d", str(tmp_path / "s0"), "--json"], capsys)
    assert result.code == 0, result.err
    row = json.loads(result.out)
    assert row["label"] in ("a", "b")
    assert row["spacing"] == row["training_spacing"] == [1.0, 1.0, 1.0] and "spacing_warning" not in row
