"""Helpers for the serving tests: a data root with registered versions and keys, and ways to run the app."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import numpy as np


@contextlib.contextmanager
def data_root(home: Path) -> Iterator[Path]:
    """``MEDDX_HOME`` set to ``home`` inside the block (module-scoped fixtures cannot use monkeypatch)."""
    old = os.environ.get("MEDDX_HOME")
    os.environ["MEDDX_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            os.environ.pop("MEDDX_HOME", None)
        else:
            os.environ["MEDDX_HOME"] = old


def make_home(bundle: Path, home: Path) -> dict[str, Any]:
    """Register ``bundle`` as lesions v1 and a copy as v2 in ``home``; keys for each role (and a revoked one)."""
    from meddx.registry.store import register_bundle
    from meddx.serving.auth import create_key, revoke_key

    with data_root(home):
        v1 = register_bundle(bundle)
        copy = shutil.copytree(bundle, home / "bundles" / "lesions" / "v2")
        v2 = register_bundle(copy)
        viewer, _ = create_key("viewer", "test viewer")
        admin, _ = create_key("admin", "test admin")
        revoked, record = create_key("viewer", "revoked")
        revoke_key(record.id)
    assert (v1.version, v2.version) == (1, 2)
    return {"home": home, "viewer": viewer, "admin": admin, "revoked": revoked, "v1": Path(v1.path), "v2": copy}


def write_marker_table(path: Path, n: int = 400, seed: int = 0) -> Path:
    """Known answer: positive when 2*marker + bp > 0; ``site`` (categorical) and ``noise`` carry nothing."""
    rng = np.random.default_rng(seed)
    marker, bp, noise = rng.normal(size=(3, n))
    site = rng.choice(["north", "south"], n)
    label = np.where(2 * marker + bp > 0, "disease", "healthy")
    rows = [f"{m:.4f},{b:.4f},{z:.4f},{s},{lab}" for m, b, z, s, lab in zip(marker, bp, noise, site, label)]
    path.write_text("marker,bp,noise,site,label\n" + "\n".join(rows) + "\n")
    return path


def test_settings(**overrides: Any) -> Any:
    """Settings for tests: no background polling (tests refresh explicitly), small limits, 2 threads."""
    from meddx.serving.settings import ServeSettings

    base: dict[str, Any] = dict(poll_seconds=3600, max_upload_mb=1, max_batch=8, max_wait_ms=5,
                                key_cache_seconds=0.2, worker_threads=2, torch_threads=1)
    return ServeSettings(**{**base, **overrides})


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(app: Any, timeout: float = 120) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread on a free loopback port; yields its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextlib.asynccontextmanager
async def async_client(app: Any) -> AsyncIterator[Any]:
    """An httpx client calling ``app`` in-process with its lifespan (start-up, shut-down) run."""
    import httpx

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
