"""Errors as RFC 9457 problem details (``application/problem+json``), never a stack trace.

``Problem`` is raised anywhere in request handling; ``install_handlers`` maps it, FastAPI's
validation errors, Starlette's HTTP errors, meddx's own errors (bad input: 422) and anything
unexpected (500, logged with a request id, body never echoed) to the same JSON shape.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import Path
from typing import Any

log = logging.getLogger("meddx.serving")
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:meddx:problem:"


class Problem(Exception):
    """An error the client can act on: ``status`` (4xx/5xx), a short ``slug`` naming the kind of
    problem (the ``type`` URN), and a ``detail`` saying what was expected and what to do."""

    def __init__(self, status: int, slug: str, detail: str, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
        self.headers = headers or {}
        self.extra = extra


def problem_body(status: int, slug: str, detail: str, instance: str | None = None, **extra: Any) -> dict[str, Any]:
    """The JSON object of one problem (type, title, status, detail, instance, extra members)."""
    body = {"type": TYPE_BASE + slug, "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(status: int, slug: str, detail: str, instance: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse(problem_body(status, slug, detail, instance, **extra), status_code=status,
                        media_type=MEDIA_TYPE, headers=headers)


def internal_error(request_id: str, path: str | None) -> Any:
    """The 500 answer: a request id to quote to the operator, never the cause or a stack trace."""
    return problem_response(500, "internal-error", f"the server failed on this request (request id {request_id}); "
                            "the operator's log has the cause", path, request_id=request_id)


def log_failure(request_id: str, exc: BaseException) -> None:
    """Log an unexpected failure as its type and stack (file, line, function of each frame), not
    its message: a message may quote the input (``UnicodeEncodeError`` carries the note, pydicom a
    header value), and the server log holds ids, sizes, hashes and timings only."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-8:]))
    chain, seen = [], exc  # the causes' types too ("raise ... from exc"), each message withheld alike
    while (seen := seen.__cause__ or seen.__context__) is not None and len(chain) < 4:
        chain.append(type(seen).__name__)
    log.error("request %s failed: %s%s (message withheld: it may quote the input) at %s", request_id,
              type(exc).__name__, "".join(f" from {name}" for name in chain), where or "?")


def install_handlers(app: Any) -> None:
    """Register the exception handlers that turn every failure into a problem response."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from meddx.core.errors import MeddxError

    def instance(request: Any) -> str:
        return request.url.path

    async def on_problem(request: Any, exc: Problem) -> Any:
        return problem_response(exc.status, exc.slug, exc.detail, instance(request), exc.headers, **exc.extra)

    async def on_http(request: Any, exc: HTTPException) -> Any:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no endpoint {request.method} {request.url.path}; see /docs for the API"
        return problem_response(exc.status_code, slug, detail, instance(request), dict(exc.headers or {}))

    async def on_validation(request: Any, exc: RequestValidationError) -> Any:
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()]
        return problem_response(422, "invalid-request", "the request does not match the API (see errors and /docs)",
                                instance(request), errors=errors[:20])

    async def on_meddx(request: Any, exc: MeddxError) -> Any:
        return problem_response(422, "unprocessable-input", str(exc), instance(request))

    async def on_any(request: Any, exc: Exception) -> Any:  # reached only outside SecurityHeaders
        rid = getattr(request.state, "request_id", "-")
        log_failure(rid, exc)
        return internal_error(rid, instance(request))

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(MeddxError, on_meddx)
    app.add_exception_handler(Exception, on_any)
