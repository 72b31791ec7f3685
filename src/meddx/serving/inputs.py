"""What a predict request carries: the body read (:func:`read_body`), then the input decoded
(:func:`decode_body`) under the request's ``--timeout``.

The two steps are apart so that the timeout covers decoding. Reading the body is bounded by the
upload limits (``uploads.BodyLimit``: size, and 408 for an upload slower than ``--timeout``);
decoding an image, a NIfTI volume or a DICOM series ZIP runs in a worker thread, and used to run
before the timeout started, so a slow or huge upload could hold a worker without limit. Now the
route awaits :func:`decode_body` inside its ``asyncio.wait_for``, and the worker thread watches
the request's cancel flag (``serving.cancel``): a request that gave up stops between the upload's
checks and its decoding, between a ZIP's files and between a series' slices.

A JSON body (text, series stay, table row) is parsed and checked on the event loop as it comes,
as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from meddx.serving.problems import Problem

log = logging.getLogger("meddx.serving")


@dataclass(frozen=True)
class Upload:
    """A file upload's bytes, read but not yet checked or decoded."""

    data: bytes


async def read_body(request: Request, served: Any) -> Any:
    """An image upload's :class:`Upload`, or a JSON input checked into ``(payload, raw input)``."""
    from meddx.serving.uploads import json_payload

    settings = request.app.state.settings
    ctype = request.headers.get("content-type", "").lower()
    wants = served.modality
    if ctype.startswith("multipart/form-data"):
        if wants != "image":
            raise Problem(415, "wrong-input-kind", f"model {served.name!r} takes {wants} as JSON, not a file upload")
        form = await _form(request)
        try:
            upload = form.get("file")
            if upload is None:
                raise Problem(422, "missing-file", 'the body holds no complete form field "file" (none was sent, or '
                              "the body ends before its closing boundary, as an upload cut off does); send the image as "
                              'the multipart/form-data field "file", e.g. curl -F file=@scan.png')
            if isinstance(upload, str):  # a part without a filename is a text field: its bytes decoded as text
                raise Problem(422, "missing-file", 'the form field "file" came as text (its part has no filename); '
                              "send the image as a file upload, e.g. curl -F file=@scan.png (not file=<scan.png)")
            return Upload(await upload.read())
        finally:
            await form.close()
    if ctype.startswith("application/json"):
        if wants == "image":
            raise Problem(415, "wrong-input-kind", f"model {served.name!r} takes an image as multipart/form-data "
                          'field "file", not JSON')
        from meddx.serving.app import read_json

        payload = json_payload(await read_json(request), settings.max_text_chars)
        expected = {"text": "text", "series": "record", "tabular": "row"}[wants]
        if payload.kind != expected:
            raise Problem(422, "wrong-input-kind", f'model {served.name!r} takes "{expected}"')
        if payload.kind == "text":
            return payload, payload.text
        if payload.kind == "row":  # columns and values checked as a CSV row would be: 422 on error
            return payload, served.predictor.row_from_json(payload.record)
        from meddx.data.series_files import record_from_json

        return payload, record_from_json(payload.record, served.predictor.config)  # names checked: 422 on error
    raise Problem(415, "unsupported-media-type",
                  "send multipart/form-data (images) or application/json (text, series, table rows)")


async def decode_body(request: Request, served: Any, received: Any) -> tuple[Any, Any]:
    """The checked input (and, for images, the decoded array and the preprocessed one; for a
    segmentation model the checked upload's bytes, decoded with the case in one job). An upload is
    checked and decoded in a worker thread that stops at its next check when the request gives up."""
    if not isinstance(received, Upload):
        return received
    from meddx.serving.cancel import in_executor

    settings, executor = request.app.state.settings, request.app.state.executor
    if getattr(served, "segmentation", False):  # checked here; decoded and segmented in one job (routes._run)
        from meddx.serving.series_zip import ZipLimits
        from meddx.serving.uploads import image_payload

        payload = await in_executor(executor, image_payload, received.data, settings.max_pixels,
                                    settings.max_voxels, ZipLimits.of(settings))
        _series_needs_3d(served, payload.kind)
        return payload, received.data
    return await in_executor(executor, _prepare_image, served, received.data, settings)


async def _form(request: Request) -> Any:
    """The multipart form (one file, a few small fields); 400 when the body does not parse.

    Starlette turns its own limits into a 400 but lets python-multipart's parse errors through (a
    body whose parts do not match the boundary of its Content-Type), which became a 500. The
    parser logs a WARNING quoting a byte of the body before it raises; the upload may be PHI, so
    its records are withheld here and the server logs one fixed line instead."""
    from python_multipart.exceptions import FormParserError

    from meddx.serving.quiet_logs import MULTIPART, withheld_logs

    try:
        with withheld_logs(MULTIPART):
            return await request.form(max_files=1, max_fields=4, max_part_size=64 * 1024)
    except FormParserError:
        log.info("request %s: multipart body refused (400 malformed-multipart; the parser's message withheld: "
                 "it quotes the body)", getattr(request.state, "request_id", "-"))
        raise Problem(400, "malformed-multipart", "the multipart/form-data body cannot be parsed (its parts do not "
                      "match the boundary in Content-Type, or a part's headers are malformed or too long); send the "
                      "image as the form field \"file\", e.g. curl -F file=@scan.png") from None


def _prepare_image(served: Any, data: bytes, settings: Any) -> tuple[Any, Any]:
    """Check, decode and preprocess an image upload (a worker thread's job): ``(payload, (image, x))``.
    Inside a watched job (``serving.cancel``) it stops between the steps when its request gave up."""
    from meddx.data.orientation import reading_for
    from meddx.serving.cancel import check
    from meddx.serving.models import preprocess, readable
    from meddx.serving.quiet_logs import PYDICOM, withheld_logs
    from meddx.serving.series_zip import ZipLimits
    from meddx.serving.uploads import decode_upload, image_payload

    orientation = served.predictor.config.get("orientation")  # the bundle's voxel orientation; None: stored order
    limits = ZipLimits.of(settings)
    # pydicom logs a traceback per decoder that fails on a corrupt frame (and, with its debug mode
    # on, the bytes it reads): withheld in this worker thread while it reads the upload
    with withheld_logs(PYDICOM):
        payload = image_payload(data, settings.max_pixels, settings.max_voxels, limits)
        _series_needs_3d(served, payload.kind)
        check()
        with reading_for(served.predictor):  # X-ray DICOM as training read it
            loaded = decode_upload(payload.kind, data, orientation, limits)
            check()
            image = readable(served, loaded.array, fourth_axis=loaded.fourth_axis)  # explanations draw on it too
    payload.spacing = loaded.spacing  # and a volume's figure at this spacing, as `meddx explain` draws it
    return payload, (image, preprocess(served, image))


def _series_needs_3d(served: Any, kind: str) -> None:
    """422 before anything is unpacked when a DICOM series ZIP comes to a model of 2D images."""
    from meddx.serving.series_zip import KIND

    if kind != KIND:
        return
    predictor = served.predictor
    dims = predictor.spatial_dims if served.segmentation else len(predictor.preprocessor.spatial_size)
    if dims != 3:
        raise Problem(422, "wrong-dimensions", f"the upload is a ZIP archive, the form a DICOM series (a volume) is "
                      f"sent in, but model {served.name!r} reads {dims}D images; send one image file (PNG, JPEG, "
                      "DICOM slice) per request")
