"""Which pixels (or voxels) an image prediction rests on: CAMs, occlusion and gradient attributions.

- ``gradcam`` / ``gradcam++``: class activation maps of the last spatial layer (Selvaraju et al.
  2017; Chattopadhyay et al. 2018), ReLU'd (non-negative) and upsampled to the input resolution.
- ``occlusion``: Captum ``Occlusion``; a window (default ~1/8 of the side in 2D, ~1/3 of each side
  in 3D; stride half the window) slides over the image, set to zero (the preprocessed mean), and
  the drop of the target logit is recorded: signed, positive where hiding the region lowers the
  class score. One forward pass per window position (``occlusion_geometry`` counts them), run in
  batches of as many occluded copies as ``bundle.predictor.batch_size_for`` allows their size.
- ``integrated-gradients``: Captum ``IntegratedGradients`` from a zero baseline, summed over
  channels: signed, and sums to logit(x) - logit(0) up to the Riemann error.
- ``saliency``: absolute input gradient, max over channels (Simonyan et al. 2014).

Every method restores the network's train/eval mode and ``requires_grad`` flags and leaves no
parameter gradients behind (parameters are frozen while attributing; only the input is
differentiated). Figures use matplotlib's object API (no pyplot state) and are written atomically.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from meddx.core.errors import ConfigError, DataError
from meddx.core.files import write_bytes_atomic

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
                       layer: str | None = None, steps: int = 32, window: int | None = None) -> np.ndarray:
    """Attribution maps ``(B, *spatial)`` float32 at the input resolution for a preprocessed batch."""
    if method not in METHODS:
        raise ConfigError(f"image attribution method {method!r} is not one of {', '.join(METHODS)}")
    x = _check_input(x, net)
    targets = _targets(net, x, target)
    if method in _CAMS:
        out = _cam(net, x, targets, layer or target_layer(net, x), plus=method == "gradcam++")
    elif method == "occlusion":
        out = _occlusion(net, x, targets, window)
    else:
        from captum.attr import IntegratedGradients, Saliency

        with _frozen_eval(net), torch.enable_grad():
            if method == "saliency":
                out = Saliency(net).attribute(x.clone().requires_grad_(True), target=targets, abs=True).amax(1)
            else:
                out = IntegratedGradients(net).attribute(x.clone().requires_grad_(True), baselines=torch.zeros_like(x),
                                                         target=targets, n_steps=steps).sum(1)
    return out.detach().float().cpu().numpy().astype(np.float32)


def occlusion_geometry(spatial: Sequence[int],
                       window: int | None = None) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """``(window, stride, forward passes)`` of occlusion over an input of ``spatial`` size.

    ``window`` given: a cube of that side, stride half of it. Default in 2D: ~1/8 of the smallest
    side (a 28 px image: 4 px, 169 passes). Default in 3D: stride ceil(n / 6) and window twice
    that along each axis, so at most 5 positions per axis and 125 passes whatever the size: a
    1/8 window of a 40^3 volume was 6,859 passes of a 3D network, over an hour on a laptop CPU,
    and even 343 (7 per axis) take minutes there. The map is then as coarse as a ResNet's
    Grad-CAM (its last layer is 1/8 of the side); a smaller ``window`` gives a finer one, at
    the cost the pass count says. Captum adds a last position that ends at the border, so every
    voxel is occluded at least once: passes = prod(ceil((n - w) / s) + 1).
    """
    spatial = tuple(int(n) for n in spatial)
    if window is not None:
        if not 1 <= window <= min(spatial):
            raise ConfigError(f"occlusion window {window} must be between 1 and the smallest side {min(spatial)}")
        sides = (int(window),) * len(spatial)
        strides = tuple(max(1, w // 2) for w in sides)
    elif len(spatial) == 3:
        strides = tuple(-(-n // 6) for n in spatial)
        sides = tuple(min(n, 2 * s) for n, s in zip(spatial, strides))
    else:
        sides = (min(min(spatial), max(2, round(min(spatial) / 8))),) * len(spatial)
        strides = tuple(max(1, w // 2) for w in sides)
    passes = int(np.prod([-(-(n - w) // s) + 1 for n, w, s in zip(spatial, sides, strides)]))
    return sides, strides, passes


def _occlusion(net: nn.Module, x: torch.Tensor, targets: list[int], window: int | None) -> torch.Tensor:
    from captum.attr import Occlusion

    from meddx.bundle.predictor import batch_size_for

    sides, strides, _ = occlusion_geometry(tuple(x.shape[2:]), window)
    per_eval = max(1, batch_size_for(tuple(x.shape)) // len(x))  # occluded copies per forward pass
    with _frozen_eval(net), torch.no_grad():
        attr = Occlusion(net).attribute(x, target=targets, sliding_window_shapes=(x.shape[1], *sides),
                                        strides=(x.shape[1], *strides), baselines=0.0,
                                        perturbations_per_eval=per_eval)
    return attr.mean(1)  # the window spans every channel: all channels carry the same value


# ----------------------------------------------------------------------------- figures


def _resize(attribution: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    a = np.asarray(attribution, dtype=np.float32)
    if a.shape == tuple(shape):
        return a
    mode = "bilinear" if len(shape) == 2 else "trilinear"
    t = torch.from_numpy(np.ascontiguousarray(a))[None, None]
    return F.interpolate(t, size=tuple(shape), mode=mode, align_corners=False)[0, 0].numpy()


def _as_display(image: np.ndarray, spatial_ndim: int = 2) -> np.ndarray:
    """A (C, *spatial) or (*spatial) array as floats in [0, 1]: grey (*spatial) or RGB (*spatial, 3)."""
    a = np.asarray(image, dtype=np.float32)
    if a.ndim == spatial_ndim + 1:
        a = np.moveaxis(a, 0, -1) if a.shape[0] == 3 else a.mean(0)
    elif a.ndim != spatial_ndim:
        raise DataError(f"image for the overlay: expected (C, *spatial) or (*spatial) with {spatial_ndim} spatial "
                        f"axes, found {a.shape}")
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)


def _blend(display: np.ndarray, attribution: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """RGB: the image in grey, the map on top (inferno when non-negative, red/blue when signed)."""
    import matplotlib

    base = display if display.ndim == 3 else np.repeat(display[..., None], 3, axis=-1)
    a = np.nan_to_num(attribution.astype(np.float32))
    signed = float(a.min()) < 0
    scale = float(np.abs(a).max()) or 1.0
    if signed:
        heat = matplotlib.colormaps["bwr"](0.5 + 0.5 * a / scale)[..., :3]
    else:
        heat = matplotlib.colormaps["inferno"](a / scale)[..., :3]
    weight = alpha * (np.abs(a) / scale)[..., None]
    return np.clip((1 - weight) * base + weight * heat, 0.0, 1.0)


def overlay_png(image: np.ndarray, attribution: np.ndarray, path: str | Path, *, title: str = "",
                scale: int = 1) -> Path:
    """The map blended on the raw image, written as a PNG exactly the image's size (times an
    integer ``scale``); the map is resized to the image, the title goes in the PNG metadata."""
    from matplotlib.image import imsave

    display = _as_display(image)
    rgb = _blend(display, _resize(attribution, display.shape[:2]))
    if scale > 1:
        rgb = rgb.repeat(scale, axis=0).repeat(scale, axis=1)
    buf = io.BytesIO()
    imsave(buf, rgb, format="png", metadata={"Title": title} if title else None)
    return write_bytes_atomic(path, buf.getvalue())


def _save_figure(fig, path: str | Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return write_bytes_atomic(path, buf.getvalue())


def volume_overlay_png(volume: np.ndarray, attribution: np.ndarray, path: str | Path, *, title: str = "") -> Path:
    """Axial, coronal and sagittal slices of the volume through the attribution's peak |value|."""
    from matplotlib.figure import Figure

    display = _as_display(volume, spatial_ndim=3)
    if display.ndim != 3:
        raise DataError(f"volume overlay: expected a single-channel-like volume, found {np.shape(volume)}")
    attr = _resize(attribution, display.shape)
    peak = np.unravel_index(int(np.argmax(np.abs(attr))), attr.shape)
    views = [("axial", np.s_[peak[0], :, :]), ("coronal", np.s_[:, peak[1], :]), ("sagittal", np.s_[:, :, peak[2]])]
    fig = Figure(figsize=(9, 3.4))
    for i, (name, sl) in enumerate(views):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.imshow(_blend(display[sl], attr[sl]), interpolation="nearest")
        ax.set_title(f"{name} {peak[i]}")
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return _save_figure(fig, path)


def comparison_png(image: np.ndarray, maps: dict[str, np.ndarray], path: str | Path, *, title: str = "") -> Path:
    """The image next to one overlay per method, side by side."""
    from matplotlib.figure import Figure

    display = _as_display(image)
    fig = Figure(figsize=(2.6 * (len(maps) + 1), 2.9))
    ax = fig.add_subplot(1, len(maps) + 1, 1)
    ax.imshow(display, cmap="gray" if display.ndim == 2 else None, interpolation="nearest")
    ax.set_title("image")
    ax.axis("off")
    for i, (name, attribution) in enumerate(maps.items()):
        ax = fig.add_subplot(1, len(maps) + 1, i + 2)
        ax.imshow(_blend(display, _resize(attribution, display.shape[:2])), interpolation="nearest")
        ax.set_title(name)
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return _save_figure(fig, path)
