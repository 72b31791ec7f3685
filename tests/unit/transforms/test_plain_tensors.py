"""Augmentation runs without MONAI metadata tracking: plain tensors out, the same values as MONAI
with tracking, and the process-wide tracking switch left as it was found (also after an error)."""

from __future__ import annotations

import pytest
import torch

from meddx.training.seg_data import build_seg_augmentation
from meddx.transforms.image import build_augmentation
from meddx.transforms.plain import PlainTensors


def _bare(x: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(x).as_subclass(torch.Tensor)


@pytest.mark.parametrize("preset", ["light", "strong", "shift"])
@pytest.mark.parametrize("size", [(28, 28), (12, 16, 16)])
def test_classification_presets_give_plain_tensors_equal_to_tracked_monai(preset: str, size: tuple) -> None:
    from monai.data import MetaTensor, get_track_meta

    x = torch.rand(1, *size)
    plain = build_augmentation(preset, size, seed=4)
    tracked = build_augmentation(preset, size, seed=4).transform  # the bare MONAI Compose
    for _ in range(6):
        out, ref = plain(x.clone()), tracked(x.clone())
        assert type(out) is torch.Tensor and isinstance(ref, MetaTensor)
        assert torch.equal(out, _bare(ref))
    assert get_track_meta() is True


@pytest.mark.parametrize("dims", [2, 3])
def test_segmentation_presets_give_plain_tensors_equal_to_tracked_monai(dims: int) -> None:
    size = (20,) * dims
    image, label = torch.rand(1, *size), (torch.rand(1, *size) > 0.5).float()
    plain = build_seg_augmentation("strong", dims, seed=2)
    tracked = build_seg_augmentation("strong", dims, seed=2).transform
    for _ in range(6):
        out = plain({"image": image.clone(), "label": label.clone()})
        ref = tracked({"image": image.clone(), "label": label.clone()})
        assert all(type(out[k]) is torch.Tensor for k in ("image", "label"))
        assert all(torch.equal(out[k], _bare(ref[k])) for k in ("image", "label"))


def test_tracking_switch_is_restored_after_a_call_and_after_an_error() -> None:
    from monai.data import get_track_meta, set_track_meta

    def fails(_: object) -> None:
        assert get_track_meta() is False  # off while the transform runs
        raise ValueError("bad sample")

    with pytest.raises(ValueError, match="bad sample"):
        PlainTensors(fails)(torch.zeros(1))
    assert get_track_meta() is True
    set_track_meta(False)
    try:
        PlainTensors(lambda x: x)(torch.zeros(1))
        assert get_track_meta() is False  # a caller's own choice survives too
    finally:
        set_track_meta(True)
