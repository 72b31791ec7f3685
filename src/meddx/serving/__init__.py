"""Serving trained bundles to clinicians: a FastAPI app with API keys, an audit log and a web page.

``create_app(ServeSettings())`` builds the app; ``meddx serve`` runs it with uvicorn on
127.0.0.1. Modules: ``settings`` (every limit in one place), ``auth`` (hashed API keys),
``audit`` (one SQLite row per prediction, no input content), ``uploads`` (content sniffing and
size/dimension limits before decoding), ``batching`` (asyncio micro-batcher), ``models``
(production-version cache with hot swap), ``app`` (routes and problem-details errors).
FastAPI is imported only when an app is built, so ``import meddx.serving`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServeSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from meddx.serving.app import create_app

        return create_app
    if name == "ServeSettings":
        from meddx.serving.settings import ServeSettings

        return ServeSettings
    raise AttributeError(name)
