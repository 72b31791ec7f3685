"""A real MR series (../shared/data/dicom-mr-series) explained by a 3D bundle: the attribution map is
written as NIfTI on the series' own grid (columns x rows x slices) with the affine its DICOM geometry
gives, so it opens on the series in a viewer; the map holds the explanation resized to that grid."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from tests.integration.cli_helpers import run_cli

pytestmark = pytest.mark.realdata


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    return path


def test_a_real_series_map_lies_on_the_series_grid_and_geometry(shared_data: Path, tmp_path: Path, capsys) -> None:
    from meddx.bundle.bundle import save_bundle
    from meddx.data.io import read_image
    from meddx.data.seg_dicom import dicom_affine
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    series = _need(shared_data / "dicom-mr-series" / "Study1" / "13_HCropVolume")
    torch.manual_seed(0)
    pre = ImagePreprocessor((12, 12, 12), 1).fit([read_image(series).array.astype(np.float32)])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=12, spatial_dims=3).eval()
    config = {"name": "mr", "task": "binary", "label_names": ["a", "b"], "spatial_dims": 3, "orientation": "RAS",
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 12, "spatial_dims": 3},
                        "num_classes": 2}, "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    bundle = save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="# card")
    result = run_cli(["explain", str(bundle), str(series), "-m", "saliency", "--out", str(tmp_path / "out")], capsys)
    assert result.code == 0, result.err
    written = nib.load(str(tmp_path / "out" / "0001-13_HCropVolume-saliency.nii.gz"))
    assert written.shape == (35, 51, 32)  # columns, rows, slices of the stored series
    np.testing.assert_allclose(written.affine, dicom_affine(series), atol=1e-4)
    assert np.isfinite(np.asarray(written.dataobj)).all() and np.abs(np.asarray(written.dataobj)).max() > 0
