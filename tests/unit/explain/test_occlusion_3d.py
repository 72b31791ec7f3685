"""3D occlusion is practical: a default window that bounds the forward passes (not 6,859 at 40^3),
occluded copies batched through the network, and a map that finds what a known model reads."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from meddx.explain.image import image_attributions, occlusion_geometry

BLOCK = (slice(5, 13), slice(17, 25), slice(9, 17))  # an 8^3 block, not aligned to the stride


class _BlockSum(nn.Module):
    """logit 0 = sum of the input over one 8^3 block (logit 1 = 0); counts the samples it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(1, 1, 1)  # a convolution, so input checks know it reads 1-channel volumes
        self.samples = 0
        self.passes = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.samples += int(x.shape[0])
        self.passes += 1
        score = x[(slice(None), 0, *BLOCK)].sum(dim=(1, 2, 3))
        return torch.stack([score, torch.zeros_like(score)], dim=1) + 0 * self.conv.weight.sum()


def _block_map(window: int | None) -> tuple[np.ndarray, np.ndarray]:
    x = torch.rand(1, 1, 32, 32, 32, generator=torch.Generator().manual_seed(0)) + 0.5  # positive everywhere
    attr = image_attributions(_BlockSum(), x, "occlusion", target=0, window=window)[0]
    assert attr.shape == (32, 32, 32)
    inside = np.zeros(attr.shape, dtype=bool)
    inside[BLOCK] = True
    return attr, inside


def test_a_fine_occlusion_window_puts_the_top_voxels_of_a_block_sum_model_in_the_block():
    attr, inside = _block_map(window=4)
    top = np.argsort(attr.ravel())[::-1][:128]
    assert inside.ravel()[top].all()
    assert attr[inside].min() > 0
    assert np.abs(attr[24:, :8, 24:]).max() == 0  # far from the block: hiding it changes nothing


def test_the_default_3d_occlusion_map_of_a_block_sum_model_centres_on_the_block():
    attr, inside = _block_map(window=None)  # window 12, stride 6: a map as coarse as the stride
    _, strides, _ = occlusion_geometry(attr.shape)
    peak = np.unravel_index(int(np.argmax(attr)), attr.shape)
    assert all(b.start - s <= p < b.stop + s for p, b, s in zip(peak, BLOCK, strides))
    positive = np.clip(attr, 0, None)
    mass = (np.indices(attr.shape) * positive).reshape(3, -1).sum(1) / positive.sum()
    assert all(b.start <= m < b.stop for m, b in zip(mass, BLOCK))  # the map's centre of mass is in the block
    top = np.argsort(attr.ravel())[::-1][:64]
    assert inside.ravel()[top].mean() >= 0.75
    assert attr[inside].mean() > 2 * attr[~inside & (attr > 0)].mean()
    assert np.abs(attr[26:, :4, 26:]).max() == 0


def test_the_default_3d_window_bounds_the_forward_passes_and_batches_the_copies():
    sides, strides, passes = occlusion_geometry((40, 40, 40))
    assert sides == (14, 14, 14) and strides == (7, 7, 7) and passes == 5**3
    for shape in [(8, 8, 8), (16, 16, 16), (28, 28, 28), (64, 64, 64), (32, 96, 96), (20, 128, 128), (7, 33, 101)]:
        assert occlusion_geometry(shape)[2] <= 125
    assert occlusion_geometry((28, 28)) == ((4, 4), (2, 2), 13 * 13)  # 2D default unchanged
    assert occlusion_geometry((40, 40, 40), window=8) == ((8, 8, 8), (4, 4, 4), 9**3)
    net = _BlockSum()
    image_attributions(net, torch.rand(1, 1, 40, 40, 40), "occlusion", target=0)
    # the occluded copies (plus the unoccluded input, and the pass that picks the target) in a few passes
    assert net.samples <= passes + 2
    assert net.passes < passes / 4


def test_explain_cli_says_how_many_passes_occlusion_runs_before_it_starts(tmp_path, capsys):
    import json

    import nibabel as nib

    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor
    from tests.integration.cli_helpers import run_cli

    torch.manual_seed(0)
    pre = ImagePreprocessor((12, 12, 12), 1).fit([np.arange(1000, dtype=np.float32).reshape(1, 10, 10, 10)])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=12, spatial_dims=3).eval()
    config = {"name": "vol", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 3,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 12, "spatial_dims": 3},
                        "num_classes": 2}, "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    bundle = save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="# card")
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random((10, 10, 10)).astype(np.float32), np.eye(4)),
             tmp_path / "v.nii.gz")
    result = run_cli(["explain", str(bundle), str(tmp_path / "v.nii.gz"), "-m", "occlusion", "-m", "gradcam",
                      "--out", str(tmp_path / "out"), "--json"], capsys)
    assert result.code == 0, result.err
    sides, strides, passes = occlusion_geometry((12, 12, 12))
    assert f"occlusion: {passes} forward passes per image (window 4x4x4, stride 2x2x2 of the 12x12x12 model input)" \
        in result.err
    rows = {r["method"]: r for r in map(json.loads, result.out.splitlines())}
    assert rows["occlusion"]["forward_passes"] == passes and rows["occlusion"]["window"] == list(sides)
    assert "forward_passes" not in rows["gradcam"]
    quiet = run_cli(["explain", str(bundle), str(tmp_path / "v.nii.gz"), "-m", "gradcam", "--out",
                     str(tmp_path / "out2")], capsys)
    assert quiet.code == 0 and "forward passes" not in quiet.err
