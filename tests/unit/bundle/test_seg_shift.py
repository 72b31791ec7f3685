"""Test-time shifts of segmentation predictors: content really moves, and comes back aligned."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from meddx.bundle.seg_predictor import SegPredictor, shifted


def test_shifted_returns_the_input_grid_aligned() -> None:
    x = torch.randn(1, 2, 5, 7, 6)
    for offset in [(0, 0, 0), (1, 0, 0), (0, 1, 1), (1, 1, 1)]:
        assert torch.equal(shifted(lambda t: t, x, offset), x)  # identity: moved and moved back


def test_shifted_moves_the_content_by_the_offset() -> None:
    x = torch.zeros(1, 1, 6, 4)

    def position(t: torch.Tensor) -> torch.Tensor:  # a "network" that sees where each voxel sits
        rows = torch.arange(t.shape[2], dtype=torch.float32)[:, None].expand(t.shape[2:])
        return rows[None, None].expand(t.shape[0], 1, *t.shape[2:])

    assert shifted(position, x, (0, 0))[0, 0, :, 0].tolist() == [0, 1, 2, 3, 4, 5]
    assert shifted(position, x, (1, 0))[0, 0, :, 0].tolist() == [1, 2, 3, 4, 5, 6]
    assert shifted(position, x, (0, 1))[0, 0, :, 0].tolist() == [0, 1, 2, 3, 4, 5]


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


def _predictor(shift: bool) -> SegPredictor:
    config = {
        "name": "pointwise", "task": "segmentation", "label_names": ["background", "square"],
        "model": {"name": "none", "num_classes": 2, "args": {}},
        "preprocessing": {"kind": "segmentation", "spatial_dims": 2, "channels": 1, "size": [12, 12],
                          "target_spacing": None, "normalization": "zscore", "ct_stats": None},
        "inference": {"patch_size": [16, 16], "overlap": 0.5, "mirror": False, "mirror_axes": [], "shift": shift},
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
