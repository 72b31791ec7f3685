"""The OpenAPI description as the server really answers: errors are RFC 9457 problem details
(``application/problem+json``), never FastAPI's default ``HTTPValidationError`` shape, and a
prediction's fields are listed. FastAPI only describes what its own models produce; the routes
return plain dicts (their fields depend on the bundle), so the schemas are written out here.
"""

from __future__ import annotations

from typing import Any

_REF = "#/components/schemas/"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Problem", "required": ["type", "title", "status", "detail"],
    "description": "RFC 9457 problem details, media type application/problem+json.",
    "properties": {
        "type": {"type": "string", "description": "urn:meddx:problem:<slug>"},
        "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the request path"},
        "errors": {"type": "array", "description": "422 invalid-request: which parameter and why",
                   "items": {"type": "object", "properties": {"loc": {"type": "array", "items": {"type": "string"}},
                                                              "msg": {"type": "string"}}}},
        "request_id": {"type": "string", "description": "500: the id to give the operator"}}}

_PROBS = {"type": "object", "additionalProperties": {"type": "number"}, "description": "label name -> probability"}

PREDICTION_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Prediction",
    "required": ["model", "version", "stage", "request_id", "input", "label", "calibrated_probability",
                 "probabilities", "uncalibrated_probabilities", "threshold", "milliseconds"],
    "properties": {
        "model": {"type": "string"}, "version": {"type": "integer"},
        "stage": {"type": "string", "description": "production, latest when none is promoted, or \"kept: production "
                                                   "vN failed to load\" while this version stays served"},
        "request_id": {"type": "string"},
        "input": {"type": "object", "properties": {"kind": {"type": "string"}, "sha256": {"type": "string"},
                                                   "bytes": {"type": "integer"}}},
        "label": {"description": "the decision at the operating point (a list of labels for multi-label)",
                  "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "calibrated_probability": {"type": ["number", "null"], "description": "binary: P(positive); "
                                   "multi-class: P(label); multi-label: null"},
        "probabilities": {**_PROBS, "description": "temperature-scaled: what the decision uses"},
        "uncalibrated_probabilities": {**_PROBS, "description": "the network's own"},
        "threshold": {"description": "binary: a number; multi-label: per class; multi-class: null"},
        "typical": {"type": "boolean", "description": "images: whether the input's features lie within the "
                    "training images' (bundle.typicality); absent when the bundle records no check"},
        "typicality": {"type": ["object", "null"], "description": "images: distance, threshold, quantile of the "
                       "check, and intensity_score, _threshold, _quantile, _statistic of its intensity check (and "
                       "intensity_scale, the statistic's training tail, in bundles with the layout statistic); null "
                       "for a bundle made without one (not checked)"},
        "typicality_reason": {"type": "string", "description": "why a bundle has no check (--dp, federated)"},
        "typicality_warning": {"type": "string", "description": "only for an input unlike the training images"},
        "channels": {"type": "object", "description": "only when the upload's channels were converted: file, "
                     "bundle, read_as"},
        "channels_warning": {"type": "string", "description": "a colour picture to a grey model or the reverse"},
        "notes": {"type": "array", "items": {"type": "string"}, "description": "table rows and series: what the "
                  "bundle never saw, as meddx predict notes it (a value far outside the training range, a category "
                  "no training row had, a series value over 100 training sds from the mean); text: NUL characters "
                  "removed from the note (counted); absent when none"},
        "observations": {"type": "integer", "description": "series: observations read in the bundle's window"},
        "empty_stay_warning": {"type": "string", "description": "series: only for a stay without any observation"},
        "explanation": {"type": "object", "description": "only with ?explain=: method, target, probability, "
                        "milliseconds, and overlay_png_base64 (images), tokens (text) or top_contributors"},
        "milliseconds": {"type": "number"}}}


_BBOX = {"type": ["object", "null"], "description": "inclusive voxel indices per axis (the geometry's axes, on the "
         "returned mask's grid); null when the structure is absent",
         "properties": {"min": {"type": "array", "items": {"type": "integer"}},
                        "max": {"type": "array", "items": {"type": "integer"}}}}

SEGMENTATION_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Segmentation",
    "required": ["model", "version", "stage", "request_id", "input", "task", "geometry", "structures", "measurements",
                 "mask", "milliseconds"],
    "properties": {
        "model": {"type": "string"}, "version": {"type": "integer"}, "stage": {"type": "string"},
        "request_id": {"type": "string"}, "input": PREDICTION_SCHEMA["properties"]["input"],
        "task": {"type": "string", "enum": ["segmentation"]},
        "geometry": {"type": "object", "description": "the returned mask's grid: the input file's own voxel order",
                     "properties": {"shape": {"type": "array", "items": {"type": "integer"}},
                                    "axes": {"type": "array", "items": {"type": "string"},
                                             "description": "[row, column] (2D) or [z, y, x] (3D: NIfTI (i, j, k) "
                                                            "reversed)"},
                                    "spacing_mm": {"type": ["array", "null"], "items": {"type": "number"}},
                                    "spacing_from": {"type": ["string", "null"],
                                                     "enum": ["file", "pixel_size", None]}}},
        "structures": {"type": "object", "description": "structure name -> label, voxels (pixels in 2D), area_mm2 "
                       "(2D) or volume_mm3 and volume_ml (3D; null without spacing), bbox",
                       "additionalProperties": {"type": "object", "properties": {
                           "label": {"type": "integer"}, "voxels": {"type": "integer"},
                           "area_mm2": {"type": ["number", "null"]}, "volume_mm3": {"type": ["number", "null"]},
                           "volume_ml": {"type": ["number", "null"]}, "bbox": _BBOX}}},
        "measurements": {"type": "object", "description": "what meddx predict reports: volume_ml per structure (3D), "
                         "head_circumference_mm (head-circumference bundles)"},
        "mask": {"type": ["object", "null"], "description": "null with ?mask=none; else the mask file, lossless",
                 "properties": {"encoding": {"type": "string", "enum": ["png", "nifti-gz"]},
                                "media_type": {"type": "string"}, "bytes": {"type": "integer"},
                                "sha256": {"type": "string"}, "base64": {"type": "string"},
                                "labels": {"type": "object", "additionalProperties": {"type": "string"},
                                           "description": "label value -> structure name"}}},
        "note": {"type": "string", "description": "only when the input's spacing is unknown"},
        "segmentation_ms": {"type": "number"}, "milliseconds": {"type": "number"}}}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": {"$ref": _REF + "Problem"}}}}


def describe_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a FastAPI OpenAPI document in place (and return it): every 422 and the 4XX/5XX
    ranges of the ``/v1`` and readiness endpoints as problem details, the prediction's 200 body."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for default in ("HTTPValidationError", "ValidationError"):
        components.pop(default, None)
    components["Problem"], components["Prediction"] = PROBLEM_SCHEMA, PREDICTION_SCHEMA
    components["Segmentation"] = SEGMENTATION_SCHEMA
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _problem_response("the request does not match the API, or its input cannot "
                                                     "be read (the detail says which and why)")
            if path.startswith("/v1/"):
                responses["4XX"] = _problem_response("bad request: missing or invalid key (401), role (403), "
                                                     "unknown model or version (404), too large (413), wrong "
                                                     "media type (415), a registered model this server cannot "
                                                     "run (422 model-not-servable; retrying will not help)")
                responses["5XX"] = _problem_response("busy, timed out or model unavailable (503, with Retry-After),"
                                                     " or an internal error (500, with a request id)")
            if path == "/readyz":
                responses["503"] = _problem_response("models still loading, or the audit log cannot be written")
            if path.endswith("/predict") and method == "post":
                responses["200"] = {"description": "the prediction: a Prediction for a classifier, a Segmentation "
                                    "(structures, geometry, mask) for a segmentation model", "content": {
                    "application/json": {"schema": {"oneOf": [{"$ref": _REF + "Prediction"},
                                                              {"$ref": _REF + "Segmentation"}]}}}}
    return schema


def install_openapi(app: Any) -> None:
    """Make ``app.openapi()`` (hence ``/openapi.json`` and ``/docs``) return the rewritten document."""
    default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_problems(default())
        return app.openapi_schema

    app.openapi = openapi
