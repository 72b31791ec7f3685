"""Test-time shifts of segmentation predictors: content really moves, and comes back aligned."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from meddx.bundle.seg_predictor import SegPredictor, shift_average


@pytest.mark.parametrize("patch", [(8, 9, 8), (5, 7, 6), (4, 4, 3)], ids=["smaller", "equal", "larger"])
def test_shift_average_returns_the_input_grid_aligned(patch: tuple[int, ...]) -> None:
    x = torch.randn(1, 2, 5, 7, 6)
    torch.testing.assert_close(shift_average(lambda t: t, x, patch), x)  # identity: moved and moved back


def _rows(t: torch.Tensor) -> torch.Tensor:
    """A "network" that answers where each voxel sits along the first spatial axis."""
    rows = torch.arange(t.shape[2], dtype=torch.float32)[:, None].expand(t.shape[2:])
    return rows[None, None].expand(t.shape[0], 1, *t.shape[2:])


def test_shift_average_moves_the_content_by_one_voxel() -> None:
    x = torch.zeros(1, 1, 6, 4)
    # smaller than the patch: both passes see every voxel, the second one voxel further on
    assert shift_average(_rows, x, (8, 8))[0, 0, :, 0].tolist() == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    # as large as the patch: the moved pass drops the last row, which the unmoved passes still see
    assert shift_average(_rows, x, (6, 4))[0, 0, :, 0].tolist() == [0.5, 1.5, 2.5, 3.5, 4.5, 5.0]


class _Pointwise(nn.Module):
    """Foreground where the input is positive; records where the square sat in each window."""

    def __init__(self) -> None:
        super().__init__()
        self.corners: list[tuple[int, ...]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fg = (x[:, :1] > 0).float()
        for item in fg:
            self.corners.append(tuple(torch.nonzero(item[0]).min(0).values.tolist()))
        return torch.cat([1 - fg, fg], dim=1) * 20.0


def _predictor(shift: bool, size: int = 12, patch: int = 16, dims: int = 2) -> SegPredictor:
    config = {
        "name": "pointwise", "task": "segmentation", "label_names": ["background", "square"],
        "model": {"name": "none", "num_classes": 2, "args": {}},
        "preprocessing": {"kind": "segmentation", "spatial_dims": dims, "channels": 1, "size": [size] * dims,
                          "target_spacing": None, "normalization": "zscore", "ct_stats": None},
        "inference": {"patch_size": [patch] * dims, "overlap": 0.5, "mirror": False, "mirror_axes": [], "shift": shift},
    }
    return SegPredictor(config, _Pointwise())


def test_shifts_average_over_four_window_positions_in_2d() -> None:
    image = np.zeros((1, 12, 12), np.float32)
    image[0, 3:9, 4:10] = 1.0
    plain, both = _predictor(shift=False), _predictor(shift=True)
    out_plain = plain.predict_case(image, postprocess=False)
    out_both = both.predict_case(image, postprocess=False)
    assert len(set(plain.net.corners)) == 1
    corners = sorted(set(both.net.corners))  # the image (smaller than the patch) sat at 2**2 places
    assert len(corners) == 4 and np.ptp(np.array(corners), axis=0).tolist() == [1, 1]
    # a network that ignores position gives the same answer however the input is shifted
    np.testing.assert_allclose(out_both.probs, out_plain.probs, atol=1e-6)
    assert (out_both.labels == (image[0] > 0)).all()


@pytest.mark.parametrize("dims", [2, 3])
def test_shifts_of_an_image_the_size_of_the_patch_need_one_window_per_pass(dims: int) -> None:
    image = np.zeros((1, *[12] * dims), np.float32)
    image[(0, *[slice(3, 9)] * dims)] = 1.0
    plain, both = _predictor(False, patch=12, dims=dims), _predictor(True, patch=12, dims=dims)
    out_plain = plain.predict_case(image, postprocess=False)
    out_both = both.predict_case(image, postprocess=False)
    assert len(plain.net.corners) == 1
    assert len(both.net.corners) == 2**dims  # one window per pass, not 2**dims windows per pass
    assert sorted(set(both.net.corners)) == sorted(
        tuple(3 + o for o in offset) for offset in itertools.product((0, 1), repeat=dims))
    np.testing.assert_allclose(out_both.probs, out_plain.probs, atol=1e-6)
    assert (out_both.labels == (image[0] > 0)).all()
