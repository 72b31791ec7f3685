"""Fingerprint, plan and preprocessing for segmentation: known inputs, known decisions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.core.errors import ConfigError, DataError
from meddx.training.config import TrainConfig
from meddx.training.seg_plan import fingerprint, make_seg_plan, read_seg_plan
from meddx.transforms.segmentation import SegPreprocessor


@dataclass
class _Case:
    image: np.ndarray
    mask: np.ndarray | None
    spacing: tuple[float, ...] | None


def _cases(shape: tuple[int, ...], spacing: tuple[float, ...] | None, n: int = 4, offset: float = 0.0) -> list[_Case]:
    out = []
    for i in range(n):
        mask = np.zeros(shape, dtype=np.int64)
        mask[tuple(slice(2, 6) for _ in shape)] = 1
        image = np.full((1, *shape), 10.0 + offset, dtype=np.float32)
        image[0][mask == 1] = 100.0 + offset + i  # foreground intensities 100..103
        out.append(_Case(image, mask, spacing))
    return out


def test_fingerprint_reports_sizes_spacings_foreground_and_classes() -> None:
    cases = _cases((10, 20, 30), (2.0, 1.0, 1.0)) + _cases((12, 20, 30), (3.0, 1.0, 1.0), n=1)
    fp = fingerprint(cases, ["background", "organ"])
    assert fp["n_cases"] == 5 and fp["spatial_dims"] == 3 and fp["channels"] == 1
    assert fp["shape"] == {"median": [10, 20, 30], "min": [10, 20, 30], "max": [12, 20, 30]}
    assert fp["spacing"]["median"] == [2.0, 1.0, 1.0] and fp["spacing"]["max"] == [3.0, 1.0, 1.0]
    fg = fp["intensity_foreground"]
    assert fg["min"] == 100.0 and fg["max"] == 103.0 and 100.0 < fg["mean"] < 103.0  # background never enters
    assert fp["classes"]["organ"]["cases_present"] == 5
    assert fp["classes"]["organ"]["voxel_fraction"] == pytest.approx(64 / 6000, rel=0.05)


def test_plan_2d_resizes_long_side_and_rounds_to_network_divisor() -> None:
    fp = fingerprint([_Case(np.zeros((1, 540, 800), np.uint8), np.ones((540, 800), np.int64), None)], ["bg", "head"])
    plan = make_seg_plan(TrainConfig(data="x"), fp)
    assert plan.spatial_dims == 2 and plan.size == plan.patch_size == [176, 256]  # 540*0.32=172.8 -> 176 (x16)
    assert plan.model == "unet" and plan.model_args["image_size"] == [176, 256]
    assert plan.normalization == "zscore" and "long side" in plan.reasons["size"]
    small = make_seg_plan(TrainConfig(data="x", image_size=128), fp)
    assert small.size == [96, 128]


def test_plan_3d_uses_median_spacing_and_dynunet_divisor() -> None:
    fp = fingerprint(_cases((36, 50, 35), (1.0, 1.0, 1.0)), ["bg", "a"])
    plan = make_seg_plan(TrainConfig(data="x"), fp)
    # 35 voxels allow 3 halvings (feature maps >= 4): a 4-level U-Net, patch in multiples of 8 (nnU-Net: 40x56x40)
    assert plan.target_spacing == [1.0, 1.0, 1.0] and plan.patch_size == [40, 56, 40]
    assert plan.model_args["channels"] == [16, 32, 64, 128]
    dyn = make_seg_plan(TrainConfig(data="x", model="dynunet"), fp)
    assert dyn.model_args["spacing"] == [1.0, 1.0, 1.0]
    assert all(p % 8 == 0 for p in dyn.patch_size) and dyn.patch_size[0] >= 36
    anisotropic = make_seg_plan(TrainConfig(data="x"), fingerprint(_cases((20, 100, 100), (5.0, 1.0, 1.0)), ["bg", "a"]))
    assert anisotropic.target_spacing == [5.0, 1.0, 1.0]


def test_ct_intensities_get_ct_normalisation() -> None:
    cases = _cases((16, 16, 16), (1.0, 1.0, 1.0), offset=-1000.0)
    plan = make_seg_plan(TrainConfig(data="x"), fingerprint(cases, ["bg", "a"]))
    assert plan.normalization == "ct" and plan.ct_stats["lower"] <= -900 <= plan.ct_stats["upper"]


def test_plan_file_overrides_and_rejects_unknown_fields(tmp_path: Path) -> None:
    fp = fingerprint(_cases((30, 30), None), ["bg", "a"])
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"patch_size": [16, 16], "epochs": 3}))
    plan = make_seg_plan(TrainConfig(data="x"), fp, read_seg_plan(path))
    assert plan.patch_size == plan.size == plan.model_args["image_size"] == [16, 16] and plan.epochs == 3
    assert plan.reasons["epochs"] == "overridden by the given plan file"
    assert plan.checkpoint == "final"  # the default: the schedule's last epoch
    path.write_text(json.dumps({"checkpoint": "best"}))
    best = make_seg_plan(TrainConfig(data="x"), fp, read_seg_plan(path))
    assert best.checkpoint == "best" and best.reasons["checkpoint"] == "overridden by the given plan file"
    path.write_text(json.dumps({"checkpoint": "latest"}))
    with pytest.raises(ConfigError, match="checkpoint"):
        make_seg_plan(TrainConfig(data="x"), fp, read_seg_plan(path))
    path.write_text(json.dumps({"patchsize": [16, 16]}))
    with pytest.raises(ConfigError, match="patchsize"):
        read_seg_plan(path)


def test_preprocessor_2d_resize_and_inverse_restore_original_grid() -> None:
    pre = SegPreprocessor(2, 1, size=[32, 48])
    image = np.random.default_rng(0).integers(0, 255, (1, 60, 90)).astype(np.uint8)
    x = pre.image(image)
    assert x.shape == (1, 32, 48) and abs(float(x.mean())) < 1e-4 and abs(float(x.std()) - 1) < 1e-3
    mask = np.zeros((60, 90), dtype=np.int64)
    mask[10:50, 20:70] = 1
    mask[12:14, 22:24] = 2  # tiny structure survives one-hot resizing as long as it covers a grid cell
    small = pre.mask(mask, None, 3)
    assert small.shape == (32, 48) and set(np.unique(small)) <= {0, 1, 2}
    probs = torch.nn.functional.one_hot(torch.from_numpy(small), 3).movedim(-1, 0).float()
    back = pre.inverse(probs, (60, 90)).argmax(0).numpy()
    assert back.shape == (60, 90) and ((back == 1) == (mask == 1)).mean() > 0.95
    restored = SegPreprocessor.from_dict(pre.to_dict())
    np.testing.assert_array_equal(restored.image(image), x)


def test_preprocessor_3d_resamples_to_target_spacing_and_rejects_2d_input() -> None:
    pre = SegPreprocessor(3, 1, target_spacing=[2.0, 1.0, 1.0])
    x = pre.image(np.ones((1, 10, 20, 20), np.float32), spacing=(4.0, 1.0, 1.0))
    assert x.shape == (1, 20, 20, 20)
    assert pre.grid_shape((10, 20, 20), (2.0, 1.0, 1.0)) == [10, 20, 20]  # already there: untouched
    with pytest.raises(DataError, match="3D input"):
        pre.image(np.ones((1, 20, 20), np.float32))


def test_axes_with_a_fixed_label_order_are_not_mirrored() -> None:
    rng = np.random.default_rng(0)
    cases = []
    for i in range(12):
        mask = np.zeros((24, 24), dtype=np.int64)
        row = int(rng.integers(4, 16))
        shift = 3 if i % 2 else -3  # along axis 0 the order flips between cases
        mask[row:row + 4, 2:6] = 1
        mask[row + shift:row + shift + 4, 14:18] = 2  # along axis 1, structure 2 is always right of 1
        cases.append(_Case(np.ones((1, 24, 24), np.float32), mask, None))
    fp = fingerprint(cases, ["bg", "a", "b"])
    assert fp["ordered_axes"]["axes"] == [1]
    plan = make_seg_plan(TrainConfig(data="x"), fp)
    assert plan.mirror_axes == [0] and "axes [1]" in plan.reasons["mirror_axes"]
    binary = make_seg_plan(TrainConfig(data="x"), fingerprint(_cases((30, 30), None), ["bg", "a"]))
    assert binary.mirror_axes == [0, 1]
