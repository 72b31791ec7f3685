"""A registered model the server cannot run answers 422 ``model-not-servable`` (retrying cannot
help), while one whose load failed for a passing reason answers 503 ``model-unavailable`` with
Retry-After and is loaded again at the next registry poll.

Before: both answered 503, and the failed version was never tried again, so the 503's promise
(and a client's retries) could not come true until a restart.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest


def _manager(executor: ThreadPoolExecutor, target: tuple[int, str, str]) -> object:
    from meddx.serving.models import ModelManager
    from meddx.serving.settings import ServeSettings

    manager = ModelManager(ServeSettings(warmup=False, poll_seconds=7), executor)
    manager._targets = lambda: {"stays": target}  # type: ignore[method-assign]  # the registry's answer
    return manager


def test_a_series_bundle_without_predict_records_is_not_servable_422(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.bundle.bundle as bundle
    from meddx.serving.problems import Problem

    files_only = SimpleNamespace(task="binary", config={"task": "binary", "modality": "series"}, name="stays")
    monkeypatch.setattr(bundle, "load_bundle", lambda path: files_only)
    with ThreadPoolExecutor(1) as executor:
        manager = _manager(executor, (1, "latest", str(tmp_path)))
        asyncio.run(manager.refresh())
        with pytest.raises(Problem) as err:
            manager.get("stays")
    assert (err.value.status, err.value.slug) == (422, "model-not-servable")
    assert "predict_records" in err.value.detail and "v1" in err.value.detail
    assert "stays" in manager.not_servable and "stays" not in manager.errors


def test_a_failed_load_is_503_with_retry_after_and_is_loaded_at_the_next_poll(tmp_path: Path) -> None:
    from meddx.serving.problems import Problem

    served = SimpleNamespace(version=1, stage="latest", summary={"stage": "latest"})
    calls: list[str] = []

    def load(name: str, version: int, stage: str, path: str) -> object:
        calls.append(name)
        if len(calls) == 1:  # the bundle was still being copied in
            raise OSError("weights.safetensors: truncated read")
        return served

    with ThreadPoolExecutor(1) as executor:
        manager = _manager(executor, (1, "latest", str(tmp_path)))
        manager._load = load  # type: ignore[method-assign]
        asyncio.run(manager.refresh())
        with pytest.raises(Problem) as err:
            manager.get("stays")
        assert (err.value.status, err.value.slug) == (503, "model-unavailable")
        assert err.value.headers["Retry-After"] == "7" and "truncated read" in err.value.detail
        asyncio.run(manager.refresh())  # what the next poll does
        assert manager.get("stays") is served and calls == ["stays", "stays"]
    assert manager.errors == {} and manager.not_servable == {}
