"""What a prediction request may carry, checked before anything is decoded.

- The body is capped while it streams in (``BodyLimit``: Content-Length first, then counted
  bytes, and a deadline for the whole upload), so a huge or slow upload is cut off early.
- The type comes from the content, never the file name: PNG and JPEG signatures, DICOM's
  ``DICM`` at byte 128, NIfTI-1/2 headers (``sizeof_hdr`` 348/540 and the ``n+1``/``n+2``
  magic), plain or gzipped. A text file called ``scan.png`` is refused (415).
- Dimensions are read from the header (PNG IHDR, Pillow's lazy open for JPEG, DICOM tags with
  ``stop_before_pixels``, the NIfTI header) and compared with the pixel/voxel limits before a
  byte of pixel data is decompressed: a 20,000 x 20,000 PNG of a few hundred bytes is refused
  without allocating it (decompression bombs).
- Decoding goes through ``meddx.data.io.read_image``, as training did, from a private temporary
  file that is deleted at once; error messages never echo the client's file name or content.
- A ZIP archive (``PK\x03\x04``) is one DICOM series for 3D bundles (kind ``dicom-zip``): its
  directory is checked here, and it is unpacked into a private folder and read as ``meddx predict
  SERIES_DIR`` reads the folder (:mod:`meddx.serving.series_zip`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import io
import re
import struct
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from meddx.data.orientation import CANONICAL
from meddx.serving.problems import Problem, problem_response
from meddx.serving.series_zip import KIND as ZIP_KIND
from meddx.serving.series_zip import ZipLimits, check_zip, extracted_at, is_zip, series_folder
from meddx.serving.series_zip import withhold_names as _withhold_names

KINDS = {"png": ".png", "jpeg": ".jpg", "dicom": ".dcm", "nifti": ".nii", "nifti-gz": ".nii.gz"}
_MULTIPART_SLACK = 64 * 1024
_ACCEPTED = "PNG, JPEG, DICOM (with the DICM preamble), NIfTI (.nii, .nii.gz) or a ZIP of one DICOM series"


@dataclass
class Payload:
    """One request's input: an image (``raw`` bytes + sniffed ``kind``), a ``text``, or a
    ``record`` (kind ``record``: one series stay; kind ``row``: one table row)."""

    kind: str
    sha256: str
    nbytes: int
    raw: bytes = b""
    text: str | None = None
    record: dict[str, Any] | None = None
    spacing: tuple[float, ...] | None = None  # an image's voxel spacing (mm, z y x): its explanation figure's
    notes: tuple[str, ...] = ()  # a text's: what was done to it on the way in (NULs removed), for the answer
    nul_at: tuple[int, ...] = ()  # a text's NUL offsets as sent: explanation spans index the sent text


# ----------------------------------------------------------------------------- body limit
class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` (413) and uploads slower than
    ``timeout_s`` (408), counting while streaming; Content-Length is checked before reading."""

    def __init__(self, app: Any, max_bytes: int, timeout_s: float) -> None:
        self.app, self.max_bytes, self.timeout_s = app, max_bytes + _MULTIPART_SLACK, timeout_s

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            response = problem_response(413, "upload-too-large", self._too_large(), scope.get("path"))
            return await response(scope, receive, send)
        seen = 0
        complete = False
        deadline = time.monotonic() + self.timeout_s

        async def limited() -> dict:
            nonlocal seen, complete
            if complete:  # the body is in: later receives wait for a disconnect, without a deadline
                return await receive()
            remaining = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(remaining, 0.001))
            except asyncio.TimeoutError:
                raise Problem(408, "upload-timeout", f"the upload took longer than {self.timeout_s:g} s") from None
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise Problem(413, "upload-too-large", self._too_large())
            complete = message.get("type") != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, limited, send)

    def _too_large(self) -> str:
        mb = (self.max_bytes - _MULTIPART_SLACK) / 1024 / 1024
        return f"the request body is over the server's limit of {mb:g} MB (meddx serve --max-upload-mb)"


# ----------------------------------------------------------------------------- sniffing
def sniff(data: bytes) -> str:
    """The image kind of ``data`` from its first bytes; 415 when it is none of the accepted ones."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[128:132] == b"DICM":
        return "dicom"
    if _nifti_header(data[:544]) is not None:
        return "nifti"
    if data[:2] == b"\x1f\x8b" and _nifti_header(_gunzip_head(data)) is not None:
        return "nifti-gz"
    if is_zip(data):  # what it holds is checked from its directory (image_payload) and when unpacked
        return ZIP_KIND
    looks = "text" if _is_text(data[:512]) else "unrecognised binary data"
    raise Problem(415, "unsupported-media-type", f"the upload's content is {looks}, not an image; send {_ACCEPTED} "
                  "(the type is read from the content, not the file name)")


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _nifti_header(head: bytes) -> tuple[int, ...] | None:
    """The data shape of a NIfTI-1 (single file, ``n+1``) or NIfTI-2 header, else ``None``."""
    for endian in "<>":
        if len(head) >= 348 and struct.unpack(endian + "i", head[:4])[0] == 348 and head[344:348] == b"n+1\x00":
            dims = struct.unpack(endian + "8h", head[40:56])
            return tuple(int(d) for d in dims[1:1 + max(0, min(dims[0], 7))])
        if len(head) >= 540 and struct.unpack(endian + "i", head[:4])[0] == 540 and head[4:8] == b"n+2\x00":
            dims = struct.unpack(endian + "8q", head[16:80])
            return tuple(int(d) for d in dims[1:1 + max(0, min(dims[0], 7))])
    return None


def _gunzip_head(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            return fh.read(544)
    except (OSError, EOFError):
        return b""


# ----------------------------------------------------------------------------- limits
def image_shape(kind: str, data: bytes) -> tuple[int, ...]:
    """The stored size of the image (pixels per axis, frames/channels included) from its header only."""
    if kind == "png":
        if len(data) < 33 or data[12:16] != b"IHDR":
            raise Problem(422, "malformed-image", "the PNG is truncated or has no IHDR header")
        width, height = struct.unpack(">II", data[16:24])
        return (height, width)
    if kind == "jpeg":
        return _pil_shape(data)
    if kind == "dicom":
        return _dicom_shape(data)
    shape = _nifti_header(data[:544] if kind == "nifti" else _gunzip_head(data))
    if not shape or any(d <= 0 for d in shape):
        raise Problem(422, "malformed-image", f"the NIfTI header gives an invalid shape {shape}")
    return shape


def _pil_shape(data: bytes) -> tuple[int, ...]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only
            width, height = img.size
    except Exception:
        raise Problem(422, "malformed-image", "the JPEG header cannot be read (truncated or corrupt)") from None
    return (height, width)


def _dicom_shape(data: bytes) -> tuple[int, ...]:
    import pydicom

    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
        rows, cols = int(ds.Rows), int(ds.Columns)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        samples = int(ds.get("SamplesPerPixel", 1) or 1)
    except Exception:
        raise Problem(422, "malformed-image", "the DICOM header cannot be read, or it lacks Rows/Columns "
                      "(is this an image object with pixel data?)") from None
    return (frames, rows, cols, samples)


def check_limits(kind: str, data: bytes, max_pixels: int, max_voxels: int) -> tuple[int, ...]:
    """Refuse an image whose header promises more pixels (2D) or voxels (3D) than allowed (413)."""
    shape = image_shape(kind, data)
    spatial = [d for d in shape if d > 1] or [1]
    total = int(np.prod(np.asarray(shape, dtype=np.float64)))
    limit = max_pixels if len(spatial) <= 2 else max_voxels
    if total > limit or any(d > 65_535 for d in shape[:3]):
        raise Problem(413, "image-too-large", f"the image is {' x '.join(map(str, shape))} = {total:,} values, over "
                      f"the limit of {limit:,}; downsample it before sending")
    if total == 0:
        raise Problem(422, "malformed-image", "the image header gives zero pixels")
    return shape


# ----------------------------------------------------------------------------- decoding
def decode_image(kind: str, data: bytes, orientation: str | None = CANONICAL,
                 zip_limits: ZipLimits | None = None) -> np.ndarray:
    """The channel-first array of an upload already sniffed and checked, via ``read_image``;
    volumes in ``orientation``, the bundle's (None: stored order, bundles without one)."""
    return decode_upload(kind, data, orientation, zip_limits).array


def decode_upload(kind: str, data: bytes, orientation: str | None = CANONICAL,
                  zip_limits: ZipLimits | None = None) -> Any:
    """:func:`decode_image` as the ``LoadedImage`` ``read_image`` gives: the array and the voxel
    spacing the file records, which a volume's explanation figure is drawn at, as ``meddx explain``
    draws the same file."""
    with upload_file(kind, data, zip_limits) as path:
        return read_upload(path, kind, orientation)


@contextlib.contextmanager
def upload_file(kind: str, data: bytes, zip_limits: ZipLimits | None = None) -> Iterator[str]:
    """The upload as a private file (mode 0600, named with the kind's suffix) for the block's
    duration, unlinked on close; not a temporary folder: rmdir alone cost ~2 ms per request on
    this machine's /tmp. A segmentation mask is written with this file as its geometry reference.
    A ``dicom-zip`` is a private folder of the series' files instead (``series_zip``; default limits
    when ``zip_limits`` is None)."""
    if kind == ZIP_KIND:
        with series_folder(data, zip_limits or ZipLimits()) as extracted:
            yield str(extracted.folder)
        return
    with tempfile.NamedTemporaryFile(prefix="meddx-upload-", suffix=KINDS[kind]) as fh:
        fh.write(data)
        fh.flush()
        yield fh.name


def read_upload(path: str, kind: str, orientation: str | None = CANONICAL) -> Any:
    """``read_image(path, orientation)`` of an upload file; 422 ``malformed-image`` when it cannot
    be decoded, the message never naming the private file nor quoting a DICOM header value."""
    from meddx.core.errors import DataError
    from meddx.data.io import read_image, withhold_quoted
    from meddx.serving.cancel import check

    extracted = extracted_at(path) if kind == ZIP_KIND else None
    try:  # a series: the datasets its checks parsed are not parsed again; a request that gave up stops between slices
        if extracted is not None:
            return read_image(path, orientation, on_slice=check, headers=extracted.headers)
        return read_image(path, orientation)
    except DataError as exc:
        detail = str(exc).replace(path, "upload") if extracted is None else _withhold_names(str(exc), extracted)
        if kind in ("dicom", ZIP_KIND):  # a header value may hold anything, PHI included: keep the tag, drop the value
            detail = withhold_quoted(detail)  # data.io's rule: single or double quotes, a tag's name kept
        raise Problem(422, "malformed-image", detail) from None
    except (MemoryError, ValueError, OSError) as exc:
        raise Problem(422, "malformed-image", f"upload: cannot decode the {kind} image ({type(exc).__name__})") from None


def image_payload(data: bytes, max_pixels: int, max_voxels: int, zip_limits: ZipLimits | None = None) -> Payload:
    """Check an uploaded file (not empty, sniffed type, header dimensions; a series ZIP's directory)
    into a ``Payload``."""
    if not data:
        raise Problem(400, "empty-upload", "the uploaded file is empty (0 bytes)")
    kind = sniff(data)
    if kind == ZIP_KIND:
        check_zip(data, zip_limits or ZipLimits(max_voxels=max_voxels))
    else:
        check_limits(kind, data, max_pixels, max_voxels)
    return Payload(kind=kind, sha256=hashlib.sha256(data).hexdigest(), nbytes=len(data), raw=data)


_SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_surrogates(value: Any, where: str) -> None:
    """422 naming the field when a string (or key) in ``value`` holds an unpaired UTF-16 surrogate.

    JSON may spell one (``"\\ud800"``); ``json.loads`` keeps it (a pair becomes one character),
    but it is not Unicode text: encoding it as UTF-8 (the note's hash, the answer echoing a row's
    value) raised, and the request got a 500. The value itself is never echoed. Walked with a
    stack, not recursion: a body may nest as deep as ``json.loads`` allows; and only when the
    value's JSON (one C-speed ``json.dumps``) holds a surrogate at all: the walk runs on the event
    loop and took longer than parsing the body (9 ms for a stay of 3,000 observations).
    """
    import json

    try:
        if not _SURROGATE.search(json.dumps(value, ensure_ascii=False)):
            return
    except RecursionError:  # as deep as json.loads allows, one call deeper: the walk has no such limit
        pass
    pending: list[tuple[Any, str]] = [(value, where)]
    while pending:
        item, at = pending.pop()
        if isinstance(item, str):
            found = _SURROGATE.search(item)
            if found:
                at = at if len(at) <= 120 else at[:117] + "..."
                raise Problem(422, "invalid-request", f'{at} holds an unpaired UTF-16 surrogate (a '
                              f'"\\u{ord(found.group()):04x}" escape) at character {found.start()}, which is not '
                              "Unicode text: send UTF-8 text (a surrogate pair's two halves together, or the "
                              "character itself)")
        elif isinstance(item, dict):
            for key, sub in item.items():
                pending.append((key, f"a key of {at}"))
                named = isinstance(key, str) and not _SURROGATE.search(key)
                pending.append((sub, f"{at}.{key}" if named else at))
        elif isinstance(item, list):
            pending.extend((sub, f"{at}[{k}]") for k, sub in enumerate(item))


def json_payload(body: dict[str, Any], max_chars: int) -> Payload:
    """``{"text": "..."}`` for text bundles, ``{"record": {...}}`` for series bundles,
    ``{"row": {"column": value, ...}}`` for table bundles."""
    import json

    if not isinstance(body, dict) or sum(k in body for k in ("text", "record", "row")) != 1:
        raise Problem(422, "invalid-request", 'send a JSON object with exactly one of "text" (a note), '
                      '"record" (one series record) or "row" (one table row); images go as multipart/form-data '
                      'field "file"')
    if "text" in body:
        text = body["text"]
        if not isinstance(text, str) or not text.strip():
            raise Problem(422, "invalid-request", '"text" must be a non-empty string')
        from meddx.core.errors import DataError
        from meddx.data.text_exports import remove_nul
        from meddx.transforms.text_checks import NO_WORDS, has_words

        try:  # a NUL made its word [UNK]; training and meddx predict remove them: so does the server, saying so
            (kept,), nul = remove_nul([text], ['"text"'], None)
        except DataError as exc:  # a quarter NUL or more: UTF-16 decoded as another encoding by the client
            raise Problem(422, "invalid-request", str(exc)) from None
        if not has_words(kept):  # "..." would be scored from punctuation ids alone, as meddx predict refuses it
            raise Problem(422, "invalid-request", f'"text" holds {NO_WORDS}: send a note with words')
        if len(text) > max_chars:
            raise Problem(413, "text-too-long", f"the text has {len(text):,} characters, over the limit of {max_chars:,}")
        refuse_surrogates(text, '"text"')
        raw = text.encode("utf-8")  # the sha256 and size of the text as sent (the audit's), not as predicted
        return Payload(kind="text", sha256=hashlib.sha256(raw).hexdigest(), nbytes=len(raw), text=kept,
                       notes=(nul,) if nul else (),
                       nul_at=tuple(i for i, c in enumerate(text) if c == "\0") if nul else ())
    kind = "record" if "record" in body else "row"
    record = body[kind]
    if not isinstance(record, dict):
        raise Problem(422, "invalid-request", f'"{kind}" must be a JSON object')
    refuse_surrogates(record, f'"{kind}"')
    raw = json.dumps(record, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return Payload(kind=kind, sha256=hashlib.sha256(raw).hexdigest(), nbytes=len(raw), record=record)
