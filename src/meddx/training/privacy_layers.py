"""Layer substitutions for DP-SGD, and the trained network a bundle stores.

Opacus computes per-sample gradients with hooks on each layer; some layers need a substitute
(BatchNorm mixes samples -> GroupNorm; nn.LSTM/GRU/MultiheadAttention -> Opacus' DP versions) and
in-place operations on a hooked layer's output fail (the output is a view), so in-place
activations and MONAI ResNet's ``out += residual`` are made out of place. After training,
:func:`bundle_network` hands the bundle the registered architecture whenever the substituted
weights keep their names and shapes (DPLSTM does), so ``load_bundle`` needs nothing new; a
GroupNorm network is kept as trained and marked ``model.opacus_substitutions`` in the bundle,
which :func:`load_private_bundle` rebuilds.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from meddx.core.errors import ConfigError


def make_compatible(net: Any, model_name: str = "the model") -> tuple[Any, list[str]]:
    """A copy of ``net`` Opacus can compute per-sample gradients for, and what was replaced.

    Opacus' own fixers (``ModuleValidator.fix``: BatchNorm -> GroupNorm, LSTM/GRU -> DPLSTM/DPGRU,
    MultiheadAttention -> DPMultiheadAttention); then in-place activations and MONAI ResNet's
    in-place residual addition are made out of place (per-sample gradient hooks wrap each layer's
    output in a view that must not be modified in place). Raises ``ConfigError`` naming the layers
    when a layer has no substitute.
    """
    from meddx.training.privacy import require_opacus

    require_opacus()
    from opacus.validators import ModuleValidator

    was_training = net.training
    net.train()
    fixed = ModuleValidator.fix(net)  # a deep copy
    net.train(was_training)
    replaced = [f"{n} {old} -> {new}" for (old, new), n in _replacements(net, fixed).items()]
    inplace = _out_of_place(fixed)
    if inplace:
        replaced.append(f"{inplace} in-place operation(s) made out of place (same weights)")
    errors = ModuleValidator.validate(fixed, strict=False)
    if errors:
        kinds = sorted({str(e).split(".")[0][:120] for e in errors})
        raise ConfigError(f"model {model_name!r} cannot be trained with DP-SGD: Opacus has no substitute for "
                          f"{'; '.join(kinds)}; choose another model (seed-cnn, resnet18, lstm work)")
    fixed.train(was_training)
    return fixed, replaced


def apply_substitutions(net: Any) -> Any:
    """The same layer replacements :func:`make_compatible` makes, for rebuilding a bundle whose
    weights belong to the substituted network (``config.json`` ``model.opacus_substitutions``)."""
    fixed, _ = make_compatible(net)
    return fixed.eval()


def _replacements(before: Any, after: Any) -> dict[tuple[str, str], int]:
    """(old layer type, new layer type) -> count, comparing the layers at the same paths."""
    old = {name: type(m).__name__ for name, m in before.named_modules()}
    pairs: dict[tuple[str, str], int] = {}
    for name, module in after.named_modules():
        new = type(module).__name__
        if name in old and old[name] != new:
            pairs[(old[name], new)] = pairs.get((old[name], new), 0) + 1
    return pairs


def _out_of_place(net: Any) -> int:
    """Turn off ``inplace`` flags (ReLU & co.) and swap MONAI ResNet blocks for subclasses whose
    residual addition is out of place; the state dict is unchanged. Returns how many changed."""
    changed = 0
    for module in net.modules():
        if getattr(module, "inplace", False) is True:
            module.inplace = False
            changed += 1
    try:
        from monai.networks.nets.resnet import ResNetBlock, ResNetBottleneck
    except ImportError:  # pragma: no cover - MONAI is a core dependency
        return changed
    block, bottleneck = _block_classes()
    swaps = {ResNetBlock: block, ResNetBottleneck: bottleneck}
    for module in net.modules():
        if type(module) in swaps:
            module.__class__ = swaps[type(module)]
            changed += 1
    return changed


@lru_cache(maxsize=1)
def _block_classes() -> tuple[type, type]:
    from monai.networks.nets.resnet import ResNetBlock, ResNetBottleneck

    class OutOfPlaceBlock(ResNetBlock):
        """MONAI's basic block with ``out = out + residual`` instead of ``out += residual``."""

        def forward(self, x: Any) -> Any:
            out = self.act(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            residual = x if self.downsample is None else self.downsample(x)
            return self.act(out + residual)

    class OutOfPlaceBottleneck(ResNetBottleneck):
        """MONAI's bottleneck block with an out-of-place residual addition."""

        def forward(self, x: Any) -> Any:
            out = self.act(self.bn1(self.conv1(x)))
            out = self.act(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            residual = x if self.downsample is None else self.downsample(x)
            return self.act(out + residual)

    return OutOfPlaceBlock, OutOfPlaceBottleneck


def bundle_network(task: Any) -> tuple[Any, bool]:
    """The trained network in the registered architecture when the substituted layers keep the
    original weights' names and shapes (DPLSTM, out-of-place blocks), so ``load_bundle`` rebuilds it
    unchanged; else the substituted network and ``True`` (e.g. GroupNorm has no running stats)."""
    import torch

    from meddx.models.registry import create_model

    hp = task.hparams
    plain = create_model(hp["model_name"], num_classes=hp["num_classes"], **hp["model_args"])
    trained = task.net.state_dict()
    wanted = plain.state_dict()
    if all(k in trained and trained[k].shape == v.shape for k, v in wanted.items()):
        plain.load_state_dict({k: trained[k] for k in wanted})
        if hp["model_args"].get("spatial_dims") == 2:
            plain = plain.to(memory_format=torch.channels_last)
        return plain.eval(), False
    return task.net, True


def load_private_bundle(path: str | Path) -> Any:
    """``load_bundle`` (which rebuilds Opacus' substituted layers itself, from
    ``model.opacus_substitutions``); kept as the privacy module's name for it."""
    from meddx.bundle.bundle import load_bundle

    return load_bundle(path)
