"""DICOM segmentation objects (DICOM-SEG) as label maps, and DICOM geometry for writing masks.

A DICOM-SEG (SOP class 1.2.840.10008.5.1.4.1.1.66.4) stores one binary (or fractional) frame per
segment and slice. We read it with pydicom alone: each frame's segment comes from
``PerFrameFunctionalGroupsSequence[i].SegmentIdentificationSequence[0].ReferencedSegmentNumber``
and its slice from ``PlanePositionSequence[0].ImagePositionPatient`` projected on the slice
normal, so frames stacked into a label map (value = segment number) follow the same slice order
as :func:`meddx.data.io.read_dicom_series` (ascending position). When the image is a series
folder, frames are placed on the image's own slices, so a SEG that omits empty slices still
lines up. Segment labels (``SegmentSequence[k].SegmentLabel``) become label names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from meddx.core.errors import DataError

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
"""SOP Class UID of DICOM Segmentation Storage."""


@dataclass
class DicomSeg:
    """A decoded DICOM-SEG: ``labels`` is ``(H, W)`` for one slice or ``(D, H, W)``; ``names``
    are the segment labels in segment-number order (``names[0]`` is segment 1)."""

    labels: np.ndarray
    names: list[str]
    spacing: tuple[float, ...] | None


def is_dicom_seg(path: str | Path) -> bool:
    """True when ``path`` is a DICOM file whose SOP class is Segmentation Storage (header only)."""
    import pydicom

    p = Path(path)
    if not p.is_file():
        return False
    try:
        ds = pydicom.dcmread(p, stop_before_pixels=True, force=True, specific_tags=["SOPClassUID"])
    except Exception:
        return False
    return str(ds.get("SOPClassUID", "")) == SEG_SOP_CLASS


def read_dicom_seg(path: str | Path, reference: str | Path | None = None) -> DicomSeg:
    """Decode the DICOM-SEG at ``path`` into a label map (0 background, segment number elsewhere).

    Frames are ordered by their position along the slice normal; frames at one position form one
    slice (overlapping segments: the higher segment number wins). When ``reference`` is a DICOM
    series folder, the map gets the series' slice count and each frame goes to the slice at its
    position (within half a slice step), otherwise to its own slice. A file whose per-frame
    sequence is longer than its pixel data (a SEG cut down to its first frames) uses the first
    entries. LABELMAP SEGs, frames without positions when there are several slices, and
    positions that match no slice of ``reference`` raise ``DataError``.
    """
    import pydicom

    path = Path(path)
    try:
        ds = pydicom.dcmread(path, force=True)
        frames = np.asarray(ds.pixel_array)
    except Exception as exc:
        raise DataError(f"{path}: cannot decode DICOM-SEG ({_reason(exc)}); expected a DICOM Segmentation "
                        "file") from exc
    if str(ds.get("SOPClassUID", "")) != SEG_SOP_CLASS:
        raise DataError(f"{path}: not a DICOM-SEG (SOP class {ds.get('SOPClassUID', 'missing')}); "
                        f"expected Segmentation Storage {SEG_SOP_CLASS}")
    if frames.ndim == 2:
        frames = frames[None]
    seg_type = str(ds.get("SegmentationType", "BINARY")).upper()
    if seg_type == "FRACTIONAL":
        frames = frames >= (float(ds.get("MaximumFractionalValue", 255) or 255) / 2.0)
    elif seg_type != "BINARY":
        raise DataError(f"{path}: DICOM-SEG type {seg_type} is not supported; expected BINARY or FRACTIONAL")
    names = _segment_names(ds, path)
    numbers, positions = _frame_geometry(ds, len(frames), path)
    bad = sorted({n for n in numbers if not 1 <= n <= len(names)})
    if bad:
        raise DataError(f"{path}: frames reference segment number(s) {bad} but SegmentSequence has "
                        f"{len(names)} segment(s); expected numbers 1..{len(names)}")
    slice_of, n_slices, single = _slice_index(numbers, positions, reference, path)
    h, w = frames.shape[1:]
    labels = np.zeros((n_slices, h, w), dtype=np.int64)
    for k in sorted(range(len(frames)), key=lambda k: numbers[k]):
        labels[slice_of[k]][frames[k] > 0] = numbers[k]
    spacing = _seg_spacing(ds)
    if single:
        return DicomSeg(labels[0], names, None if spacing is None else spacing[1:])
    return DicomSeg(labels, names, spacing)


def dicom_affine(path: str | Path) -> np.ndarray:
    """NIfTI (RAS) voxel-to-world 4x4 for the image at ``path`` (DICOM file or series folder),
    in the NIfTI (x=column, y=row, z=slice) order of the array ``read_image`` returns transposed.

    Uses ImageOrientationPatient/ImagePositionPatient of the first slice (lowest position) and
    the spacing; without those tags, a diagonal affine from the spacing (1 mm when unknown).
    """
    import pydicom

    from meddx.data.dicom import volume_affine
    from meddx.data.io import detect_kind, read_image

    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.is_file() and detect_kind(f) == "dicom") if p.is_dir() else [p]
    headers = [pydicom.dcmread(f, stop_before_pixels=True, force=True) for f in files]
    spacing = read_image(p, None).spacing  # the stored order this affine describes
    try:
        orient = np.asarray(headers[0].ImageOrientationPatient, dtype=float)
        normal = np.cross(orient[:3], orient[3:])
        positions = [np.asarray(h.ImagePositionPatient, dtype=float) for h in headers]
    except (AttributeError, TypeError, ValueError):
        zooms = tuple(reversed(spacing)) if spacing else (1.0, 1.0, 1.0)
        return np.diag([*zooms, *([1.0] * (3 - len(zooms))), 1.0])[:4, :4]
    origin = min(positions, key=lambda x: float(np.dot(normal, x)))
    return volume_affine(orient, origin, spacing)  # DICOM LPS -> NIfTI RAS, as the series reader orients by


# ------------------------------------------------------------------------------ helpers
def _segment_names(ds, path: Path) -> list[str]:  # type: ignore[no-untyped-def]
    try:
        segments = list(ds.SegmentSequence)
    except AttributeError:
        raise DataError(f"{path}: DICOM-SEG without SegmentSequence; expected one item per segment") from None
    by_number = {int(s.get("SegmentNumber", i + 1)): str(s.get("SegmentLabel", "") or f"segment_{i + 1}")
                 for i, s in enumerate(segments)}
    if sorted(by_number) != list(range(1, len(by_number) + 1)):
        raise DataError(f"{path}: segment numbers {sorted(by_number)} are not 1..{len(by_number)}; "
                        "expected consecutive segment numbers from 1")
    return [by_number[n] for n in range(1, len(by_number) + 1)]


def _frame_geometry(ds, n: int, path: Path) -> tuple[list[int], list[float] | None]:  # type: ignore[no-untyped-def]
    """Segment number and position along the slice normal of each of the first ``n`` frames."""
    per_frame = list(ds.get("PerFrameFunctionalGroupsSequence", []) or [])
    shared = (ds.get("SharedFunctionalGroupsSequence") or [None])[0]
    if len(per_frame) < n:
        raise DataError(f"{path}: {n} frame(s) but PerFrameFunctionalGroupsSequence has {len(per_frame)} "
                        "item(s); expected one item per frame")
    per_frame = per_frame[:n]
    numbers, positions = [], []
    normal = _normal(shared, per_frame[0] if per_frame else None)
    for k, item in enumerate(per_frame):
        number = _first(item, shared, "SegmentIdentificationSequence", "ReferencedSegmentNumber")
        if number is None:
            raise DataError(f"{path}: frame {k + 1} has no ReferencedSegmentNumber; expected "
                            "SegmentIdentificationSequence in each per-frame functional group")
        numbers.append(int(number))
        ipp = _first(item, shared, "PlanePositionSequence", "ImagePositionPatient")
        positions.append(None if ipp is None or normal is None else float(np.dot(normal, np.asarray(ipp, float))))
    if any(p is None for p in positions):
        return numbers, None
    return numbers, positions  # type: ignore[return-value]


def _slice_index(numbers: list[int], positions: list[float] | None, reference: str | Path | None,
                 path: Path) -> tuple[list[int], int, bool]:
    """Slice of each frame, number of slices, and whether the map is a single 2D slice."""
    ref_positions = _series_positions(reference) if reference is not None else None
    if positions is None:
        several = len(numbers) != len(set(numbers)) or (ref_positions is not None and len(ref_positions) > 1)
        if several:
            raise DataError(f"{path}: frames have no ImagePositionPatient (or no ImageOrientationPatient), so "
                            "frames of several slices cannot be ordered; expected per-frame plane positions")
        return [0] * len(numbers), 1, True
    if ref_positions is not None and len(ref_positions) > 1:
        step = float(np.median(np.diff(ref_positions)))
        out = []
        for pos in positions:
            j = int(np.argmin(np.abs(ref_positions - pos)))
            if abs(ref_positions[j] - pos) > max(step / 2.0, 1e-3):
                raise DataError(f"{path}: a frame at position {pos:.3f} mm matches no slice of {reference} "
                                f"(slices from {ref_positions[0]:.3f} to {ref_positions[-1]:.3f} mm); expected a "
                                "DICOM-SEG made on this series")
            out.append(j)
        return out, len(ref_positions), False
    unique = np.unique(np.round(np.asarray(positions), 3))
    index = {float(u): i for i, u in enumerate(unique)}
    return [index[float(np.round(p, 3))] for p in positions], len(unique), len(unique) == 1


def _series_positions(reference: str | Path) -> np.ndarray | None:
    """Sorted slice positions of a DICOM series folder (None for anything else)."""
    import pydicom

    from meddx.data.io import detect_kind

    ref = Path(reference)
    if not ref.is_dir():
        return None
    out = []
    for f in sorted(ref.iterdir()):
        if f.is_file() and detect_kind(f) == "dicom":
            ds = pydicom.dcmread(f, stop_before_pixels=True, force=True)
            try:
                orient = np.asarray(ds.ImageOrientationPatient, dtype=float)
                out.append(float(np.dot(np.cross(orient[:3], orient[3:]), np.asarray(ds.ImagePositionPatient, float))))
            except (AttributeError, TypeError, ValueError):
                return None
    return np.sort(np.asarray(out)) if out else None


def _normal(shared, first) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    orient = _first(first, shared, "PlaneOrientationSequence", "ImageOrientationPatient")
    if orient is None:
        return None
    o = np.asarray(orient, dtype=float)
    return np.cross(o[:3], o[3:])


def _first(item, shared, sequence: str, key: str):  # type: ignore[no-untyped-def]
    """``item.<sequence>[0].<key>``, else the same in the shared functional group, else None."""
    for group in (item, shared):
        try:
            value = getattr(group, sequence)[0].get(key)
        except (AttributeError, IndexError, TypeError):
            continue
        if value is not None:
            return value
    return None


def _seg_spacing(ds) -> tuple[float, float, float] | None:  # type: ignore[no-untyped-def]
    try:
        measures = ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
        dy, dx = (float(v) for v in measures.PixelSpacing)
        dz = float(measures.get("SpacingBetweenSlices") or measures.get("SliceThickness") or 0.0)
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    return (dz, dy, dx) if dz > 0 else None


def _reason(exc: BaseException) -> str:
    """The decoder's first informative line, as image decoding reports it (:func:`meddx.data.io._reason`)."""
    from meddx.data.io import _reason as decode_reason

    return decode_reason(exc)
