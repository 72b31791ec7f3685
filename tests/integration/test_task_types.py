"""Multi-class and multi-label training end to end, and prediction on DICOM / NIfTI files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from cli_helpers import run_cli

from meddx.data.synthetic import make_findings_source, make_lesion_source, write_image_folder, write_manifest


def test_multiclass_image_folder(tmp_path: Path, meddx_home: Path, capsys) -> None:
    root = write_image_folder(make_findings_source("multiclass", seed=2), tmp_path / "folder")
    result = run_cli(["train", "--data", str(root), "--model", "seed-cnn", "--epochs", "10", "--lr", "0.005",
                      "--name", "mc", "--no-progress"], capsys)
    assert result.code == 0, result.err
    metrics = json.loads((meddx_home / "bundles" / "mc" / "v1" / "metrics.json").read_text())["test"]
    assert metrics["task"] == "multiclass" and metrics["label_names"] == ["bright", "dark", "none"]
    assert metrics["auc"] >= 0.9 and metrics["accuracy"] >= 0.7, metrics
    assert len(metrics["confusion_matrix"]) == 3
    png = next((root / "test" / "dark").glob("*.png"))
    pred = json.loads(run_cli(["predict", "mc", str(png), "--json"], capsys).out)
    assert pred["label"] in ("bright", "dark", "none") and len(pred["probabilities"]) == 3


def test_multilabel_csv_manifest(tmp_path: Path, meddx_home: Path, capsys) -> None:
    manifest = write_manifest(make_findings_source("multilabel", seed=3), tmp_path / "ml")
    result = run_cli(["train", "--data", str(manifest), "--model", "seed-cnn", "--epochs", "10", "--lr", "0.005",
                      "--name", "ml", "--no-progress"], capsys)
    assert result.code == 0, result.err
    metrics = json.loads((meddx_home / "bundles" / "ml" / "v1" / "metrics.json").read_text())["test"]
    assert metrics["task"] == "multilabel" and metrics["label_names"] == ["bright", "dark"]
    assert metrics["auc"] >= 0.9, metrics
    image = tmp_path / "ml" / "images" / "test-0.png"
    pred = json.loads(run_cli(["predict", "ml", str(image), "--json"], capsys).out)
    assert isinstance(pred["label"], list) and set(pred["probabilities"]) == {"bright", "dark"}


def test_deterministic_runs_give_identical_weights(tmp_path: Path, meddx_home: Path, capsys) -> None:
    from safetensors.torch import load_file

    root = write_image_folder(make_lesion_source(120, 40, 40, seed=5, contrast=2.0), tmp_path / "f")
    for name in ("det-a", "det-b"):
        result = run_cli(["train", "--data", str(root), "--model", "seed-cnn", "--epochs", "2", "--seed", "3",
                          "--deterministic", "--name", name, "--no-progress"], capsys)
        assert result.code == 0, result.err
    a = load_file(str(meddx_home / "bundles" / "det-a" / "v1" / "weights.safetensors"))
    b = load_file(str(meddx_home / "bundles" / "det-b" / "v1" / "weights.safetensors"))
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_predict_dicom_file_with_2d_bundle(trained: dict, tmp_path: Path, capsys, monkeypatch) -> None:
    import pydicom
    from PIL import Image
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    png = next((trained["folder"] / "test" / "lesion").glob("*.png"))
    pixels = np.asarray(Image.open(png)).astype(np.uint16) * 4  # 10-bit-like range, as a scanner writes
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = pydicom.uid.SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(tmp_path / "x.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.Rows, ds.Columns = "CR", *pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelSpacing = [0.5, 0.5]
    ds.PixelData = pixels.tobytes()
    ds.save_as(tmp_path / "x.dcm", enforce_file_format=True)
    result = run_cli(["predict", "lesions", str(tmp_path / "x.dcm"), "--json"], capsys)
    assert result.code == 0, result.err
    assert json.loads(result.out)["label"] in ("lesion", "normal")


def test_3d_npz_training_and_nifti_prediction(tmp_path: Path, meddx_home: Path, capsys) -> None:
    import nibabel as nib

    source = make_lesion_source(120, 40, 40, size=(16, 16, 16), seed=4, contrast=2.0)
    arrays = {}
    for split, data in source.splits.items():  # MedMNIST layout: (N, D, H, W) and (N, 1) labels
        arrays[f"{split}_images"] = data.images[:, 0]
        arrays[f"{split}_labels"] = data.labels[:, None]
    npz = tmp_path / "volumes3d.npz"
    np.savez(npz, **arrays)
    result = run_cli(["train", "--data", str(npz), "--model", "seed-cnn", "--epochs", "3", "--name", "vol",
                      "--no-progress"], capsys)
    assert result.code == 0, result.err
    config = json.loads((meddx_home / "bundles" / "vol" / "v1" / "config.json").read_text())
    assert config["spatial_dims"] == 3 and config["preprocessing"]["spatial_size"] == [16, 16, 16]
    assert config["orientation"] == "RAS"  # predict reads volumes turned to RAS, as training did
    files = []
    for i in range(3):
        path = tmp_path / f"vol{i}.nii.gz"
        nib.save(nib.Nifti1Image(source.splits["test"].images[i, 0].astype(np.float32), np.eye(4)), path)
        files.append(str(path))
    result = run_cli(["predict", "vol", *files, "--json"], capsys)
    assert result.code == 0, result.err
    assert len(result.out.strip().splitlines()) == 3
