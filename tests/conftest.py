"""Shared fixtures: an isolated data root, the shared real-data folder, quiet torch threads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _shared_data_root() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return Path(os.environ.get("MEDDX_SHARED_DATA", default))


@pytest.fixture(autouse=True)
def meddx_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own MEDDX_HOME so nothing touches the user's ~/.meddx."""
    home = tmp_path_factory.mktemp("meddx_home")
    monkeypatch.setenv("MEDDX_HOME", str(home))
    return home


@pytest.fixture(scope="session", autouse=True)
def _torch_threads() -> None:
    """One intra-op thread: tests share two cores and oversubscription is 15x slower."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public datasets (../shared/data or $MEDDX_SHARED_DATA); skip when absent."""
    root = _shared_data_root()
    if not root.is_dir():
        pytest.skip(f"real data folder {root} is absent (set MEDDX_SHARED_DATA to its path)")
    return root
