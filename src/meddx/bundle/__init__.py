"""Save and load trained models as self-describing folders (safetensors, no pickles)."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("save_bundle", "load_bundle", "read_bundle_config"):
        from meddx.bundle import bundle

        return getattr(bundle, name)
    if name in ("Predictor", "Prediction"):
        from meddx.bundle import predictor

        return getattr(predictor, name)
    raise AttributeError(name)
