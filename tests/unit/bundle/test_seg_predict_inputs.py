"""``SegPredictor.predict_files``: an input of the wrong dimensionality is refused naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from meddx.bundle.seg_predictor import SegPredictor
from meddx.core.errors import DataError


class _Threshold(nn.Module):
    """Foreground where the (z-scored) input is above its mean."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([-x, x], dim=1) * 10.0


def _predictor_2d(size: int = 32) -> SegPredictor:
    config = {
        "name": "threshold", "task": "segmentation", "label_names": ["background", "disc"],
        "model": {"name": "none", "num_classes": 2, "args": {}},
        "preprocessing": {"kind": "segmentation", "spatial_dims": 2, "channels": 1, "size": [size, size],
                          "target_spacing": None, "normalization": "zscore", "ct_stats": None},
        "inference": {"patch_size": [size, size], "overlap": 0.5, "mirror": False, "mirror_axes": []},
    }
    return SegPredictor(config, _Threshold())


def test_a_volume_given_to_a_2d_bundle_is_refused_naming_the_file(tmp_path: Path) -> None:
    """Found by an audit: ``meddx predict hc18 scan.nii.gz`` said "image has 3 spatial dimensions
    ..." without naming the file, which matters when a folder of many inputs is predicted."""
    import nibabel as nib

    image = np.zeros((40, 40), np.uint8)
    image[10:30, 12:28] = 200
    Image.fromarray(image).save(tmp_path / "slice.png")
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random((28, 28, 10)).astype(np.float32), np.eye(4)),
             str(tmp_path / "scan.nii.gz"))
    predictor = _predictor_2d()
    rows = predictor.predict_files([tmp_path / "slice.png"], tmp_path / "out", overlays=False)
    written = np.asarray(Image.open(rows[0]["mask"]))
    assert written.shape == (40, 40) and (written == (image > 0)).mean() > 0.95
    with pytest.raises(DataError, match=r"scan\.nii\.gz: image has 3 spatial dimensions .* segments 2D images"):
        predictor.predict_files([tmp_path / "scan.nii.gz"], tmp_path / "out2")
