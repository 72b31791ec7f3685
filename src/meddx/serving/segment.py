"""Serving segmentation bundles: one image in, per-structure measurements and the mask out.

The mask is the file ``meddx predict BUNDLE FILE --output DIR`` writes for the same file, made
by the same code: the upload is read with ``read_image`` in the bundle's orientation, segmented
by ``SegPredictor.predict_case`` (sliding window, test-time passes, largest component, ellipse
fit) and written by ``data.masks.write_mask`` with the upload as its geometry reference, so a
NIfTI mask keeps the input's affine and voxel order, and a picture's mask is a PNG of its size.

Each request runs alone in the inference executor: cases differ in shape, and each is already
many windows of one forward pass, so the micro-batcher is bypassed (its ``max_batch`` is 1; it
still gives statistics and the hot-swap hand-over). A case whose request timed out stops at the
network's next call, or between reading, segmenting and encoding (``serving.cancel``).

Mask encodings (``?mask=``), all lossless and base64 in the JSON answer:

- ``auto`` (default): the file ``meddx predict --output`` writes: PNG for PNG/JPEG uploads,
  NIfTI-gz for NIfTI and DICOM uploads (the input's affine; a DICOM series ZIP's from its slices). The mask is what a segmenter is for,
  and label maps compress well (a 64^3 two-structure mask is ~1 kB gzipped).
- ``png``: a PNG label map; 2D inputs only. ``nifti``: NIfTI-gz; NIfTI/DICOM inputs only (a
  picture has no affine to give it). ``none``: measurements only.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from meddx.serving.problems import Problem

MASK_FORMATS = ("auto", "png", "nifti", "none")
MASK_PATTERN = r"^(auto|png|nifti|none)$"
_MEDIA = {"png": "image/png", "nifti-gz": "application/gzip"}


def seg_input_spec(predictor: Any) -> dict[str, Any]:
    """What to send a segmentation bundle, and the grid it predicts on."""
    pre = predictor.preprocessor
    return {"kind": "image", "spatial_dims": pre.spatial_dims, "channels": pre.channels,
            "network_size": pre.size, "target_spacing_mm": pre.target_spacing,
            "patch_size": list(predictor.patch_size), "orientation": predictor.orientation,
            "formats": ["png", "jpeg", "dicom", "nifti"] if pre.spatial_dims == 2 else ["dicom", "nifti", "dicom-zip"],
            "field": "file (multipart/form-data)", "mask_formats": list(MASK_FORMATS)}


def seg_summary(name: str, version: int, stage: str, predictor: Any) -> dict[str, Any]:
    """The ``GET /v1/models`` entry of a segmentation bundle: its structures, input geometry and
    the test split's mean Dice per structure (with its interval) when the bundle records it."""
    test = (predictor.metrics or {}).get("test") or {}
    dice = {}
    for n, c in (test.get("classes") or {}).items():
        d = (c.get("dice") or {}) if isinstance(c, dict) else {}
        if d:
            dice[n] = {"value": _r(d.get("mean")), "ci95": [_r(v) for v in d.get("ci") or []] or None}
    return {"name": name, "version": version, "stage": stage, "task": "segmentation", "modality": "image",
            "labels": list(predictor.label_names), "structures": list(predictor.label_names[1:]),
            "model": (predictor.config.get("model") or {}).get("name"),
            "metrics": {"test_dice": dice, "test_n": test.get("n")} if dice else {},
            "measurement": predictor.measurement, "input": seg_input_spec(predictor), "explain_methods": []}


def _r(value: Any) -> float | None:
    return round(float(value), 4) if isinstance(value, (int, float)) else None


def check_mask_format(predictor: Any, mask: str | None) -> str:
    """The requested encoding, ``auto`` when none; 422 for one the bundle's inputs never allow."""
    fmt = mask or "auto"
    if fmt == "png" and predictor.spatial_dims != 2:
        raise Problem(422, "unsupported-mask-format", "mask=png is for 2D models; this model segments volumes: use "
                      "mask=nifti (or auto), or mask=none for the measurements only")
    return fmt


def segment_upload(predictor: Any, kind: str, data: bytes, mask: str = "auto",
                   pixel_size: float | None = None, zip_limits: Any = None) -> dict[str, Any]:
    """Segment one checked upload (``uploads.image_payload``) as ``meddx predict --output`` does,
    and shape the answer (runs in a worker thread). A DICOM series ZIP (``series_zip``, within
    ``zip_limits``) is unpacked into a private folder and segmented as ``meddx predict`` segments
    that folder; its mask is the NIfTI-gz the CLI writes for it."""
    from meddx.core.errors import DataError
    from meddx.data.orientation import reading_for
    from meddx.serving.cancel import check
    from meddx.serving.quiet_logs import PYDICOM, withheld_logs
    from meddx.serving.uploads import read_upload, upload_file

    start = time.perf_counter()
    with withheld_logs(PYDICOM), reading_for(predictor), upload_file(kind, data, zip_limits) as path:
        loaded = read_upload(path, kind, predictor.orientation)
        try:
            predictor.check_dims(loaded.array, "the uploaded image")
        except DataError as exc:
            raise Problem(422, "wrong-dimensions", str(exc)) from None
        spacing = loaded.spacing or ((pixel_size,) * predictor.spatial_dims if pixel_size else None)
        check()  # the request may have timed out while the upload was read
        out = predictor.predict_case(loaded.array, spacing)  # each network call checks too (served_segmenter)
        check()
        encoded = _encode(predictor, out.labels, path, kind, mask)
    stored = _stored(out.labels, loaded.reoriented)
    answer = {"task": "segmentation", **_geometry(stored, _stored_spacing(spacing, loaded.reoriented),
                                                  "file" if loaded.spacing else ("pixel_size" if spacing else None)),
              "structures": structures(predictor, stored, spacing), "measurements": predictor.measure(out, spacing),
              "mask": encoded, "segmentation_ms": round((time.perf_counter() - start) * 1000, 2)}
    if spacing is None:
        answer["note"] = ("the file records no pixel spacing (PNG/JPEG): areas and volumes are null; send DICOM or "
                          "NIfTI, or pass ?pixel_size=MM")
    return answer


def structures(predictor: Any, labels: np.ndarray, spacing: Sequence[float] | None) -> dict[str, Any]:
    """Per foreground structure: its label value, voxel (2D: pixel) count, area (mm², 2D) or volume
    (mm³ and mL, 3D; ``None`` without spacing), and bounding box (inclusive voxel indices per axis
    of the returned mask's grid, ``None`` when the structure is absent)."""
    unit = float(np.prod(spacing)) if spacing is not None else None
    out: dict[str, Any] = {}
    for i, name in enumerate(predictor.label_names):
        if i == 0:
            continue
        region = labels == i
        n = int(region.sum())
        entry: dict[str, Any] = {"label": i, "voxels": n}
        if labels.ndim == 2:
            entry["area_mm2"] = None if unit is None else n * unit
        else:
            entry["volume_mm3"] = None if unit is None else n * unit
            entry["volume_ml"] = None if unit is None else n * unit / 1000.0
        entry["bbox"] = _bbox(region)
        out[str(name)] = entry
    return out


def _bbox(region: np.ndarray) -> dict[str, list[int]] | None:
    if not region.any():
        return None
    where = [np.flatnonzero(region.any(axis=tuple(a for a in range(region.ndim) if a != axis)))
             for axis in range(region.ndim)]
    return {"min": [int(w[0]) for w in where], "max": [int(w[-1]) for w in where]}


def _geometry(stored: np.ndarray, spacing: Sequence[float] | None, source: str | None) -> dict[str, Any]:
    axes = ["row", "column"] if stored.ndim == 2 else ["z", "y", "x"]
    return {"geometry": {"shape": [int(s) for s in stored.shape], "axes": axes,
                         "spacing_mm": None if spacing is None else [float(s) for s in spacing],
                         "spacing_from": source}}


def _stored(labels: np.ndarray, change: Any) -> np.ndarray:
    """The label map in the upload file's own voxel order: the grid of the returned mask."""
    from meddx.data.orientation import to_stored

    return to_stored(labels, change)


def _stored_spacing(spacing: Sequence[float] | None, change: Any) -> tuple[float, ...] | None:
    """``(dz, dy, dx)`` of a reoriented volume for the file's own axes (the inverse of
    ``data.orientation.reoriented_spacing``)."""
    if spacing is None or change is None or change.identity or len(spacing) != 3:
        return None if spacing is None else tuple(float(s) for s in spacing)
    import nibabel.orientations as nio

    moved = nio.ornt_transform(change.stored, change.target)
    xyz = tuple(float(s) for s in spacing[::-1])  # reoriented x, y, z
    return tuple(xyz[int(moved[axis, 0])] for axis in range(3))[::-1]


def _encode(predictor: Any, labels: np.ndarray, reference: str, kind: str, mask: str) -> dict[str, Any] | None:
    """The mask file in the requested encoding, base64, with its SHA-256 and the label names."""
    if mask == "none":
        return None
    picture = kind in ("png", "jpeg")
    if mask == "nifti" and picture:
        raise Problem(422, "unsupported-mask-format", f"mask=nifti needs a NIfTI or DICOM input (a {kind.upper()} has "
                      "no affine to give the mask); use mask=png (or auto)")
    if mask == "png" and not picture:  # a 2D NIfTI/DICOM slice (never reoriented): its label map as a PNG
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(labels.astype(np.uint8 if int(labels.max(initial=0)) <= 255 else np.uint16)).save(buf, "PNG")
        raw, encoding = buf.getvalue(), "png"
    else:
        raw, encoding = _written_mask(labels, reference)
    return {"encoding": encoding, "media_type": _MEDIA[encoding], "bytes": len(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "labels": {str(i): str(n) for i, n in enumerate(predictor.label_names)},
            "base64": base64.b64encode(raw).decode("ascii")}


def _written_mask(labels: np.ndarray, reference: str) -> tuple[bytes, str]:
    """The bytes ``write_mask`` writes for ``labels`` against the upload file (``meddx predict``'s writer)."""
    import tempfile
    import uuid

    from meddx.data.masks import write_mask

    target = Path(tempfile.gettempdir()) / f"meddx-mask-{uuid.uuid4().hex}_mask"
    written = write_mask(target, labels, reference)
    try:
        raw = written.read_bytes()
    finally:
        written.unlink(missing_ok=True)
    return raw, "png" if written.name.endswith(".png") else "nifti-gz"


def served_segmenter(manager: Any, name: str, version: int, stage: str, path: str, predictor: Any) -> Any:
    """The ``ServedModel`` of a loaded segmentation bundle: a batcher of one (each case runs alone
    in the executor), its summary and card, warmed up when the settings say so."""
    from meddx.serving.batching import MicroBatcher
    from meddx.serving.cancel import stop_when_abandoned
    from meddx.serving.models import ServedModel
    from meddx.serving.summary import card_summary

    stop_when_abandoned(predictor.net)  # a timed-out case stops at its next sliding-window batch or pass

    def run(jobs: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        return [segment_upload(predictor, *job) for job in jobs]

    batcher = MicroBatcher(run, manager.executor, max_batch=1, name=f"{name}:{version}")
    card_md = (Path(path) / "model_card.md").read_text(encoding="utf-8", errors="replace")
    served = ServedModel(name=name, version=version, stage=stage, path=path, predictor=predictor, batcher=batcher,
                         summary=seg_summary(name, version, stage, predictor),
                         card=card_summary(predictor.config, predictor.metrics, card_md))
    if manager.settings.warmup:
        warm_up(predictor)
    return served


def warm_up(predictor: Any) -> None:
    """One case of the network's grid (2D) or patch (3D) through ``predict_case`` before the first request."""
    pre = predictor.preprocessor
    shape = pre.size if pre.spatial_dims == 2 and pre.size else predictor.patch_size
    image = np.random.default_rng(0).uniform(0, 255, (pre.channels, *shape)).astype(np.float32)  # not constant:
    predictor.predict_case(image, None)  # a blank image would meet z-scoring's zero spread
