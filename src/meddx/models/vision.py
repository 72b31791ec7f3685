"""Image classifiers: the seed article's CNN, and ResNet / DenseNet / EfficientNet from MONAI.

Every factory has the keyword signature ``(in_channels=1, num_classes=2, spatial_dims=2,
image_size=28, ...own options)`` and returns an ``nn.Module`` mapping
``(B, in_channels, *spatial)`` to logits ``(B, num_classes)`` (no softmax: the task owns the
head). ``image_size`` is used to size the seed CNN's linear layer and to pick the stem of the
deeper nets; it is not a hard input-size constraint for those (they end in adaptive pooling).

The deeper nets come from MONAI so that one implementation serves 2D and 3D; we only choose
their arguments. The one thing MONAI does not offer is a small-image stem for DenseNet, added
in :func:`_small_stem_densenet`. No model here uses lazy modules or tied weights, so
``safetensors.torch.save_file(model.state_dict(), ...)`` round-trips every one of them.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from typing import Any, Literal, Sequence

from monai.networks.layers.factories import Conv, Pool
from monai.networks.nets import DenseNet121, EfficientNet, ResNet
from monai.networks.nets.efficientnet import efficientnet_params
from torch import nn

from meddx.core.errors import ModelError
from meddx.models.registry import DEFAULT_3D_ARGS, MODELS, RESNET_WIDTH, auto_stem

Stem = Literal["auto", "small", "strided", "standard"]
_STEMS = ("auto", "small", "strided", "standard")
_IMAGE = {"input": "image", "output": "logits"}


# ----------------------------------------------------------------------------- helpers


def _check_common(
    name: str,
    in_channels: int,
    num_classes: int,
    spatial_dims: int,
    image_size: int | Sequence[int],
    supported: tuple[int, ...],
) -> tuple[int, ...]:
    """Validate the shared arguments; return ``image_size`` as one int per spatial dim.

    Values come from config files and plan.json as well as from code, so a wrong type (a string,
    a float, a bool) is a :class:`ModelError` naming the argument, never a bare ``ValueError``.
    """
    if spatial_dims not in supported:
        raise ModelError(
            f"model {name!r} supports spatial_dims {', '.join(map(str, supported))}; "
            f"got spatial_dims={spatial_dims!r}. Pick one of those or another model "
            "(`meddx models` shows each model's dims)"
        )
    if _as_int(name, "in_channels", in_channels) < 1 or _as_int(name, "num_classes", num_classes) < 1:
        raise ModelError(
            f"model {name!r} needs in_channels >= 1 and num_classes >= 1; "
            f"got in_channels={in_channels}, num_classes={num_classes}"
        )
    expected = (f"model {name!r}: image_size must be a positive int or {spatial_dims} positive ints "
                f"(one per spatial dim); got {image_size!r}")
    if isinstance(image_size, (list, tuple)):
        sizes = tuple(image_size)
    else:
        sizes = (image_size,) * spatial_dims
    if len(sizes) != spatial_dims or any(_as_int(name, "image_size", s, expected) < 1 for s in sizes):
        raise ModelError(expected)
    return tuple(int(s) for s in sizes)


def _as_int(name: str, field: str, value: Any, message: str | None = None) -> int:
    """``value`` as an int when it is an integer (``int``, NumPy integer; not a bool, float or
    string), else a :class:`ModelError` naming the model and the argument."""
    try:
        if isinstance(value, bool):
            raise TypeError
        return operator.index(value)
    except TypeError:
        raise ModelError(message or f"model {name!r}: {field} must be an integer; got {value!r}") from None


def _resolve_stem(name: str, stem: str, sizes: tuple[int, ...]) -> str:
    """``auto`` -> ``small`` for images whose smallest side is <= 64 px, else ``standard``."""
    if stem not in _STEMS:
        raise ModelError(f"model {name!r}: stem must be one of {', '.join(_STEMS)}; got {stem!r}")
    if stem == "auto":  # <= 64 px (MedMNIST's 28 and 64): small; 128 px and up (ImageNet-like): standard
        return auto_stem(sizes)
    return stem


# ----------------------------------------------------------------------------- seed CNN


class SeedCNN(nn.Sequential):
    """The seed article's Keras network, layer for layer (2D, or the same structure in 3D).

    ``Conv(in,32,3) ReLU MaxPool(2) Conv(32,64,3) ReLU MaxPool(2) Flatten Linear(->K)`` with
    'valid' (no) padding like Keras' default. Note: torch flattens channel-first (C,H,W) while
    Keras flattens (H,W,C), so Keras weights need the Linear's columns permuted to load here.
    """

    def __init__(self, in_channels: int, num_classes: int, sizes: tuple[int, ...]) -> None:
        dims = len(sizes)
        conv, pool = Conv[Conv.CONV, dims], Pool[Pool.MAX, dims]
        out = [((s - 2) // 2 - 2) // 2 for s in sizes]  # valid conv 3, pool 2, twice
        if min(out) < 1:
            raise ModelError(
                f"model 'seed-cnn': image_size {sizes} is too small (two valid 3x3 convolutions "
                f"and two 2x pools need at least 10 px per side)"
            )
        features = 64
        for o in out:
            features *= o
        super().__init__(
            OrderedDict(
                [
                    ("conv1", conv(in_channels, 32, kernel_size=3)),
                    ("relu1", nn.ReLU()),
                    ("pool1", pool(kernel_size=2)),
                    ("conv2", conv(32, 64, kernel_size=3)),
                    ("relu2", nn.ReLU()),
                    ("pool2", pool(kernel_size=2)),
                    ("flatten", nn.Flatten(1)),
                    ("fc", nn.Linear(features, num_classes)),
                ]
            )
        )


@MODELS.register(
    "seed-cnn", dims=(2, 3), description="The seed article's 2-conv CNN (22k params at 28 px)", **_IMAGE
)
def seed_cnn(
    in_channels: int = 1,
    num_classes: int = 2,
    spatial_dims: int = 2,
    image_size: int | tuple[int, ...] = 28,
) -> nn.Module:
    """The seed article's CNN; its Linear layer is sized from ``image_size`` (fixed input)."""
    sizes = _check_common("seed-cnn", in_channels, num_classes, spatial_dims, image_size, (2, 3))
    return SeedCNN(in_channels, num_classes, sizes)


# ----------------------------------------------------------------------------- ResNet


def _resnet(
    name: str,
    block: str,
    layers: list[int],
    in_channels: int,
    num_classes: int,
    spatial_dims: int,
    image_size: int | Sequence[int],
    stem: str,
    supported: tuple[int, ...],
    width: int = RESNET_WIDTH,
) -> nn.Module:
    """MONAI ResNet with a small (3x3/1), strided (3x3/2) or standard (7x7/2 + max-pool) stem.

    ``width`` is the channel count of the first stage (64 in the paper; each stage doubles it).
    On CPU a 3D small-stem ResNet-18 at 28^3 costs ~0.4 s per training sample; the strided stem
    and a narrower width make 3D training fit a minutes-long budget.
    """
    sizes = _check_common(name, in_channels, num_classes, spatial_dims, image_size, supported)
    if _as_int(name, "width", width) < 4:
        raise ModelError(f"model {name!r}: width must be at least 4 channels; got {width!r}")
    resolved = _resolve_stem(name, stem, sizes)
    return ResNet(
        block=block,
        layers=layers,
        block_inplanes=[int(width) * k for k in (1, 2, 4, 8)],
        spatial_dims=spatial_dims,
        n_input_channels=in_channels,
        conv1_t_size=7 if resolved == "standard" else 3,
        conv1_t_stride=1 if resolved == "small" else 2,
        no_max_pool=resolved != "standard",
        shortcut_type="B",
        # BatchNorm follows the projection, so its bias is redundant (torchvision has none).
        bias_downsample=False,
        num_classes=num_classes,
        feed_forward=True,
    )


_STEM_DOC = ("stem: small (3x3/1, no pool; MedMNIST), strided (3x3/2, no pool), standard (7x7/2 + pool) "
             "or auto (<=64 px: small); width: first-stage channels (64)")


# (name, block, layers per stage, supported dims, default dims, what it is)
_RESNETS = (
    ("resnet18", "basic", [2, 2, 2, 2], (2, 3), 2, "ResNet-18 (MONAI), 2D/3D; the MedMNIST baseline"),
    ("resnet50", "bottleneck", [3, 4, 6, 3], (2, 3), 2, "ResNet-50 (MONAI), 2D/3D"),
    ("resnet18-3d", "basic", [2, 2, 2, 2], (3,), 3, "ResNet-18 for volumes (MedMNIST3D's 3D baseline); meddx "
     "train's 3D default builds it with " + ", ".join(f"{k}={v}" for k, v in DEFAULT_3D_ARGS.items())),
    ("resnet50-3d", "bottleneck", [3, 4, 6, 3], (3,), 3, "ResNet-50 for volumes"),
)


def _register_resnet(name: str, block: str, layers: list[int], dims: tuple[int, ...], default_dims: int,
                     what: str) -> None:
    """Register one ResNet variant; the factory keeps an explicit signature so the registry can
    reject unknown arguments and list the valid ones."""

    def factory(
        in_channels: int = 1,
        num_classes: int = 2,
        spatial_dims: int = default_dims,
        image_size: int | tuple[int, ...] = 28,
        stem: Stem = "auto",
        width: int = RESNET_WIDTH,
    ) -> nn.Module:
        return _resnet(name, block, layers, in_channels, num_classes, spatial_dims, image_size, stem, dims, width)

    factory.__name__ = name.replace("-", "_")
    factory.__doc__ = f"{what}: {block} blocks {layers}."
    MODELS.register(name, dims=dims, description=f"{what}; {_STEM_DOC}", **_IMAGE)(factory)


for _spec in _RESNETS:
    _register_resnet(*_spec)


# ----------------------------------------------------------------------------- DenseNet


def _small_stem_densenet(model: nn.Module, in_channels: int, spatial_dims: int, stride: int = 1) -> None:
    """Swap DenseNet's 7x7/2 conv + max-pool for a 3x3 conv of ``stride`` 1 (``small``) or 2
    (``strided``), with no pool (MONAI has no option for this).

    Without it a 28 px image shrinks to 0 px by the third transition (28 -> 7 after the stem).
    """
    old = model.features.conv0
    conv_type = Conv[Conv.CONV, spatial_dims]
    conv = conv_type(in_channels, old.out_channels, kernel_size=3, stride=stride, padding=1, bias=False)
    nn.init.kaiming_normal_(conv.weight)  # as MONAI initialises its convolutions
    model.features.conv0 = conv
    model.features.pool0 = nn.Identity()


def _densenet_out_size(size: int, stem: str) -> int:
    """Spatial size after DenseNet-121's stem and its three 2x average-pool transitions."""
    if stem != "small":
        size = (size - 1) // 2 + 1  # conv0 stride 2 padding 1 (strided, 3x3) or 3 (standard, 7x7)
    if stem == "standard":
        size = (size - 1) // 2 + 1  # pool0 3x3 stride 2 padding 1
    return size // 8


@MODELS.register(
    "densenet121", dims=(2, 3), description="DenseNet-121 (MONAI), 2D/3D; " + _STEM_DOC, **_IMAGE
)
def densenet121(
    in_channels: int = 1,
    num_classes: int = 2,
    spatial_dims: int = 2,
    image_size: int | tuple[int, ...] = 28,
    stem: Stem = "auto",
    dropout_prob: float = 0.0,
) -> nn.Module:
    """DenseNet-121 (blocks 6/12/24/16, growth 32) from MONAI, with a small-image stem option."""
    sizes = _check_common("densenet121", in_channels, num_classes, spatial_dims, image_size, (2, 3))
    if isinstance(dropout_prob, bool) or not isinstance(dropout_prob, (int, float)) or not 0 <= dropout_prob < 1:
        raise ModelError(f"model 'densenet121': dropout_prob must be a number in [0, 1); got {dropout_prob!r}")
    stem = _resolve_stem("densenet121", stem, sizes)
    if min(_densenet_out_size(s, stem) for s in sizes) < 1:
        need = {"small": 8, "strided": 15, "standard": 29}[stem]
        raise ModelError(
            f"model 'densenet121' with the {stem} stem needs "
            f"image_size >= {need} per side; got {sizes}. Use stem='small' or larger images"
        )
    model = DenseNet121(
        spatial_dims=spatial_dims,
        in_channels=in_channels,
        out_channels=num_classes,
        pretrained=False,
        dropout_prob=dropout_prob,
    )
    if stem != "standard":  # MONAI builds the standard stem; the small and strided ones replace it
        _small_stem_densenet(model, in_channels, spatial_dims, stride=2 if stem == "strided" else 1)
    return model


# ----------------------------------------------------------------------------- EfficientNet


# EfficientNet-B0's stages (Tan & Le 2019, table 1) in MONAI's block-string format. MONAI keeps
# this list inside EfficientNetBN.__init__, which fixes the 'same' padding for 224 px inputs and
# then fails on 28 px; we pass it to MONAI's EfficientNet with our image_size instead.
_B0_BLOCKS = [
    "r1_k3_s11_e1_i32_o16_se0.25",
    "r2_k3_s22_e6_i16_o24_se0.25",
    "r2_k5_s22_e6_i24_o40_se0.25",
    "r3_k3_s22_e6_i40_o80_se0.25",
    "r3_k5_s11_e6_i80_o112_se0.25",
    "r4_k5_s22_e6_i112_o192_se0.25",
    "r1_k3_s11_e6_i192_o320_se0.25",
]


@MODELS.register(
    "efficientnet-b0", dims=(2, 3), description="EfficientNet-B0 (MONAI, no pretrained weights), 2D/3D",
    **_IMAGE,
)
def efficientnet_b0(
    in_channels: int = 1,
    num_classes: int = 2,
    spatial_dims: int = 2,
    image_size: int | tuple[int, ...] = 28,
) -> nn.Module:
    """EfficientNet-B0 from MONAI (pure torch, no torchvision), randomly initialised.

    MONAI bakes TensorFlow-style 'same' padding into the layers for one input size: build with
    the ``image_size`` you will feed (the smallest side is used for non-square sizes). It
    downsamples 32x, so 28 px images end at 1x1: prefer the small-stem ResNet for MedMNIST.
    """
    sizes = _check_common("efficientnet-b0", in_channels, num_classes, spatial_dims, image_size, (2, 3))
    width, depth, _, dropout, drop_connect = efficientnet_params["efficientnet-b0"]
    return EfficientNet(
        blocks_args_str=_B0_BLOCKS,
        spatial_dims=spatial_dims,
        in_channels=in_channels,
        num_classes=num_classes,
        width_coefficient=width,
        depth_coefficient=depth,
        dropout_rate=dropout,
        image_size=min(sizes),
        drop_connect_rate=drop_connect,
    )


__all__ = [
    "SeedCNN",
    "densenet121",
    "efficientnet_b0",
    "seed_cnn",
]
