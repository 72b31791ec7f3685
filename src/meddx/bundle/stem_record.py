"""The stem of a bundle whose ``config.json`` says ``stem: "auto"`` (or none): read from its weights.

``stem="auto"`` resolves by input size when the network is built (``models.registry.auto_stem``: the
small 3x3/1 stem up to 64 px, the standard 7x7/2 + pool above). Bundles record the resolved stem now
(``training.finish.bundle_config``); those written before hold ``auto``, which a later change of the
rule would rebuild as another network, and their weights would no longer load. The weights say which
stem they were trained with: the first convolution's kernel is 3 (small) or 7 (standard).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

# ResNet's ``conv1``, DenseNet's ``features.conv0``; an ensemble's members under ``members.K.``
_STEM_CONV = re.compile(r"(?:members\.\d+\.)?(?:conv1|features\.conv0)\.weight")
_BY_KERNEL = {3: "small", 7: "standard"}  # the two stems "auto" resolves to


def with_trained_stem(spec: dict[str, Any], weights: Path) -> dict[str, Any]:
    """``spec`` (``config.json``'s ``model``) with an ``auto`` stem replaced by the one ``weights`` were
    trained with; unchanged for other models, a stem already recorded, or weights that do not say
    (unreadable: ``load_weights`` names what is wrong with them)."""
    from meddx.models.registry import STEM_MODELS

    args = spec.get("args") or {}
    if spec.get("name") not in STEM_MODELS or not isinstance(args, dict) or args.get("stem", "auto") != "auto":
        return spec
    stem = _BY_KERNEL.get(_stem_kernel(weights))  # type: ignore[arg-type]
    return spec if stem is None else {**spec, "args": {**args, "stem": stem}}


def _stem_kernel(weights: Path) -> int | None:
    """The last kernel side of the first stem convolution stored in ``weights`` (shapes only: the
    tensors are not read), or ``None``."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(weights), framework="pt") as stored:
            key = next((k for k in stored.keys() if _STEM_CONV.fullmatch(k)), None)
            shape = stored.get_slice(key).get_shape() if key is not None else None
    except (SafetensorError, OSError, ValueError):
        return None
    return int(shape[-1]) if shape and len(shape) >= 3 else None
