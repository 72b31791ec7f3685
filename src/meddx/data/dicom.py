"""DICOM decoding for :func:`meddx.data.io.read_image`: single files, enhanced multi-frame files
and series folders (what is DICOM, and what is an image object, is :mod:`meddx.data.dicom_kind`'s).

Intensities follow the DICOM pixel pipeline: MONOCHROME1 is turned into MONOCHROME2 with one
constant per file taken from BitsStored (the standard's "minimum value displays white", not the
image's own range, so every slice of a series inverts alike), then the modality rescale
(RescaleSlope/Intercept) is applied. Raw integers that are not rescaled keep their dtype and, when
BitsStored is narrower than the container (12 bits in 16), come back as a :class:`BitDepthArray`
whose ``value_max`` (``2**BitsStored - 1``) is what intensity scaling divides by. Projection
X-ray (CR, DX, MG...) that records a window or VOI LUT is read through it instead (an enhanced
file's per frame), CT and MR keep their modality values; an X-ray's PresentationLUTShape INVERSE
inverts it as MONOCHROME1 does (:mod:`meddx.data.dicom_voi`).

Enhanced multi-frame files keep rescale, pixel spacing and positions in the functional groups:
they are read per frame, then shared, then top level, and frames are put in ascending position
along the slice normal, as a series folder's slices are.

Volumes (series and multi-frame files with ImageOrientationPatient and positions) are then put in
the RAS+ orientation closest to their stored one, as NIfTI files are
(:mod:`meddx.data.orientation`), from the same geometry a converter such as dcm2niix writes into
a NIfTI affine (LPS turned into RAS): a series and its NIfTI conversion read to one array.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from meddx.core.errors import DataError
from meddx.data.dicom_checks import (check_decoder, check_instance_numbers, check_one_series, check_slice_spacing,
                                    read_dataset)
from meddx.data.dicom_cut import check_not_cut, cut_error, cut_reason
from meddx.data.dicom_kind import check_image_object, with_transfer_syntax
from meddx.data.dicom_voi import (functional_item, invert_monochrome1, inverted_display, stored_max, voi_applies,
                                  voi_pixels)
from meddx.data.orientation import CANONICAL, Reorientation, reorient

if TYPE_CHECKING:
    from meddx.data.io import LoadedImage

STEP_REL_TOLERANCE = 1e-3
"""Slice steps may differ from the series' median step by this fraction (float jitter) ..."""
STEP_ABS_TOLERANCE_MM = 0.05
"""... or by this many mm (positions written with few decimals), but never by a quarter step."""


class BitDepthArray(np.ndarray):
    """Raw stored integers whose valid range is narrower than their dtype: ``value_max`` is the
    largest storable value (``2**BitsStored - 1``, or ``2**(BitsStored-1) - 1`` when signed).

    Views and slices keep ``value_max``; arithmetic gives a plain array, because its values are
    no longer stored values. ``ImagePreprocessor`` divides by ``value_max`` under ``dtype``
    scaling, so a 12-bit X-ray matches the same picture saved as an 8-bit PNG.
    """

    value_max: float | None = None

    def __array_finalize__(self, obj: Any) -> None:
        integer = np.issubdtype(self.dtype, np.integer)  # astype(float) values are no longer stored ones
        self.value_max = getattr(obj, "value_max", None) if integer else None

    def __array_wrap__(self, arr: Any, context: Any = None, return_scalar: bool = False) -> Any:
        arr = arr.view(np.ndarray)
        return arr[()] if return_scalar else arr

    def __reduce__(self) -> Any:  # pickled copies (data loader workers) keep the bit depth
        fn, args, state = super().__reduce__()  # type: ignore[misc]
        return fn, args, (state, self.value_max)

    def __setstate__(self, state: Any) -> None:
        super().__setstate__(state[0])  # type: ignore[misc]
        self.value_max = state[1]


def with_bit_depth(arr: np.ndarray, value_max: float | None) -> np.ndarray:
    """``arr`` as a :class:`BitDepthArray` when ``value_max`` is below its integer dtype's maximum;
    ``arr`` unchanged otherwise (floats, full-depth integers)."""
    if value_max is None or not np.issubdtype(arr.dtype, np.integer) or value_max >= np.iinfo(arr.dtype).max:
        return arr
    out = arr.view(BitDepthArray)
    out.value_max = float(value_max)
    return out


def is_image_sop(uid: Any) -> bool:
    """False for a SOP class pydicom knows and that is not an image (RT structure set,
    segmentation, structured report...); True for image classes, unknown ones and none."""
    name = getattr(uid, "name", "") if uid is not None else ""
    return uid is None or name == str(uid) or "Image" in name


def read_dicom_file(path: Path, orientation: str | None = CANONICAL) -> LoadedImage:
    """One DICOM file: ``(C, H, W)``, or ``(1, F, H, W)`` for a multi-frame file in ascending
    position along the slice normal when every frame records a distinct position (then turned
    to ``orientation``; None keeps that order)."""
    from meddx.data.io import _EXPECTED, LoadedImage

    with open(path, "rb") as fh:
        has_preamble = fh.read(132)[128:132] == b"DICM"
    ds = with_transfer_syntax(read_dataset(path, force=not has_preamble))  # a truncated file is refused as one
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        check_not_cut(path, ds)  # a header cut off reads without error and without pixels
        modality = ds.get("Modality", "unknown")
        raise DataError(
            f"{path}: cannot decode image (DICOM without pixel data, modality {modality}); {_EXPECTED} image"
        )
    check_image_object(path, ds)  # a SEG's mask frames or a dose grid, given for an image
    check_decoder(ds, path)
    try:
        arr = dicom_pixels(ds)
    except Exception:  # pydicom's several-line "fewer bytes of pixel data than expected" for a cut file
        reason = cut_reason(path)
        if reason is None:
            raise
        raise cut_error(path, reason) from None
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    in_plane = pixel_spacing(ds)
    if int(ds.get("SamplesPerPixel", 1) or 1) > 1 or ds.get("PhotometricInterpretation") == "PALETTE COLOR":
        dz = slice_thickness(ds) if frames > 1 else None
        spacing = in_plane if frames == 1 or in_plane is None or dz is None else (dz, *in_plane)
        return LoadedImage(np.ascontiguousarray(np.moveaxis(arr, -1, 0)), spacing, str(path))
    if frames == 1:
        return LoadedImage(_contiguous(arr)[None], in_plane, str(path))
    positions = _frame_positions(ds, frames)
    dz, first = None, None
    if positions is not None and len(np.unique(positions)) == frames:
        order = np.argsort(positions, kind="stable")
        arr = arr[order]
        step, duplicates, gaps = _step_problems(positions[order])
        dz = abs(step) if not duplicates and not gaps else None
        first = functional_item(ds, "PlanePositionSequence", int(order[0]))
    dz = dz if dz is not None else slice_thickness(ds)
    spacing = None if in_plane is None or dz is None else (dz, *in_plane)
    oriented = functional_item(ds, "PlaneOrientationSequence", 0) or ds
    volume, spacing, change = _reoriented(_contiguous(arr)[None], spacing, oriented, first, orientation)
    return LoadedImage(volume, spacing, str(path), reoriented=change)


def read_dicom_series(folder: str | Path, orientation: str | None = CANONICAL, *,
                      on_slice: Callable[[], None] | None = None,
                      headers: Mapping[str, Any] | None = None) -> LoadedImage:
    """Stack the DICOM slices of one series folder into a ``(1, D, H, W)`` volume, turned to
    ``orientation`` (None: slices in ascending position, rows and columns as stored).

    ``on_slice`` (optional) is called before each file is parsed and each slice decoded; it may
    raise to stop a long read (the server's check for a request that gave up). ``headers``
    (optional) maps file names in ``folder`` to datasets a caller already parsed from them
    (``force=True``, pixel data read or deferred, not stopped before): those files are DICOM
    and are not parsed again; the others are detected and read here.

    Slices are ordered by their position along the slice normal (ImagePositionPatient on the
    ImageOrientationPatient normal; InstanceNumber without positions); the z spacing is the median
    step. Non-image objects (RTSTRUCT, SEG, SR) are skipped; each slice gets its own rescale.
    ``DataError`` for several series or orientations, slices of different sizes, a repeated
    position or (without positions) InstanceNumber, or an uneven step (missing slice): stacked
    with one spacing, those would put anatomy in the wrong place; and for compressed pixels
    without a decoder installed (:mod:`meddx.data.dicom_checks`).
    """
    import pydicom

    from meddx.data.io import _EXPECTED, LoadedImage, _reason, detect_kind

    folder = Path(folder)
    parsed = headers or {}
    checked = on_slice or (lambda: None)
    files = sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))
    files = [f for f in files if f.name.upper() != "DICOMDIR" and (f.name in parsed or detect_kind(f) == "dicom")]
    slices = []
    for f in files:  # each file read once; non-image objects (RTSTRUCT, SEG, SR) dropped by SOP class
        checked()
        try:
            ds = with_transfer_syntax(parsed[f.name] if f.name in parsed else pydicom.dcmread(f, force=True))
        except Exception as exc:
            raise DataError(f"{f}: cannot decode image ({_reason(exc)}); {_EXPECTED}") from exc
        if is_image_sop(ds.get("SOPClassUID")):
            check_not_cut(f, ds)  # a slice cut off before its series UID was "2 series"
            slices.append((f, ds))
    if not slices:
        raise DataError(f"{folder}: no DICOM image files in this folder; expected a DICOM series folder")
    check_one_series(folder, slices)
    positions = _along_normal(slices[0][1], [ds for _, ds in slices])  # None when a tag is missing
    check_slice_spacing(folder, slices, without_positions=positions is None)
    if positions is not None:
        order = np.argsort(positions, kind="stable")
    else:
        check_instance_numbers(folder, slices)
        order = np.argsort([int(ds.get("InstanceNumber", 0) or 0) for _, ds in slices], kind="stable")
    planes = []
    for i in order:
        f, ds = slices[i]
        checked()
        check_decoder(ds, f)
        try:
            planes.append(dicom_pixels(ds))
        except Exception as exc:
            reason = cut_reason(f)  # a slice cut inside its pixels
            raise (cut_error(f, reason) if reason else
                   DataError(f"{f}: cannot decode image ({_reason(exc)}); {_EXPECTED}")) from exc
    _check_planes(folder, planes)
    dz = None
    if positions is not None and len(positions) > 1:
        dz = _series_step(folder, positions[order], [slices[i][0].name for i in order])
    dtype = np.result_type(*[a.dtype for a in planes])
    volume = np.stack([np.asarray(a).astype(dtype, copy=False) for a in planes])[None]
    value_max = max(_plane_value_max(a, slices[i][1]) for a, i in zip(planes, order))
    spacing = None
    in_plane = pixel_spacing(slices[order[0]][1])
    if in_plane is not None:
        dz = dz if dz is not None else slice_thickness(slices[order[0]][1])
        spacing = None if dz is None else (dz, *in_plane)
    first = slices[order[0]][1] if positions is not None else None
    volume, spacing, change = _reoriented(with_bit_depth(volume, value_max), spacing, first, first, orientation)
    return LoadedImage(volume, spacing, str(folder), reoriented=change)


def _plane_value_max(plane: np.ndarray, ds: Any) -> float:
    """What one slice's values are divided by (see :func:`with_bit_depth`): its ``value_max``; for an
    integer slice without one, its dtype's maximum (``with_bit_depth`` drops a ``value_max`` that
    reaches it: full-depth raw values, or a VOI output spread over 16 bits, which ``BitsStored``
    would undercount); for a float slice (rescaled, not divided) the stored maximum, as before."""
    value_max = getattr(plane, "value_max", None)
    if value_max:
        return float(value_max)
    return float(np.iinfo(plane.dtype).max) if np.issubdtype(plane.dtype, np.integer) else stored_max(ds)


def volume_affine(orient: Any, origin: Any, spacing: tuple[float, ...] | None) -> np.ndarray:
    """NIfTI (RAS) voxel-to-world 4x4 of a ``(D, H, W)`` volume whose slices ascend along the
    normal of ``orient`` (ImageOrientationPatient), first slice at ``origin``
    (ImagePositionPatient), in NIfTI (x=column, y=row, z=slice) order: LPS turned into RAS, as
    dcm2niix writes it."""
    orient = np.asarray(orient, dtype=float)
    normal = np.cross(orient[:3], orient[3:])
    dy, dx = (spacing[-2], spacing[-1]) if spacing else (1.0, 1.0)
    dz = spacing[0] if spacing and len(spacing) == 3 else 1.0
    lps = np.eye(4)
    lps[:3, 0] = orient[:3] * dx  # column index moves along the row direction cosine
    lps[:3, 1] = orient[3:] * dy
    lps[:3, 2] = normal * dz
    lps[:3, 3] = np.asarray(origin, dtype=float)
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps


def _reoriented(volume: np.ndarray, spacing: tuple[float, ...] | None, oriented: Any, first: Any,
                orientation: str | None) -> tuple[np.ndarray, tuple[float, ...] | None, Reorientation | None]:
    """A ``(1, D, H, W)`` volume turned to ``orientation`` by the geometry of ``oriented``
    (ImageOrientationPatient) and ``first`` (the first slice's ImagePositionPatient); unchanged
    without that geometry or orientation."""
    if orientation is None or first is None:
        return volume, spacing, None
    try:
        affine = volume_affine(oriented.ImageOrientationPatient, first.ImagePositionPatient, spacing)
    except (AttributeError, TypeError, ValueError):
        return volume, spacing, None
    zooms = None if spacing is None else tuple(reversed(spacing))
    xyz, _, zooms, change = reorient(volume[0].transpose(2, 1, 0), affine, zooms, orientation)
    if change is None or change.identity:
        return volume, spacing, change
    out = with_bit_depth(np.ascontiguousarray(xyz.transpose(2, 1, 0))[None], getattr(volume, "value_max", None))
    return out, None if zooms is None else tuple(reversed(zooms)), change


def _check_planes(folder: Path, planes: list[np.ndarray]) -> None:
    shapes = {a.shape for a in planes}
    if len(shapes) > 1:
        raise DataError(
            f"{folder}: slices have different sizes {sorted(shapes)}; expected one series of equal-size slices"
        )
    if any(a.ndim != 2 for a in planes):
        raise DataError(f"{folder}: series slices must be single-frame greyscale; found shape {planes[0].shape}")


def _series_step(folder: Path, positions: np.ndarray, names: list[str]) -> float:
    """The slice step of sorted ``positions``; ``DataError`` naming the files for a repeated
    position or a step that differs from the others (a missing slice)."""
    step, duplicates, gaps = _step_problems(positions)
    if duplicates:
        pairs = "; ".join(f"{names[i]} and {names[i + 1]} at {positions[i]:g} mm" for i in duplicates[:3])
        raise DataError(f"{folder}: {len(duplicates)} repeated slice position(s) along the slice normal ({pairs}); "
                        "expected one slice per position: remove the duplicate files")
    if gaps:
        where = "; ".join(f"{positions[i + 1] - positions[i]:g} mm from {positions[i]:g} to {positions[i + 1]:g} "
                          f"between {names[i]} and {names[i + 1]}" for i in gaps[:3])
        raise DataError(f"{folder}: uneven slice positions, step {where}, where the series steps {step:g} mm "
                        "(a missing slice?); expected evenly spaced slices: add the missing files")
    return abs(step)


def _step_problems(positions: np.ndarray) -> tuple[float, list[int], list[int]]:
    """Median step of sorted ``positions``, and the indices ``i`` of steps ``i -> i+1`` that are
    repeats (about zero) or uneven (off the median beyond the tolerances above)."""
    steps = np.diff(positions)
    step = float(np.median(steps))
    tol = max(STEP_REL_TOLERANCE * abs(step), min(STEP_ABS_TOLERANCE_MM, abs(step) / 4))
    duplicates = [int(i) for i in np.flatnonzero(np.abs(steps) <= tol)]
    gaps = [int(i) for i in np.flatnonzero(np.abs(steps - step) > tol) if int(i) not in duplicates]
    return step, duplicates, gaps


def dicom_pixels(ds: Any) -> np.ndarray:
    """Pixel array (frames first) with MONOCHROME1 turned into MONOCHROME2, PALETTE COLOR into
    RGB and the modality rescale applied, per frame for enhanced multi-frame files; projection
    X-ray with a window or VOI LUT through it instead (:mod:`meddx.data.dicom_voi`).

    Integer pixels stay integer unless slope/intercept are not the identity (then float32), so
    uint8/int16 data keeps its compact dtype.
    """
    arr = ds.pixel_array
    if ds.get("PhotometricInterpretation") == "PALETTE COLOR":  # indices into the file's colour table:
        from pydicom.pixels import apply_color_lut  # the colours, (..., 3) as RGB files are

        return np.asarray(apply_color_lut(arr, ds))
    if voi_applies(ds):  # projection X-ray: through its window / VOI LUT (meddx.data.dicom_voi)
        return with_bit_depth(*voi_pixels(arr, ds))
    if inverted_display(ds):  # MONOCHROME1, or an X-ray's PresentationLUTShape INVERSE (meddx.data.dicom_voi)
        arr = invert_monochrome1(arr, ds)  # before the rescale: the same as inverting the rescaled range
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1 and int(ds.get("SamplesPerPixel", 1) or 1) == 1:
        pairs = np.asarray([_rescale(ds, k) for k in range(frames)], dtype=np.float64)
        slope, intercept = pairs[:, 0].reshape(-1, 1, 1), pairs[:, 1].reshape(-1, 1, 1)
    else:
        slope, intercept = (np.float64(v) for v in _rescale(ds, None))
    if np.any(slope != 1.0) or np.any(intercept != 0.0):
        return (arr.astype(np.float64) * slope + intercept).astype(np.float32)
    return with_bit_depth(arr, stored_max(ds))


def _rescale(ds: Any, frame: int | None) -> tuple[float, float]:
    """(slope, intercept) of ``frame``: per-frame, then shared functional groups, then top level."""
    item = functional_item(ds, "PixelValueTransformationSequence", frame or 0)
    slope = item.get("RescaleSlope") if item is not None else ds.get("RescaleSlope")
    intercept = item.get("RescaleIntercept") if item is not None else ds.get("RescaleIntercept")
    return float(slope if slope not in (None, "") else 1), float(intercept if intercept not in (None, "") else 0)


def _frame_positions(ds: Any, frames: int) -> np.ndarray | None:
    """Each frame's position along the slice normal (PlanePositionSequence), or None."""
    orient_item = functional_item(ds, "PlaneOrientationSequence", 0)
    items = [functional_item(ds, "PlanePositionSequence", k) for k in range(frames)]
    return _along_normal(orient_item or ds, items)


def pixel_spacing(ds: Any) -> tuple[float, float] | None:
    """(row, column) spacing: PixelMeasuresSequence (per-frame, then shared), then PixelSpacing or
    ImagerPixelSpacing at the top level."""
    item = functional_item(ds, "PixelMeasuresSequence", 0)
    value = item.get("PixelSpacing") if item is not None else None
    value = value or ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing")
    try:
        return float(value[0]), float(value[1])
    except (TypeError, ValueError, IndexError):
        return None


def slice_thickness(ds: Any) -> float | None:
    """SpacingBetweenSlices, else SliceThickness: from PixelMeasuresSequence, then the top level."""
    item = functional_item(ds, "PixelMeasuresSequence", 0)
    for source in (item, ds):
        for key in ("SpacingBetweenSlices", "SliceThickness"):
            value = source.get(key) if source is not None else None
            if value not in (None, ""):
                try:
                    return float(value)
                except (TypeError, ValueError):
                    continue
    return None


def _along_normal(oriented: Any, placed: list) -> np.ndarray | None:  # type: ignore[type-arg]
    """ImagePositionPatient of each of ``placed`` projected on the normal of ``oriented``'s
    ImageOrientationPatient; None when any tag is missing or malformed."""
    try:
        orient = np.asarray(oriented.ImageOrientationPatient, dtype=float)
        normal = np.cross(orient[:3], orient[3:])
        return np.asarray([np.dot(normal, np.asarray(it.ImagePositionPatient, dtype=float)) for it in placed])
    except (AttributeError, TypeError, ValueError):
        return None


def _contiguous(arr: np.ndarray) -> np.ndarray:
    """``np.ascontiguousarray`` that keeps a :class:`BitDepthArray`'s ``value_max``."""
    return with_bit_depth(np.ascontiguousarray(arr), getattr(arr, "value_max", None))
