"""``data info`` warns when a source mixes integer and floating-point pixel values.

Found by an audit: a CT DICOM (modality values, float32 HU) filed among 8-bit chest X-ray PNGs was
trained on at -3.4..3.2 beside 0..1 for the PNGs, as the default scaling, then decided by the first
training image, divided it by 255 too; ``data info`` showed the two dtype rows without a word.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from meddx.cli.data_print import _print_info
from meddx.data.info import source_info
from meddx.data.sources import load_source
from meddx.transforms.image import ImagePreprocessor, MixedIntensities


def _folder(root: Path, with_float: bool) -> Path:
    rng = np.random.default_rng(0)
    for cls in ("normal", "pneumonia"):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 255, (16, 16), dtype=np.uint8)).save(root / cls / f"{i}.png")
    if with_float:  # a one-slice NIfTI in HU: float32, read as 2D
        hu = rng.uniform(-900, 1200, (16, 16, 1)).astype(np.float32)
        nib.save(nib.Nifti1Image(hu, np.eye(4)), root / "normal" / "ct.nii.gz")
    return root


def test_integer_and_float_files_are_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = load_source(str(_folder(tmp_path / "mixed", with_float=True)))
    info = source_info(source)
    assert info["dtype_mix"] and "float32 (1), uint8 (6)" in info["dtype_mix"]
    assert "'scaling: percentile'" in info["dtype_mix"] and "first training image" not in info["dtype_mix"]
    json.dumps(info)  # --json dumps it as is
    _print_info(info)
    out = " ".join(capsys.readouterr().err.split())  # warnings: on stderr
    assert "warning: the decoded files mix integer and floating-point pixel values" in out
    # what it warns of: 'auto' has no one mode for the folder (training falls back to percentile)
    train = source.split("train")
    images = [source.get_image("train", i) for i in range(len(train))]
    with pytest.raises(MixedIntensities):
        ImagePreprocessor((16, 16), 1, normalize=False).fit(images)


def test_files_of_one_kind_are_not_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = source_info(load_source(str(_folder(tmp_path / "pngs", with_float=False))))
    assert info["dtype_mix"] is None
    _print_info(info)
    assert "floating-point" not in "".join(capsys.readouterr())  # neither stream


def test_8_bit_and_16_bit_files_are_warned_about_as_training_mixes_them(tmp_path: Path) -> None:
    """Training refuses 'auto' over 8-bit and 16-bit images alike (MixedIntensities: percentiles for all);
    data info warned of integer/float mixes only."""
    root = _folder(tmp_path / "mixed16", with_float=False)
    Image.fromarray(np.full((16, 16), 3000, np.uint16)).save(root / "normal" / "wide.png")
    info = source_info(load_source(str(root)))
    assert info["dtype_mix"] and "8-bit and other integer pixel values" in info["dtype_mix"]
    assert "uint16 (1), uint8 (6)" in info["dtype_mix"]
