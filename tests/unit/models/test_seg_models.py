"""Segmentation networks: per-voxel logits, gradients, safetensors round trip, nnU-Net strides."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load, save

from meddx.core.errors import ModelError
from meddx.models import create_model, list_models, model_info
from meddx.models.segmentation import divisor, plan_strides, required_divisor

SEG_MODELS = [n for n in list_models() if model_info(n).get("output") == "segmentation"]


def test_segmentation_family_is_registered() -> None:
    assert set(SEG_MODELS) >= {"unet", "dynunet", "segresnet"}


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("name", SEG_MODELS)
def test_segmentation_contract(name: str, dims: int) -> None:
    size = [32, 48] if dims == 2 else [16, 32, 16]
    torch.manual_seed(0)
    model = create_model(name, in_channels=1, num_classes=3, spatial_dims=dims, image_size=size)
    div = required_divisor(name, dims, {"image_size": size})
    assert all(s % d == 0 for s, d in zip(size, div))
    x = torch.randn(2, 1, *size)
    model.train()
    out = model(x)
    assert out.shape == (2, 3, *size)
    torch.nn.functional.cross_entropy(out, torch.randint(0, 3, (2, *size))).backward()
    for pname, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and torch.isfinite(p.grad).all(), f"{name}: {pname}"
    model.eval()
    with torch.no_grad():
        expected = model(x)
        fresh = create_model(name, in_channels=1, num_classes=3, spatial_dims=dims, image_size=size).eval()
        fresh.load_state_dict(load(save(model.state_dict())))
        torch.testing.assert_close(fresh(x), expected, rtol=0, atol=0)


def test_plan_strides_follow_nnunet_rules() -> None:
    kernels, strides = plan_strides([40, 56, 40], [1.0, 1.0, 1.0])
    assert strides[0] == [1, 1, 1] and divisor(strides) == [8, 8, 8]  # stop once a map would fall below 4
    assert all(k == [3, 3, 3] for k in kernels) and len(kernels) == len(strides)
    kernels, strides = plan_strides([20, 160, 160], [5.0, 1.0, 1.0])
    assert strides[1] == [1, 2, 2] and kernels[0] == [1, 3, 3]  # thick slices: in-plane first, 1x3x3 kernels
    assert divisor(strides)[0] < divisor(strides)[1]


def test_segmentation_models_reject_bad_arguments() -> None:
    with pytest.raises(ModelError, match="num_classes >= 2"):
        create_model("unet", num_classes=1)
    with pytest.raises(ModelError, match="spatial_dims"):
        create_model("dynunet", spatial_dims=4)
    with pytest.raises(ModelError, match="image_size"):
        create_model("segresnet", image_size=[4, 4])
