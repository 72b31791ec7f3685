"""Every registered model honours the same contract: shape, gradients, safetensors round trip.

The contract test is parametrized over ``list_models()`` x each model's ``dims``, so a model is
tested the moment it is registered (timm's ``tests/test_models.py`` pattern). Sizes are tiny
(batch 2, 28 px in 2D, 16 voxels in 3D) so the file runs in well under a minute on one thread.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import torch
from safetensors.torch import load, save
from torch import nn

from meddx.core.errors import ModelError
from meddx.models import create_model, list_models, model_info

NUM_CLASSES = 3
BATCH = 2


def _cases() -> list[Any]:
    cases = []
    for name in list_models():
        if model_info(name).get("output") == "segmentation":
            continue  # per-voxel outputs: tests/unit/models/test_seg_models.py holds their contract
        if model_info(name).get("input", "image") != "image":
            continue  # documents: tests/unit/models/test_text_models.py holds their contract
        for dims in model_info(name)["dims"]:
            for in_channels in ((1, 3) if dims == 2 else (1,)):
                cases.append(pytest.param(name, dims, in_channels, id=f"{name}/{dims}d/c{in_channels}"))
    return cases


@pytest.mark.parametrize(("name", "dims", "in_channels"), _cases())
def test_model_contract(name: str, dims: int, in_channels: int) -> None:
    info = model_info(name)
    if info.get("input", "image") != "image" or info.get("output", "logits") != "logits":
        pytest.skip(f"{name}: contract for input={info.get('input')!r} output={info.get('output')!r} "
                    "is not covered by this test")
    assert isinstance(info["description"], str) and info["description"]
    size = 28 if dims == 2 else 16
    kwargs = dict(in_channels=in_channels, num_classes=NUM_CLASSES, spatial_dims=dims, image_size=size)
    torch.manual_seed(0)
    model = create_model(name, **kwargs)
    x = torch.randn(BATCH, in_channels, *(size,) * dims)

    # forward + backward: logits (B, K) and a finite gradient on every trainable parameter
    model.train()
    logits = model(x)
    assert logits.shape == (BATCH, NUM_CLASSES)
    nn.functional.cross_entropy(logits, torch.tensor([0, NUM_CLASSES - 1])).backward()
    for pname, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None, f"{name}: no gradient for {pname}"
            assert torch.isfinite(p.grad).all(), f"{name}: non-finite gradient for {pname}"

    # safetensors round trip into a freshly built model gives identical eval outputs
    model.eval()
    with torch.no_grad():
        expected = model(x)
        fresh = create_model(name, **kwargs).eval()
        fresh.load_state_dict(load(save(model.state_dict())))
        torch.testing.assert_close(fresh(x), expected, rtol=0, atol=0)

        # channels_last gives the same answer (no view() on a permuted tensor, etc.)
        fmt = torch.channels_last if dims == 2 else torch.channels_last_3d
        fresh = fresh.to(memory_format=fmt)
        torch.testing.assert_close(fresh(x.to(memory_format=fmt)), expected, rtol=1e-4, atol=1e-5)


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(ModelError, match="resnet18") as err:
        create_model("resnet-18")
    assert "Did you mean" in str(err.value)


def test_unknown_argument_lists_valid_ones() -> None:
    with pytest.raises(ModelError, match="widht") as err:
        create_model("resnet18", widht=2)
    assert "valid arguments" in str(err.value) and "stem" in str(err.value)


@pytest.mark.parametrize(("name", "dims"), [("resnet18-3d", 2), ("seed-cnn", 1), ("densenet121", 4)])
def test_unsupported_spatial_dims(name: str, dims: int) -> None:
    with pytest.raises(ModelError, match="supports spatial_dims") as err:
        create_model(name, spatial_dims=dims)
    for d in model_info(name)["dims"]:
        assert str(d) in str(err.value)


def test_bad_stem_and_too_small_images() -> None:
    with pytest.raises(ModelError, match="stem must be one of"):
        create_model("resnet18", stem="tiny")
    with pytest.raises(ModelError, match="image_size"):
        create_model("seed-cnn", image_size=8)
    with pytest.raises(ModelError, match="stem='small'"):
        create_model("densenet121", image_size=28, stem="standard")


def test_seed_cnn_is_exactly_the_article_network() -> None:
    model = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
    layers = list(model.children())
    assert [type(m) for m in layers] == [
        nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Flatten, nn.Linear
    ]
    conv1, pool1, conv2, pool2, fc = layers[0], layers[2], layers[3], layers[5], layers[7]
    for conv, (cin, cout) in ((conv1, (1, 32)), (conv2, (32, 64))):
        assert (conv.in_channels, conv.out_channels) == (cin, cout)
        assert conv.kernel_size == (3, 3) and conv.padding == (0, 0)  # Keras "valid"
    assert pool1.kernel_size == pool2.kernel_size == 2
    assert (fc.in_features, fc.out_features) == (64 * 5 * 5, 2)
    assert sum(p.numel() for p in model.parameters()) == 320 + 18496 + 1600 * 2 + 2 == 22018


def test_resnet_stems() -> None:
    small = create_model("resnet18", stem="small")
    standard = create_model("resnet18", stem="standard")
    assert small.conv1.kernel_size == (3, 3) and small.conv1.stride == (1, 1) and small.no_max_pool
    assert standard.conv1.kernel_size == (7, 7) and standard.conv1.stride == (2, 2)
    assert not standard.no_max_pool
    assert create_model("resnet18", image_size=64).conv1.kernel_size == (3, 3)  # auto -> small
    assert create_model("resnet18", image_size=224).conv1.kernel_size == (7, 7)  # auto -> standard


def test_import_is_lazy() -> None:
    code = "import sys, meddx.models; print('torch' in sys.modules or 'monai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
