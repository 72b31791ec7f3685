"""Segmentation networks from MONAI: U-Net, DynUNet (nnU-Net's network) and SegResNet.

Every factory has the keyword signature ``(in_channels=1, num_classes=2, spatial_dims=2,
image_size=..., ...own options)`` and maps ``(B, in_channels, *spatial)`` to per-voxel
logits ``(B, num_classes, *spatial)`` (no softmax: the task owns the head). ``image_size`` is
the training patch size; DynUNet uses it (with ``spacing``) to choose how often each axis is
downsampled, as nnU-Net does, and the others use it to check that the patch survives their
downsampling. Spatial sizes must be divisible by the product of the strides along each axis;
the planner pads patches accordingly.
"""

from __future__ import annotations

from typing import Sequence

from torch import nn

from meddx.core.errors import ModelError
from meddx.models.registry import MODELS

_SEG = {"input": "image", "output": "segmentation"}
# nnU-Net stops downsampling an axis once its feature map would fall below this many voxels.
_MIN_FEATURE = 4


def _check(name: str, in_channels: int, num_classes: int, spatial_dims: int,
           image_size: int | Sequence[int]) -> tuple[int, ...]:
    if spatial_dims not in (2, 3):
        raise ModelError(f"model {name!r} supports spatial_dims 2, 3; got spatial_dims={spatial_dims}")
    if int(in_channels) < 1 or int(num_classes) < 2:
        raise ModelError(
            f"model {name!r} needs in_channels >= 1 and num_classes >= 2 (background included); "
            f"got in_channels={in_channels}, num_classes={num_classes}"
        )
    sizes = (image_size,) * spatial_dims if isinstance(image_size, int) else tuple(image_size)
    if len(sizes) != spatial_dims or any(int(s) < 8 for s in sizes):
        raise ModelError(
            f"model {name!r}: image_size (the patch size) must be an int or {spatial_dims} ints, each >= 8; "
            f"got {image_size!r}"
        )
    return tuple(int(s) for s in sizes)


def plan_strides(sizes: Sequence[int], spacing: Sequence[float] | None = None,
                 max_levels: int = 5) -> tuple[list[list[int]], list[list[int]]]:
    """nnU-Net's rule for kernels and strides from the patch size and voxel spacing.

    At each level an axis is halved when its feature map stays >= 4 voxels after halving and
    its spacing is at most twice the finest spacing (so strongly anisotropic axes are
    downsampled only once the others have caught up); its kernel is 3 unless its spacing is
    more than twice the finest (then 1, as nnU-Net does for thick slices). MONAI's DynUNet
    takes these lists but does not derive them, hence this function.
    """
    sizes = [int(s) for s in sizes]
    spacing = [1.0] * len(sizes) if spacing is None else [float(s) for s in spacing]
    kernels: list[list[int]] = []
    strides: list[list[int]] = [[1] * len(sizes)]
    current = list(spacing)
    for _ in range(max_levels):
        finest = min(current)
        stride = [2 if size // 2 >= _MIN_FEATURE and sp <= 2 * finest else 1 for size, sp in zip(sizes, current)]
        kernels.append([3 if sp <= 2 * finest else 1 for sp in current])
        if all(s == 1 for s in stride):
            break
        strides.append(stride)
        sizes = [size // s for size, s in zip(sizes, stride)]
        current = [sp * s for sp, s in zip(current, stride)]
    kernels.append([3 if sp <= 2 * min(current) else 1 for sp in current])
    kernels = kernels[: len(strides)]
    return kernels, strides


def divisor(strides: Sequence[Sequence[int]]) -> list[int]:
    """Per-axis factor every input size must be a multiple of (product of the strides)."""
    out = [1] * len(strides[0])
    for stride in strides:
        out = [o * s for o, s in zip(out, stride)]
    return out


@MODELS.register("unet", dims=(2, 3), description="MONAI residual U-Net (2D/3D), instance norm", **_SEG)
def unet(in_channels: int = 1, num_classes: int = 2, spatial_dims: int = 2, image_size: int | Sequence[int] = 64,
         channels: Sequence[int] = (16, 32, 64, 128, 256), num_res_units: int = 2, dropout: float = 0.0) -> nn.Module:
    """MONAI ``UNet`` with stride-2 downsampling between its ``len(channels)`` levels."""
    from monai.networks.nets import UNet

    _check("unet", in_channels, num_classes, spatial_dims, image_size)
    if len(channels) < 2:
        raise ModelError(f"model 'unet': channels needs at least 2 levels; got {list(channels)}")
    return UNet(
        spatial_dims=spatial_dims, in_channels=in_channels, out_channels=num_classes,
        channels=tuple(int(c) for c in channels), strides=(2,) * (len(channels) - 1),
        num_res_units=num_res_units, norm="INSTANCE", dropout=dropout,
    )


@MODELS.register("dynunet", dims=(2, 3), description="MONAI DynUNet, nnU-Net's network; depth from patch and spacing",
                 **_SEG)
def dynunet(in_channels: int = 1, num_classes: int = 2, spatial_dims: int = 2, image_size: int | Sequence[int] = 64,
            spacing: Sequence[float] | None = None, base_filters: int = 16, max_filters: int = 256,
            max_levels: int = 5, deep_supervision: bool = False) -> nn.Module:
    """MONAI ``DynUNet`` with nnU-Net's kernels/strides (:func:`plan_strides`) and filters that
    double per level from ``base_filters`` up to ``max_filters`` (nnU-Net: 32 -> 320; smaller
    here because training runs on CPU)."""
    from monai.networks.nets import DynUNet

    sizes = _check("dynunet", in_channels, num_classes, spatial_dims, image_size)
    if spacing is not None and len(spacing) != spatial_dims:
        raise ModelError(f"model 'dynunet': spacing needs {spatial_dims} values; got {list(spacing)}")
    kernels, strides = plan_strides(sizes, spacing, max_levels)
    filters = [min(base_filters * 2**i, max_filters) for i in range(len(strides))]
    net = DynUNet(
        spatial_dims=spatial_dims, in_channels=in_channels, out_channels=num_classes, kernel_size=kernels,
        strides=strides, upsample_kernel_size=strides[1:], filters=filters, norm_name="instance",
        deep_supervision=deep_supervision, res_block=True,
    )
    # DynUNet registers its blocks twice: as ``input_block``/``downsamples``/... and again inside
    # the recursive ``skip_layers`` used by forward. The aliases make state_dict hold shared
    # tensors, which safetensors refuses to save; keep skip_layers as a plain attribute so every
    # weight is saved once under its owning block (forward is unchanged).
    skip = net._modules.pop("skip_layers")
    object.__setattr__(net, "skip_layers", skip)
    return net


@MODELS.register("segresnet", dims=(2, 3), description="MONAI SegResNet (residual encoder, light decoder)", **_SEG)
def segresnet(in_channels: int = 1, num_classes: int = 2, spatial_dims: int = 2, image_size: int | Sequence[int] = 64,
              init_filters: int = 16, blocks_down: Sequence[int] = (1, 2, 2, 4), dropout: float = 0.0) -> nn.Module:
    """MONAI ``SegResNet``; the input must be divisible by ``2 ** (len(blocks_down) - 1)``."""
    from monai.networks.nets import SegResNet

    _check("segresnet", in_channels, num_classes, spatial_dims, image_size)
    return SegResNet(
        spatial_dims=spatial_dims, in_channels=in_channels, out_channels=num_classes, init_filters=init_filters,
        blocks_down=tuple(blocks_down), blocks_up=(1,) * (len(blocks_down) - 1), dropout_prob=dropout or None,
        norm=("INSTANCE", {}),
    )


def required_divisor(name: str, spatial_dims: int, args: dict) -> list[int]:
    """Per-axis multiple that inputs to model ``name`` (built with ``args``) must have."""
    if name == "dynunet":
        sizes = args.get("image_size", 64)
        sizes = (sizes,) * spatial_dims if isinstance(sizes, int) else sizes
        _, strides = plan_strides(sizes, args.get("spacing"), args.get("max_levels", 5))
        return divisor(strides)
    if name == "unet":
        return [2 ** (len(args.get("channels", (16, 32, 64, 128, 256))) - 1)] * spatial_dims
    if name == "segresnet":
        return [2 ** (len(args.get("blocks_down", (1, 2, 2, 4))) - 1)] * spatial_dims
    return [1] * spatial_dims
