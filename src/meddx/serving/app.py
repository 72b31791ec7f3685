"""``create_app(settings)``: the FastAPI app that serves registered bundles.

Endpoints (all JSON; errors are ``application/problem+json``):

- ``GET /healthz`` (no key): the process answers. ``GET /readyz`` (no key): models loaded and
  the audit log writable, else 503.
- ``GET /v1/models`` (viewer): served bundles with version, stage, task, labels, metrics
  headline, operating point. ``GET /v1/models/{name}``: the same plus the model card summary.
- ``POST /v1/models/{name}/predict`` (viewer): an image as multipart field ``file``, or JSON
  ``{"text": ...}`` / ``{"record": ...}`` / ``{"row": ...}``; ``?explain=gradcam`` adds an overlay PNG (base64).
- ``POST /v1/models/{name}/promote`` and ``/rollback`` (admin): move the ``production`` stage
  and swap the served version without downtime. ``GET /v1/audit`` (admin): recent audit rows.
- ``GET /`` (no key): the web page for clinicians (it asks for a key). ``/docs``, ``/openapi.json``:
  the API description (no data, no model names; ``docs=False`` hides them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from meddx.serving.problems import Problem, install_handlers, internal_error, log_failure
from meddx.serving.settings import ServeSettings

log = logging.getLogger("meddx.serving")
STATIC = Path(__file__).parent / "static"
# every method `explain.api.methods_for` can list (ablation: table bundles, the only one of gradient boosting)
EXPLAIN_PATTERN = r"^(auto|gradcam|gradcam\+\+|occlusion|integrated-gradients|saliency|attention|ablation)$"
_PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; "
             "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class SecurityHeaders:
    """ASGI middleware: a request id, and headers that keep browsers strict (no sniffing, no
    framing, no referrer, no caching of API answers, a CSP on the web page)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        path = scope.get("path", "")
        started = False

        async def send_with_headers(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers += [(b"x-request-id", rid.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
                if path.startswith("/v1/"):
                    headers.append((b"cache-control", b"no-store"))
                if path == "/" or path.startswith("/static/"):
                    headers.append((b"content-security-policy", _PAGE_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # noqa: BLE001 - answered here so it never reaches the server's own log
            # Starlette's 500 handler re-raises, and uvicorn then logs the traceback with the
            # exception's message, which may quote the input (a note, a DICOM value): log the type
            # and stack only, answer the problem, and stop the exception here.
            log_failure(rid, exc)
            if not started:
                await internal_error(rid, path)(scope, receive, send_with_headers)


def create_app(settings: ServeSettings | None = None) -> Any:
    """Build the app; models load (and warm up) when it starts, i.e. in uvicorn's lifespan."""
    from meddx.core.extras import needs_extra
    from meddx.serving.uploads import BodyLimit

    with needs_extra("the model server"):
        from fastapi import FastAPI
        from fastapi.middleware.cors import CORSMiddleware
        from fastapi.staticfiles import StaticFiles

    settings = settings or ServeSettings()

    @asynccontextmanager
    async def lifespan(app: Any):  # type: ignore[no-untyped-def]
        await _start(app, settings)
        try:
            yield
        finally:
            await _stop(app)

    app = FastAPI(title="meddx", version=_version(), lifespan=lifespan,
                  description="Diagnostic models from meddx bundles. Send `Authorization: Bearer <key>` "
                              "(create one with `meddx keys create --role viewer`).",
                  docs_url="/docs" if settings.docs else None, redoc_url="/redoc" if settings.docs else None,
                  openapi_url="/openapi.json" if settings.docs else None)
    app.state.settings = settings
    install_handlers(app)
    if settings.cors_origins:  # closed by default: no CORS headers, so other origins cannot read answers
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key"], allow_credentials=False)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes, timeout_s=settings.upload_timeout_s)
    app.add_middleware(SecurityHeaders)
    from meddx.serving.routes import router

    app.include_router(router)
    from meddx.serving.openapi import install_openapi

    install_openapi(app)  # errors described as the problem details they are
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


async def _start(app: Any, settings: ServeSettings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import torch

    from meddx.serving.audit import AuditLog
    from meddx.serving.auth import KeyStore
    from meddx.serving.models import ModelManager

    torch.set_num_threads(settings.resolved_torch_threads())
    db = settings.database()
    app.state.keys = KeyStore(db, cache_seconds=settings.key_cache_seconds)
    app.state.audit = AuditLog(db)
    app.state.executor = ThreadPoolExecutor(max(1, settings.worker_threads), thread_name_prefix="meddx-infer")
    app.state.manager = ModelManager(settings, app.state.executor)
    app.state.busy = 0
    start = time.perf_counter()
    await app.state.manager.refresh()
    log.info("meddx serve: %d model(s) ready in %.1f s; %d inference thread(s), %d torch thread(s), batch <= %d",
             len(app.state.manager.models), time.perf_counter() - start, settings.worker_threads,
             settings.resolved_torch_threads(), settings.max_batch)
    app.state.poller = asyncio.get_running_loop().create_task(app.state.manager.poll_forever())


async def _stop(app: Any) -> None:
    app.state.poller.cancel()
    try:
        await app.state.poller
    except (asyncio.CancelledError, Exception):
        pass
    await app.state.manager.close()
    app.state.audit.close()
    app.state.executor.shutdown(wait=False, cancel_futures=True)


def _version() -> str:
    from meddx import __version__

    return __version__


async def read_json(request: Any) -> Any:
    """The request body as JSON; 400 with the reason when it is not."""
    body = await request.body()
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "invalid-json", "the request body is not valid JSON") from None
    except RecursionError:  # [[[[...]]]]: json.loads recurses once per level
        raise Problem(400, "invalid-json", "the request body's JSON nests too deeply (a record or row is a "
                      "few levels deep)") from None
