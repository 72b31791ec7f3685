"""Which pixels (or voxels) an image prediction rests on: CAMs, occlusion and gradient attributions.

- ``gradcam`` / ``gradcam++``: class activation maps of the last spatial layer (Selvaraju et al.
  2017; Chattopadhyay et al. 2018), ReLU'd (non-negative) and upsampled to the input resolution.
- ``occlusion``: Captum ``Occlusion``; a window (default ~1/8 of the side in 2D, ~1/3 of each side
  in 3D; stride half the window; ``window``/``stride`` choose others) slides over the image, set
  to zero (the preprocessed mean), and the drop of the target logit is recorded: signed, positive where hiding the region lowers the
  class score. One forward pass per window position (``occlusion_geometry`` counts them), run in
  batches of as many occluded copies as ``bundle.predictor.batch_size_for`` allows their size.
- ``integrated-gradients``: Captum ``IntegratedGradients`` from a zero baseline, summed over
  channels: signed, and sums to logit(x) - logit(0) up to the Riemann error.
- ``saliency``: absolute input gradient, max over channels (Simonyan et al. 2014).

Every method restores the network's train/eval mode and ``requires_grad`` flags and leaves no
parameter gradients behind (parameters are frozen while attributing; only the input is
differentiated). The figures drawn from the maps are in ``explain.figures``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from meddx.core.errors import ConfigError, DataError
from meddx.core.extras import needs_extra

METHODS = ("gradcam", "gradcam++", "occlusion", "integrated-gradients", "saliency")
_CAMS = ("gradcam", "gradcam++")
_NOT_CAM = (nn.Dropout, nn.Identity, nn.Flatten)


@contextmanager
def _frozen_eval(net: nn.Module) -> Iterator[None]:
    """Eval mode and frozen parameters inside; every module's mode and every flag restored after."""
    modes = {m: m.training for m in net.modules()}
    flags = {p: p.requires_grad for p in net.parameters()}
    grads = {p: p.grad for p in net.parameters()}
    try:
        net.eval()
        for p in flags:
            p.requires_grad_(False)
        yield
    finally:
        for m, training in modes.items():
            m.training = training
        for p, flag in flags.items():
            p.requires_grad_(flag)
            p.grad = grads[p]


def _check_input(x: torch.Tensor, net: nn.Module) -> torch.Tensor:
    """The batch as float, or a one-line ``DataError`` when it cannot be the network's input: not
    (B, C, *spatial), or (checked against the first convolution) another dimensionality or channel
    count, which would otherwise surface as a deep PyTorch error from inside the network."""
    if not isinstance(x, torch.Tensor) or x.ndim not in (4, 5):
        shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise DataError(f"image attributions: expected a preprocessed batch (B, C, H, W) or (B, C, D, H, W), "
                        f"found {shape}; add the batch axis with x[None] for a single image")
    conv = next((m for m in net.modules() if isinstance(m, nn.modules.conv._ConvNd)), None)
    if conv is not None and (len(conv.kernel_size) != x.ndim - 2 or conv.in_channels != x.shape[1]):
        dims = len(conv.kernel_size)
        raise DataError(f"image attributions: the network reads {dims}D images with {conv.in_channels} channel(s) "
                        f"(B, {conv.in_channels}, {', '.join('HW' if dims == 2 else 'DHW')}); found a batch of shape "
                        f"{tuple(x.shape)} ({x.ndim - 2}D, {x.shape[1]} channel(s))")
    return x.detach().float()


def _spatial_outputs(net: nn.Module, x: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """(name, output shape) of the modules whose output is a spatial map like ``x``, in execution order."""
    seen: list[tuple[str, tuple[int, ...]]] = []
    handles = []
    for name, mod in net.named_modules():
        if not name or isinstance(mod, _NOT_CAM) or "Pool" in type(mod).__name__:
            continue

        def hook(_m, _i, out, name=name):
            if isinstance(out, torch.Tensor) and out.ndim == x.ndim:
                seen.append((name, tuple(out.shape)))
        handles.append(mod.register_forward_hook(hook))
    try:
        with _frozen_eval(net), torch.no_grad():
            net(x)
    finally:
        for h in handles:
            h.remove()
    return seen


def _probe_inputs(net: nn.Module) -> Iterator[torch.Tensor]:
    conv = next((m for m in net.modules() if isinstance(m, nn.modules.conv._ConvNd)), None)
    if conv is None:
        return
    dims = len(conv.kernel_size)
    for size in ((28, 32, 64, 16, 128, 224) if dims == 2 else (16, 28, 32, 64)):
        yield torch.zeros(1, conv.in_channels, *([size] * dims))


def target_layer(net: nn.Module, example: torch.Tensor | None = None) -> str:
    """Name of the last module producing a spatial feature map (pooling, dropout and identity
    skipped): ``relu2`` for seed-cnn, ``layer4`` for MONAI ResNets, ``class_layers.relu`` for
    DenseNet. Found by one forward pass on ``example`` (or probe inputs of common sizes)."""
    examples = [example[:1].detach().float()] if example is not None else list(_probe_inputs(net))
    for probe in examples:
        try:
            seen = _spatial_outputs(net, probe)
        except (RuntimeError, ValueError):
            continue
        if seen:
            return seen[-1][0]
    names = [n for n, _ in net.named_modules() if n][:40]
    raise ConfigError(f"no spatial (convolutional) layer found for a class activation map in "
                      f"{type(net).__name__}; pass layer= one of: {', '.join(names) or '(no submodules)'}")


def _targets(net: nn.Module, x: torch.Tensor, target: int | Sequence[int] | None) -> list[int]:
    with _frozen_eval(net), torch.no_grad():
        logits = net(x)
    k = logits.shape[1]
    if target is None:
        return [0] * len(x) if k == 1 else logits.argmax(1).tolist()
    chosen = [int(target)] * len(x) if isinstance(target, (int, np.integer)) else [int(t) for t in target]
    if len(chosen) != len(x):
        raise ConfigError(f"target: expected one class index per sample ({len(x)}), found {len(chosen)}")
    bad = [t for t in chosen if not 0 <= t < k]
    if bad:
        raise ConfigError(f"target class {bad[0]} is not one of 0..{k - 1}")
    return chosen


def _cam(net: nn.Module, x: torch.Tensor, targets: list[int], layer: str, plus: bool) -> torch.Tensor:
    # Not monai.visualize.GradCAM: its ModelWithHooks registers hooks that are never removed (every
    # call on a bundle's net would add more), flips modules' ``inplace`` flags for good, takes one
    # class index for the whole batch, and its backward() fills the parameters' .grad. A forward
    # hook that keeps the activation and returns a clone (so a later in-place op cannot change it),
    # then torch.autograd.grad with respect to that activation, needs none of this.
    modules = dict(net.named_modules())
    if layer not in modules:
        raise ConfigError(f"layer {layer!r} is not in the network; spatial layers: "
                          f"{', '.join(n for n, _ in _spatial_outputs(net, x[:1]))}")
    kept: list[torch.Tensor] = []

    def hook(_m, _i, out):
        kept.append(out)
        return out.clone()
    handle = modules[layer].register_forward_hook(hook)
    try:
        with _frozen_eval(net), torch.enable_grad():
            logits = net(x.clone().requires_grad_(True))
            if not kept or not isinstance(kept[-1], torch.Tensor) or kept[-1].ndim != x.ndim:
                raise ConfigError(f"layer {layer!r} does not output a spatial map like the input {tuple(x.shape)}")
            acti = kept[-1]
            score = logits.gather(1, torch.tensor(targets, device=logits.device)[:, None])[:, 0]
            (grad,) = torch.autograd.grad(score.sum(), acti)
    finally:
        handle.remove()
    acti, grad = acti.detach(), grad.detach()
    b, c = grad.shape[:2]
    ones = [1] * (grad.ndim - 2)
    if plus:  # Grad-CAM++ with the exponential-score closed form, as in MONAI's GradCAMpp
        numer = grad.pow(2)
        denom = 2 * numer + (acti * grad.pow(3)).reshape(b, c, -1).sum(-1).reshape(b, c, *ones)
        alpha = numer / torch.where(denom != 0, denom, torch.ones_like(denom))
        weights = (alpha * F.relu(score.detach().exp().reshape(b, 1, *ones) * grad)).reshape(b, c, -1).sum(-1)
    else:
        weights = grad.reshape(b, c, -1).mean(-1)
    cam = F.relu((weights.reshape(b, c, *ones) * acti).sum(1, keepdim=True))
    mode = "bilinear" if x.ndim == 4 else "trilinear"
    return F.interpolate(cam, size=tuple(x.shape[2:]), mode=mode, align_corners=False)[:, 0]


def image_attributions(net: nn.Module, x: torch.Tensor, method: str, target: int | Sequence[int] | None = None, *,
                       layer: str | None = None, steps: int = 32, window: int | None = None,
                       stride: int | None = None) -> np.ndarray:
    """Attribution maps ``(B, *spatial)`` float32 at the input resolution for a preprocessed batch
    (``window`` and ``stride``: occlusion's cube side and step, see :func:`occlusion_geometry`).
    ``target`` ``None`` explains the network's argmax, which knows no bundle threshold or class
    weights: for a bundle, pass the class it decides (``explain.api.target_index``, as ``explain`` does)."""
    if method not in METHODS:
        raise ConfigError(f"image attribution method {method!r} is not one of {', '.join(METHODS)}")
    x = _check_input(x, net)
    targets = _targets(net, x, target)
    if method in _CAMS:
        out = _cam(net, x, targets, layer or target_layer(net, x), plus=method == "gradcam++")
    elif method == "occlusion":
        out = _occlusion(net, x, targets, window, stride)
    else:
        with needs_extra(f"image attribution by {method}"):
            from captum.attr import IntegratedGradients, Saliency

        with _frozen_eval(net), torch.enable_grad():
            if method == "saliency":
                out = Saliency(net).attribute(x.clone().requires_grad_(True), target=targets, abs=True).amax(1)
            else:
                out = IntegratedGradients(net).attribute(x.clone().requires_grad_(True), baselines=torch.zeros_like(x),
                                                         target=targets, n_steps=steps).sum(1)
    return out.detach().float().cpu().numpy().astype(np.float32)


def occlusion_geometry(spatial: Sequence[int], window: int | None = None, stride: int | None = None, *,
                       flags: tuple[str, str] = ("window", "stride"),
                       ) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """``(window, stride, forward passes)`` of occlusion over an input of ``spatial`` size.

    ``window`` given: a cube of that side (1 to the smallest side), stride half of it. Default in
    2D: ~1/8 of the smallest side (a 28 px image: 4 px, 169 passes). Default in 3D: stride
    ceil(n / 6) and window twice that along each axis, so at most 5 positions per axis and 125
    passes whatever the size: a 1/8 window of a 40^3 volume was 6,859 passes of a 3D network, over
    an hour on a laptop CPU, and even 343 (7 per axis) take minutes there. The map is then as
    coarse as a ResNet's Grad-CAM (its last layer is 1/8 of the side); a smaller ``window`` gives a
    finer one, at the cost the pass count says. ``stride`` given: that step along every axis (1 to
    the window's smallest side: a larger step would leave voxels never occluded). Captum adds a last
    position that ends at the border, so every voxel is occluded at least once: passes =
    prod(ceil((n - w) / s) + 1). ``flags`` name the two settings in errors (the CLI's ``--window``).
    """
    spatial = tuple(int(n) for n in spatial)
    size = "x".join(map(str, spatial))
    if window is not None:
        if not _whole(window) or not 1 <= window <= min(spatial):
            raise ConfigError(f"occlusion {flags[0]} {window}: expected a whole number from 1 to {min(spatial)} "
                              f"(the smallest side of the {size} model input)")
        sides = (int(window),) * len(spatial)
        strides = tuple(max(1, w // 2) for w in sides)
    elif len(spatial) == 3:
        strides = tuple(-(-n // 6) for n in spatial)
        sides = tuple(min(n, 2 * s) for n, s in zip(spatial, strides))
    else:
        sides = (min(min(spatial), max(2, round(min(spatial) / 8))),) * len(spatial)
        strides = tuple(max(1, w // 2) for w in sides)
    if stride is not None:
        if not _whole(stride) or not 1 <= stride <= min(sides):
            raise ConfigError(f"occlusion {flags[1]} {stride}: expected a whole number from 1 to {min(sides)} (the "
                              f"window {'x'.join(map(str, sides))} of the {size} model input; a larger step leaves "
                              "voxels never occluded)")
        strides = (int(stride),) * len(spatial)
    passes = int(np.prod([-(-(n - w) // s) + 1 for n, w, s in zip(spatial, sides, strides)]))
    return sides, strides, passes


def _whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _occlusion(net: nn.Module, x: torch.Tensor, targets: list[int], window: int | None,
               stride: int | None) -> torch.Tensor:
    from meddx.bundle.predictor import batch_size_for

    with needs_extra("image attribution by occlusion"):
        from captum.attr import Occlusion

    sides, strides, _ = occlusion_geometry(tuple(x.shape[2:]), window, stride)
    per_eval = max(1, batch_size_for(tuple(x.shape)) // len(x))  # occluded copies per forward pass
    with _frozen_eval(net), torch.no_grad():
        attr = Occlusion(net).attribute(x, target=targets, sliding_window_shapes=(x.shape[1], *sides),
                                        strides=(x.shape[1], *strides), baselines=0.0,
                                        perturbations_per_eval=per_eval)
    return attr.mean(1)  # the window spans every channel: all channels carry the same value


# Figures live in explain.figures; imported here too, where callers have always found them.
from meddx.explain.figures import comparison_png, overlay_png, volume_overlay_png  # noqa: E402,F401
