"""The HTTP routes: health, models, predict, registry changes, audit, and the web page."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.responses import FileResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from meddx.serving.app import EXPLAIN_PATTERN, STATIC
from meddx.serving.auth import KeyRecord
from meddx.serving.batching import BatcherClosed
from meddx.serving.inputs import decode_body, read_body
from meddx.serving.problems import Problem
from meddx.serving.segment import MASK_PATTERN

log = logging.getLogger("meddx.serving")
router = APIRouter()
_bearer = HTTPBearer(auto_error=False, description="An API key from `meddx keys create`.")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The same key, as a header.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="meddx"'}


def _require(role: str) -> Any:
    async def dependency(request: Request, bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
                         header: str | None = Security(_header)) -> KeyRecord:
        token = bearer.credentials if bearer is not None else header
        if not token:
            raise Problem(401, "missing-key", "this endpoint needs an API key: send `Authorization: Bearer <key>`",
                          headers=_CHALLENGE)
        key = request.app.state.keys.verify(token)
        if key is None:
            raise Problem(401, "invalid-key", "the API key is not valid (unknown, mistyped or revoked)",
                          headers=_CHALLENGE)
        if not key.allows(role):
            raise Problem(403, "forbidden", f"this endpoint needs an {role} key; this key's role is {key.role}")
        request.state.key_id = key.id
        return key
    return dependency


viewer = _require("viewer")
admin = _require("admin")


# ----------------------------------------------------------------------------- public
@router.get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """The process is up (no key needed)."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
async def readyz(request: Request) -> dict[str, Any]:
    """Models are loaded and the audit log is writable (no key needed); 503 otherwise."""
    state = request.app.state
    if not getattr(state, "manager", None) or not state.manager.ready:
        raise Problem(503, "not-ready", "models are still loading", headers={"Retry-After": "2"})
    if not state.audit.healthy:
        raise Problem(503, "audit-unavailable", "the audit log cannot be written; predictions would go unrecorded")
    return {"status": "ready", "models": len(state.manager.models)}


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


# ----------------------------------------------------------------------------- models
@router.get("/v1/models", tags=["models"])
async def list_models(request: Request, key: KeyRecord = Depends(viewer)) -> dict[str, Any]:
    """Served bundles: version, stage, task, labels, metrics headline and operating point."""
    manager = request.app.state.manager
    return {"models": [m.summary for _, m in sorted(manager.models.items())], "unavailable": dict(manager.errors),
            "not_servable": dict(manager.not_servable)}


@router.get("/v1/models/{name}", tags=["models"])
async def model_detail(name: str, request: Request, key: KeyRecord = Depends(viewer)) -> dict[str, Any]:
    """One served bundle with its model card summary and batching statistics."""
    served = request.app.state.manager.get(name)
    return {**served.summary, "card": served.card, "batching": served.batcher.stats(), "loaded_at": served.loaded_at}


_PREDICT_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "PNG, JPEG, DICOM or NIfTI (.nii/.nii.gz); "
                 "3D models: also a ZIP of one DICOM series"}}}},
    "application/json": {"schema": {"type": "object", "description": 'text bundles: {"text": "..."}; '
                                    'series bundles: {"record": {...}}; table bundles: {"row": {"column": '
                                    'value, ...}} (GET /v1/models lists each bundle\'s input)'}}}}}


@router.post("/v1/models/{name}/predict", tags=["predict"], openapi_extra=_PREDICT_BODY)
async def predict(name: str, request: Request, key: KeyRecord = Depends(viewer),
                  explain: str | None = Query(None, pattern=EXPLAIN_PATTERN,
                                              description="add an explanation: auto, or one of the model's explain_methods "
                                                          "(GET /v1/models): gradcam (images), attention (text), ablation (tables)..."),
                  mask: str | None = Query(None, pattern=MASK_PATTERN,
                                           description="segmentation models: the mask's encoding (base64): auto "
                                                       "(the file meddx predict --output writes: PNG for pictures, "
                                                       "NIfTI-gz for NIfTI/DICOM), png (2D), nifti, or none "
                                                       "(measurements only)"),
                  pixel_size: float | None = Query(None, gt=0, le=1000,
                                                   description="segmentation models: pixel/voxel size in mm for a file "
                                                               "that records none (PNG, JPEG), as meddx predict "
                                                               "--pixel-size")
                  ) -> dict[str, Any]:
    """Probabilities, the label at the bundle's operating point, the calibrated probability,
    and optionally an explanation (image: overlay PNG in base64); segmentation models: each
    structure's size, area or volume and bounding box, and the mask."""
    state, settings = request.app.state, request.app.state.settings
    start = time.perf_counter()
    served = state.manager.get(name)
    options = _seg_options(served, explain, mask, pixel_size)
    if state.busy >= settings.max_queue:
        raise Problem(503, "busy", "too many predictions in progress; retry shortly", headers={"Retry-After": "1"})
    state.busy += 1
    served.inflight += 1
    try:
        received = await read_body(request, served)  # the upload's bytes, or the JSON input checked
        answer = _answer(request, served, received, explain, options)  # --timeout covers decoding too
        payload, method, result = await asyncio.wait_for(answer, settings.predict_timeout_s)
    except asyncio.TimeoutError:
        raise Problem(503, "timeout", f"the prediction took longer than {settings.predict_timeout_s:g} s") from None
    except BatcherClosed:
        raise Problem(503, "model-reloading", "the model version was replaced during this request; send it again",
                      headers={"Retry-After": "1"}) from None
    finally:
        state.busy -= 1
        served.inflight -= 1
    ms = (time.perf_counter() - start) * 1000
    _audit(request, key, served, payload, result, method, ms)
    return {"model": served.name, "version": served.version, "stage": served.stage,
            "request_id": request.state.request_id,
            "input": {"kind": payload.kind, "sha256": payload.sha256, "bytes": payload.nbytes},
            **result, "milliseconds": round(ms, 2)}


async def _answer(request: Request, served: Any, received: Any, explain: str | None,
                  options: tuple[Any, ...]) -> tuple[Any, str | None, dict[str, Any]]:
    """Decode the input (an upload: in a worker thread, stopping at its next check when the request
    gives up), then predict: (payload, explanation method, result)."""
    payload, raw_input = await decode_body(request, served, received)
    method = None if options else _method(served, explain)
    if options:  # a segmentation job: (kind, bytes, mask encoding, pixel size, a series ZIP's limits)
        from meddx.serving.series_zip import ZipLimits

        raw_input = (payload.kind, raw_input, *options, ZipLimits.of(request.app.state.settings))
    return payload, method, await _run(request, served, payload, raw_input, method)


def _seg_options(served: Any, explain: str | None, mask: str | None, pixel_size: float | None) -> tuple[Any, ...]:
    """A segmentation model's (mask encoding, pixel size), checked; () for other models, which
    refuse both parameters (422) rather than ignore them."""
    if not getattr(served, "segmentation", False):
        if mask is not None or pixel_size is not None:
            raise Problem(422, "invalid-request", f"mask= and pixel_size= are for segmentation models; model "
                          f"{served.name!r} is a {served.summary.get('task')} classifier")
        return ()
    if explain is not None:
        raise Problem(422, "not-explainable", f"model {served.name!r} is a segmentation model: its answer is already a "
                      "per-voxel map, so there is no decision to attribute; leave out explain= (the mask comes with "
                      "every answer)")
    from meddx.serving.segment import check_mask_format

    return check_mask_format(served.predictor, mask), pixel_size


def _method(served: Any, explain: str | None) -> str | None:
    if explain is None:
        return None
    methods = served.summary["explain_methods"]
    method = ("gradcam" if served.modality == "image" else (methods or [None])[0]) if explain == "auto" else explain
    if method not in methods:
        raise Problem(422, "unknown-method", f"explanation {explain!r} is not available for model {served.name!r}; "
                      f"choose from {', '.join(methods) or '(none)'}")
    return method


async def _run(request: Request, served: Any, payload: Any, raw_input: Any, method: str | None) -> dict[str, Any]:
    from meddx.serving.explaining import explain_image, explain_row, explain_series, explain_text, explainer

    from meddx.serving.cancel import in_executor  # an explanation whose request timed out stops early

    executor = request.app.state.executor
    if payload.kind in ("text", "record", "row"):
        out = await served.batcher.submit(raw_input)
        out.update(_input_notes(served.predictor, payload.kind, raw_input))  # as `meddx predict` notes them
        if payload.notes:  # a note's NULs removed (uploads.json_payload)
            out["notes"] = [*out.get("notes", []), *payload.notes]
        if method:
            twin = await in_executor(executor, explainer, served)
            how = {"text": explain_text, "record": explain_series, "row": explain_row}[payload.kind]
            out["explanation"] = await in_executor(executor, how, served, twin, raw_input, method)
            if payload.nul_at:  # spans into the note as the client sent it, NULs included
                from meddx.data.text_exports import offsets_in_sent

                out["explanation"]["tokens"] = offsets_in_sent(out["explanation"]["tokens"], payload.nul_at)
        return out
    if getattr(served, "segmentation", False):  # (kind, bytes, mask encoding, pixel size): one job in the executor
        return await served.batcher.submit(raw_input)
    image, x = raw_input
    out = await served.batcher.submit(x)
    from meddx.bundle.input_notes import channels_note  # a colour picture to a grey model, or the reverse

    out.update(channels_note(image, served.predictor.preprocessor.channels, "the uploaded image"))
    if method:
        twin = await in_executor(executor, explainer, served)
        draw = functools.partial(explain_image, spacing=payload.spacing)
        out["explanation"] = await in_executor(executor, draw, served, twin, image, method)
    return out


def _input_notes(predictor: Any, kind: str, raw_input: Any) -> dict[str, Any]:
    """``{"notes": [...]}`` for what the bundle never saw in a table row (a value far outside the training
    range, a category no training row had, read as COLUMN=other) or a stay (values more than 100 training
    sds from the mean), the notes ``meddx predict`` prints; ``{}`` when there is none. They may quote the
    input, so they go to the caller only, never to the log or the audit."""
    if kind == "row":
        found = [n.removeprefix("note: ") for notes in (predictor.range_notes, predictor.category_notes)
                 for n in notes(raw_input, ["the row"])]
    elif kind == "record":
        found = [n for n in [predictor.far_values_note([raw_input])] if n]
    else:
        found = []
    return {"notes": found} if found else {}


def _audit(request: Request, key: KeyRecord, served: Any, payload: Any, result: dict[str, Any],
           method: str | None, ms: float) -> None:
    from meddx.serving.audit import AuditEntry

    output = {k: result.get(k) for k in ("label", "calibrated_probability", "probabilities")}
    if getattr(served, "segmentation", False):  # sizes and the mask's hash: nothing of the image
        output = {"structures": {n: s["voxels"] for n, s in result["structures"].items()},
                  "mask_sha256": (result.get("mask") or {}).get("sha256")}
    request.app.state.audit.record(AuditEntry(
        request_id=request.state.request_id, key_id=key.id, model=served.name, version=served.version,
        input_kind=payload.kind, input_sha256=payload.sha256, input_bytes=payload.nbytes, output=output,
        explain=method, latency_ms=ms))
    log.info("predict %s key=%s model=%s:%s input=%s/%s bytes=%d %.1f ms", request.state.request_id, key.id,
             served.name, served.version, payload.kind, payload.sha256[:12], payload.nbytes, ms)


# ----------------------------------------------------------------------------- admin
class PromoteBody(BaseModel):
    version: int = Field(..., ge=1, description="registered version to promote")
    stage: str = Field("production", pattern=r"^[a-z0-9_-]{1,32}$")


class RollbackBody(BaseModel):
    stage: str = Field("production", pattern=r"^[a-z0-9_-]{1,32}$")


@router.post("/v1/models/{name}/promote", tags=["registry"])
async def promote(name: str, body: PromoteBody, request: Request, key: KeyRecord = Depends(admin)) -> dict[str, Any]:
    """Promote NAME:VERSION to a stage (admin); the server swaps to it before answering."""
    from meddx.registry.store import list_bundles, promote as promote_version

    loop = asyncio.get_running_loop()
    versions = [r.version for r in await loop.run_in_executor(None, list_bundles, name)]
    if body.version not in versions:
        raise Problem(404, "unknown-version", f"{name!r} has no registered version {body.version}; "
                      f"registered: {', '.join(map(str, versions)) or '(none)'}")
    version = await loop.run_in_executor(None, promote_version, name, body.version, body.stage)
    log.info("promote %s:%s to %s by key %s", name, version, body.stage, key.id)
    return await _serving_answer(request, name, body.stage, version)


@router.post("/v1/models/{name}/rollback", tags=["registry"])
async def rollback(name: str, request: Request, key: KeyRecord = Depends(admin),
                   body: RollbackBody | None = None) -> dict[str, Any]:
    """Return a stage to the previously promoted version (admin); history is kept."""
    from meddx.registry.store import rollback as rollback_stage

    stage = body.stage if body else "production"
    version = await asyncio.get_running_loop().run_in_executor(None, rollback_stage, name, stage)
    log.info("rollback %s %s to v%s by key %s", name, stage, version, key.id)
    return await _serving_answer(request, name, stage, version)


async def _serving_answer(request: Request, name: str, stage: str, version: int) -> dict[str, Any]:
    manager = request.app.state.manager
    await manager.refresh()
    served = manager.models.get(name)
    return {"name": name, "stage": stage, "version": version, "serving": served.version if served else None,
            "error": manager.errors.get(name)}


@router.get("/v1/audit", tags=["audit"])
async def audit(request: Request, key: KeyRecord = Depends(admin), limit: int = Query(100, ge=1, le=10_000),
                model: str | None = None) -> dict[str, Any]:
    """The newest audit rows (admin): time, key id, model, version, input hash, output."""
    loop = asyncio.get_running_loop()
    log_ = request.app.state.audit
    await loop.run_in_executor(None, log_.flush)
    return {"rows": await loop.run_in_executor(None, log_.recent, limit, model)}
