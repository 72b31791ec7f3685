"""Image attributions: known answers, locality, shapes, Grad-CAM localisation, state hygiene, figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from meddx.core.errors import ConfigError, DataError
from meddx.explain.image import (
    METHODS,
    comparison_png,
    image_attributions,
    overlay_png,
    target_layer,
    volume_overlay_png,
)
from meddx.models.registry import create_model

torch.set_num_threads(1)


def _linear(c: int = 2, h: int = 6, w: int = 5) -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, 2))
    with torch.no_grad():
        net[1].weight.copy_(torch.randn(2, c * h * w))
        net[1].bias.copy_(torch.tensor([0.3, -0.2]))
    return net


def test_integrated_gradients_of_a_linear_model_is_input_times_weight():
    net = _linear()
    x = torch.randn(3, 2, 6, 5)
    maps = image_attributions(net, x, "integrated-gradients", target=[1, 0, 1], steps=8)
    weight = net[1].weight.detach().reshape(2, 2, 6, 5)
    expected = torch.stack([(x[i] * weight[t]).sum(0) for i, t in enumerate([1, 0, 1])]).numpy()
    assert maps.shape == (3, 6, 5) and maps.dtype == np.float32
    np.testing.assert_allclose(maps, expected, atol=1e-4)


def test_saliency_of_a_linear_model_is_abs_weight_max_over_channels():
    net = _linear()
    maps = image_attributions(net, torch.randn(1, 2, 6, 5), "saliency", target=0)
    expected = net[1].weight.detach()[0].reshape(2, 6, 5).abs().amax(0).numpy()
    np.testing.assert_allclose(maps[0], expected, atol=1e-6)


class _TopLeft(nn.Module):
    """Logits depend only on the mean of the top-left quadrant."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([1.0, -1.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2] // 2, x.shape[-1] // 2
        return x[..., :h, :w].mean(dim=(1, 2, 3))[:, None] * self.scale


def test_occlusion_is_non_zero_only_around_the_region_the_model_reads():
    x = torch.rand(2, 1, 32, 32) + 0.5
    maps = image_attributions(_TopLeft(), x, "occlusion", target=0, window=4)
    assert maps.shape == (2, 32, 32)
    assert np.all(maps[:, :14, :14] > 0)  # hiding pixels the model reads lowers its score
    # A window overlapping the quadrant by up to its stride can still reach into it; beyond, nothing.
    far = np.ones((32, 32), dtype=bool)
    far[:18, :18] = False
    assert np.all(maps[:, far] == 0)


@pytest.mark.parametrize("name,dims,size", [("seed-cnn", 2, 28), ("resnet18", 2, 28), ("resnet18-3d", 3, 16)])
def test_every_method_gives_input_resolution_maps(name, dims, size):
    torch.manual_seed(0)
    net = create_model(name, in_channels=1, num_classes=3, spatial_dims=dims, image_size=size)
    x = torch.randn(2, 1, *([size] * dims))
    for method in METHODS:
        maps = image_attributions(net, x, method, steps=4, window=8 if dims == 3 else None)
        assert maps.shape == (2, *([size] * dims)), method
        assert maps.dtype == np.float32 and np.isfinite(maps).all(), method
        if method in ("gradcam", "gradcam++", "saliency"):
            assert maps.min() >= 0, method


def test_target_layer_is_found_for_each_family():
    assert target_layer(create_model("seed-cnn", image_size=28)) == "relu2"
    assert target_layer(create_model("seed-cnn", image_size=64)) == "relu2"  # probe sizes tried in turn
    assert target_layer(create_model("resnet18", image_size=28)) == "layer4"
    assert target_layer(create_model("resnet18-3d", spatial_dims=3, image_size=16)) == "layer4"
    assert target_layer(create_model("densenet121", image_size=28)) == "class_layers.relu"
    with pytest.raises(ConfigError, match="no spatial"):
        target_layer(_linear())


def test_errors_name_the_valid_choices():
    net = create_model("seed-cnn", image_size=28)
    x = torch.randn(1, 1, 28, 28)
    with pytest.raises(ConfigError, match="gradcam, gradcam\\+\\+, occlusion"):
        image_attributions(net, x, "lime")
    with pytest.raises(DataError, match="x\\[None\\]"):
        image_attributions(net, x[0], "saliency")
    with pytest.raises(ConfigError, match="0..1"):
        image_attributions(net, x, "saliency", target=5)
    with pytest.raises(ConfigError, match="relu2"):
        image_attributions(net, x, "gradcam", layer="nope")
    with pytest.raises(ConfigError, match="spatial"):
        image_attributions(net, x, "gradcam", layer="fc")


def test_a_batch_of_another_dimensionality_or_channel_count_is_one_data_error():
    """Found by an audit: a 3D volume (or an RGB image) given to a 2D grey network raised PyTorch's
    'Expected 3D (unbatched) or 4D (batched) input to conv2d' from inside the network."""
    net = create_model("seed-cnn", image_size=28)
    with pytest.raises(DataError, match=r"reads 2D images with 1 channel.*\(1, 1, 8, 28, 28\) \(3D, 1 channel"):
        image_attributions(net, torch.randn(1, 1, 8, 28, 28), "gradcam")
    with pytest.raises(DataError, match=r"found a batch of shape \(1, 3, 28, 28\) \(2D, 3 channel"):
        image_attributions(net, torch.randn(1, 3, 28, 28), "saliency")
    assert image_attributions(net, torch.randn(1, 1, 28, 28), "saliency").shape == (1, 28, 28)


def test_mode_requires_grad_and_gradients_are_restored():
    net = create_model("resnet18", image_size=28)
    net.train()
    net.layer1.eval()
    net.fc.weight.requires_grad_(False)
    x = torch.randn(2, 1, 28, 28)
    for method in METHODS:
        image_attributions(net, x, method, steps=2, window=14)
        assert net.training and not net.layer1.training and net.layer2.training, method
        assert not net.fc.weight.requires_grad and net.conv1.weight.requires_grad, method
        assert all(p.grad is None for p in net.parameters()), method
        assert not net.layer4._forward_hooks and not net.layer4._backward_hooks, method


def _blobs(n: int, seed: int, size: int = 28, radius: float = 3.0):
    """Noise; positives add a bright Gaussian blob at a random, recorded centre."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    centres = rng.uniform(radius + 1, size - radius - 2, (n, 2))
    yy, xx = np.mgrid[:size, :size]
    images = rng.normal(0, 0.3, (n, 1, size, size))
    for i in np.where(labels == 1)[0]:
        images[i, 0] += 1.5 * np.exp(-((yy - centres[i, 0]) ** 2 + (xx - centres[i, 1]) ** 2) / (2 * radius ** 2))
    return torch.tensor(images, dtype=torch.float32), torch.tensor(labels), centres


def test_gradcam_peak_falls_inside_the_lesion_after_short_training():
    torch.manual_seed(0)
    x, y, _ = _blobs(300, seed=0)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    for _ in range(4):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    net.eval()
    xt, yt, centres = _blobs(100, seed=1)
    assert (net(xt).argmax(1) == yt).float().mean() >= 0.95
    pos = np.where(yt.numpy() == 1)[0]
    cams = image_attributions(net, xt[pos], "gradcam", target=1)
    peaks = np.stack(np.unravel_index(cams.reshape(len(pos), -1).argmax(1), (28, 28)), axis=1)
    # "inside the lesion": within 1.5 sigma of the centre, where the blob is above a third of its peak
    inside = np.linalg.norm(peaks - centres[pos], axis=1) <= 4.5
    print(f"Grad-CAM peak inside the lesion for {inside.mean():.2f} of {len(pos)} positives")
    assert inside.mean() >= 0.9


def test_overlay_png_has_the_original_size(tmp_path):
    from PIL import Image

    raw = (np.random.default_rng(0).random((1, 40, 30)) * 255).astype(np.uint8)
    path = overlay_png(raw, np.random.default_rng(1).random((7, 5)), tmp_path / "a" / "overlay.png", title="t")
    with Image.open(path) as im:
        assert im.size == (30, 40)
        assert im.info.get("Title") == "t"
    signed = overlay_png(raw[0], np.linspace(-1, 1, 35).reshape(7, 5), tmp_path / "signed.png", scale=2)
    with Image.open(signed) as im:
        assert im.size == (60, 80)
    with pytest.raises(DataError):
        overlay_png(np.zeros((2, 3, 4, 5)), np.zeros((4, 5)), tmp_path / "bad.png")
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))


def test_volume_and_comparison_figures_are_written(tmp_path):
    from PIL import Image

    volume = np.random.default_rng(0).random((1, 12, 16, 20))
    attr = np.zeros((6, 8, 10))
    attr[2, 3, 4] = 1.0
    for path in (volume_overlay_png(volume, attr, tmp_path / "vol.png", title="volume"),
                 comparison_png(volume[:, 5], {"gradcam": attr[2], "occlusion": -attr[2]}, tmp_path / "cmp.png")):
        with Image.open(path) as im:
            assert im.size[0] > 100 and im.size[1] > 50
