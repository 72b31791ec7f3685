"""The data root: everything persistent lives under ``MEDDX_HOME`` (default ``~/.meddx``)."""

from __future__ import annotations

import os
from pathlib import Path


def meddx_home() -> Path:
    """Return the data root, from ``MEDDX_HOME`` or ``~/.meddx`` (created on first use).

    A root that cannot be a folder (a file, a read-only or virtual file system) is a
    ``MeddxError`` naming ``MEDDX_HOME``: the OS error alone names a path the user may not
    recognise as the data root. An empty ``MEDDX_HOME`` counts as unset (as an empty
    ``XDG_DATA_HOME`` does): it made the current folder the data root, scattering ``bundles/``,
    ``runs/`` and ``registry.db`` wherever a command ran. A relative ``MEDDX_HOME`` is made absolute
    against the current folder: bundles record their run folder (``training.run_dir``), and a relative
    one points elsewhere from another folder (segmentation ``evaluate`` then finds no ``data.json``
    and skips its check for training cases in the evaluated split).
    """
    value = os.environ.get("MEDDX_HOME", "").strip()
    root = Path(value or "~/.meddx").expanduser().absolute()
    _make_folder(root, "MEDDX_HOME" if value else "the data root (MEDDX_HOME unset)")
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
    _make_folder(path, f"MEDDX_HOME/{name}")
    return path


def _make_folder(path: Path, what: str) -> None:
    """``mkdir -p path``; an OS refusal becomes one ``MeddxError`` line naming ``what`` and ``path``."""
    from meddx.core.errors import MeddxError

    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        found = "a file" if path.is_file() else (exc.strerror or type(exc).__name__).lower()
        raise MeddxError(f"{what}: {path}: cannot be used as a folder ({found}); expected a writable folder: "
                         "set MEDDX_HOME to one") from None
