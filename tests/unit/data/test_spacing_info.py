"""3D classification shows the voxel spacing: ``data info`` per split, the bundle records the
training spacing, and ``meddx predict`` shows each file's and warns when it is off the training
one (classification resizes volumes without resampling, so one spacing has to be kept)."""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from meddx.bundle.bundle import save_bundle
from meddx.bundle.spacing import spacing_warning
from meddx.cli.data_print import _print_info
from meddx.data.base import ImageSource, SplitData
from meddx.data.info import source_info, training_spacing
from meddx.data.sources import load_source
from meddx.models.registry import create_model
from meddx.training.finish import spacing_field
from meddx.transforms.image import ImagePreprocessor


def _nifti(path: Path, spacing_zyx: tuple[float, float, float], seed: int = 0) -> Path:
    vol = np.random.default_rng(seed).integers(0, 255, (6, 7, 8), dtype=np.uint8)  # (z, y, x)
    affine = np.diag([spacing_zyx[2], spacing_zyx[1], spacing_zyx[0], 1.0])  # RAS, (x, y, z) zooms
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(vol.transpose(2, 1, 0), affine), path)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for i in range(3):
        for cls in ("a", "b"):
            _nifti(tmp_path / "vols" / cls / f"{cls}{i}.nii.gz", (2.0, 0.9, 0.8), seed=i)
    return tmp_path / "vols"


def test_data_info_shows_the_spacing_of_nifti_volumes(folder: Path, capsys) -> None:
    info = source_info(load_source(str(folder)))
    sp = info["splits"]["train"]["spacing"]
    assert sp["median"] == [2.0, 0.9, 0.8] and sp["min"] == sp["max"] == [2.0, 0.9, 0.8]
    assert sp["known"] == sp["decoded"] == info["splits"]["train"]["decoded"] and not sp["varies"]
    _print_info(info)
    captured = capsys.readouterr()
    out = captured.out
    assert "spacing train (mm, dz x dy x dx): median 2x0.9x0.8" in out and "varies" not in out + captured.err


def test_data_info_warns_when_the_spacing_varies(folder: Path, capsys) -> None:
    for i in range(4):
        _nifti(folder / "ab"[i % 2] / f"thin{i}.nii.gz", (1.0, 0.9, 0.8), seed=10 + i)
    info = source_info(load_source(str(folder)))
    sp = info["splits"]["train"]["spacing"]  # at least 2 of the 4 thin volumes are in train (1 of 10 is val)
    assert sp["min"] == [1.0, 0.9, 0.8] and sp["max"] == [2.0, 0.9, 0.8] and sp["varies"]
    _print_info(info)
    assert "spacing varies across train files" in capsys.readouterr().err


def test_an_array_source_says_it_records_no_spacing(capsys) -> None:
    images = np.zeros((4, 1, 8, 8, 8), np.uint8)  # as MedMNIST 3D: arrays without spacing
    source = ImageSource(name="m3d", origin="test", task="binary", label_names=["a", "b"], spatial_dims=3,
                         splits={"train": SplitData(ids=list("wxyz"), labels=np.array([0, 1, 0, 1]), images=images)})
    info = source_info(source)
    assert info["splits"]["train"]["spacing"] is None
    assert training_spacing(source) is None and spacing_field(source) == {}
    _print_info(info)
    assert "spacing: not recorded (in-memory arrays such as MedMNIST carry none)" in capsys.readouterr().out


def test_the_bundle_records_the_training_spacing(folder: Path) -> None:
    source = load_source(str(folder))
    assert spacing_field(source) == {"spacing": training_spacing(source)}
    assert training_spacing(source)["median"] == [2.0, 0.9, 0.8]


def test_the_warning_tolerates_rounding_but_not_another_spacing() -> None:
    trained = {"median": [2.0, 0.9, 0.8], "min": [2.0, 0.9, 0.8], "max": [2.0, 0.9, 0.8]}
    assert spacing_warning("v", (2.05, 0.92, 0.8), trained) is None
    warning = spacing_warning("v.nii.gz", (1.0, 0.9, 0.8), trained)
    assert warning.startswith("v.nii.gz: voxel spacing 1x0.9x0.8 mm differs from the training spacing 2x0.9x0.8")
    assert "on axis z;" in warning and "\n" not in warning
    assert "records no voxel spacing" in spacing_warning("t.tif", None, trained)


@pytest.fixture
def bundle3d(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    pre = ImagePreprocessor((12, 12, 12), 1).fit([np.arange(512, dtype=np.uint8).reshape(1, 8, 8, 8)])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=12, spatial_dims=3).eval()
    config = {"name": "vol", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 3,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 12, "spatial_dims": 3},
                        "num_classes": 2}, "orientation": "RAS",
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": [],
              "training": {"spacing": {"median": [2.0, 0.9, 0.8], "min": [2.0, 0.9, 0.8], "max": [2.0, 0.9, 0.8],
                                       "known": 6, "decoded": 6, "varies": False}}}
    return save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="# card")


def test_predict_json_shows_the_spacing_read_and_warns_when_it_differs(bundle3d: Path, tmp_path: Path, capsys) -> None:
    from tests.integration.cli_helpers import run_cli

    same = _nifti(tmp_path / "same.nii.gz", (2.0, 0.9, 0.8))
    thin = _nifti(tmp_path / "thin.nii.gz", (1.0, 0.9, 0.8))
    result = run_cli(["predict", str(bundle3d), str(same), str(thin), "--json"], capsys)
    assert result.code == 0, result.err
    rows = {Path(r["source"]).name: r for r in map(json.loads, result.out.splitlines())}
    assert rows["same.nii.gz"]["spacing"] == [2.0, 0.9, 0.8] and rows["thin.nii.gz"]["spacing"] == [1.0, 0.9, 0.8]
    assert rows["same.nii.gz"]["training_spacing"] == [2.0, 0.9, 0.8]
    assert "spacing_warning" not in rows["same.nii.gz"] and "thin.nii.gz" in rows["thin.nii.gz"]["spacing_warning"]
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "thin.nii.gz: voxel spacing 1x0.9x0.8 mm" in warnings[0]
    table = run_cli(["predict", str(bundle3d), str(same)], capsys)
    assert "spacing (mm" in table.out and "2x0.9x0.8" in table.out and "trained at spacing 2x0.9x0.8" in table.out


def test_a_2d_source_whose_pixel_spacing_varies_says_image_not_volume(tmp_path: Path, capsys) -> None:
    # X-rays from two detectors: the warning said "resizes each volume" for 2D files
    import pydicom

    from tests.unit.data.test_image_io import write_dicom

    for cls in ("a", "b"):
        for i, spacing in enumerate((0.5, 0.5, 1.0)):
            (tmp_path / "xr" / cls).mkdir(parents=True, exist_ok=True)
            path = write_dicom(tmp_path / "xr" / cls / f"{i}.dcm", np.full((6, 8), 10 * i, np.int16))
            ds = pydicom.dcmread(path)
            ds.PixelSpacing = [spacing, spacing]
            ds.save_as(path)
    info = source_info(load_source(str(tmp_path / "xr")))
    assert info["spatial_dims"] == 2 and info["splits"]["train"]["spacing"]["varies"]
    _print_info(info)
    out = " ".join(capsys.readouterr().err.split())  # the warning: on stderr
    assert "classification resizes each image to the model's input without resampling" in out
