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


def _usable_cores() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))  # pragma: no cover - not Linux


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core this process may use (affinity, not the host's count)."""
    return len(_usable_cores())


def _pin_xdist_worker() -> None:
    """Under pytest-xdist, worker ``gwK`` runs on one core of its own (K modulo the usable cores).

    meddx sizes torch threads (``training.trainer.set_threads``) and serving threads to the cores
    this process may use (``os.sched_getaffinity``), so a pinned worker, and every CLI subprocess
    it starts, stays on one core and the workers never compete for one: oversubscribed torch
    threads run up to 15x slower. A two-process (DDP, torchrun) test shares its worker's core.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw") or not hasattr(os, "sched_setaffinity"):
        return
    cores = _usable_cores()
    os.sched_setaffinity(0, {cores[int(worker[2:]) % len(cores)]})


def pytest_configure(config: pytest.Config) -> None:
    _pin_xdist_worker()  # before collection imports torch


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
