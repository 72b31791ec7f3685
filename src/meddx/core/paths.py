"""The data root: everything persistent lives under ``MEDDX_HOME`` (default ``~/.meddx``)."""

from __future__ import annotations

import os
from pathlib import Path


def meddx_home() -> Path:
    """Return the data root, from ``MEDDX_HOME`` or ``~/.meddx`` (created on first use)."""
    root = Path(os.environ.get("MEDDX_HOME", "~/.meddx")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def datasets_dir() -> Path:
    """Folder where named datasets (``medmnist:NAME``) are looked up and downloaded."""
    return _sub("datasets")


def runs_dir() -> Path:
    """Folder holding one sub-folder per training run (checkpoints, plan, logs)."""
    return _sub("runs")


def bundles_dir() -> Path:
    """Folder holding the saved bundles."""
    return _sub("bundles")


def registry_db() -> Path:
    """SQLite file indexing bundles and runs."""
    return meddx_home() / "registry.db"


def _sub(name: str) -> Path:
    path = meddx_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
