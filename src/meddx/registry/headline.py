"""The few numbers the registry lists for a bundle or a finished run (``meddx registry list`` and
``meddx registry runs``), from its ``metrics.json``."""

from __future__ import annotations

from typing import Any


def headline_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The few numbers the registry lists for a bundle or a finished run, from its ``metrics.json``
    (``{"val": {...}, "test": {...}}``): ``val_auc``, ``val_accuracy``, ``test_auc``, ``test_accuracy``, and
    for segmentation ``val_dice``/``test_dice`` (mean foreground Dice); a number the metrics lack is left out.

    Why one function: ``meddx registry list`` (bundles, :func:`register`) and ``meddx registry runs``
    (``registry.run_log``) show the same headline, so a bundle and the run that made it agree."""
    out = {}
    for split in ("val", "test"):
        m = metrics.get(split) or {}
        dice = (m.get("mean_foreground") or {}).get("dice") or {}
        if dice.get("mean") is not None:  # segmentation: mean foreground Dice
            out[f"{split}_dice"] = dice["mean"]
        for key in ("auc", "accuracy"):
            if m.get(key) is not None:
                out[f"{split}_{key}"] = m[key]
    return out
