"""Architectures only (``nn.Module``), one family per file, registered by name.

Use :func:`create_model`, :func:`list_models` and :func:`model_info`. They are re-exported
lazily: ``import meddx.models`` imports neither torch nor MONAI; the family modules are
imported on the first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from meddx.models.registry import create_model, list_models, model_info

__all__ = ["create_model", "list_models", "model_info"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from meddx.models import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'meddx.models' has no attribute {name!r}")
