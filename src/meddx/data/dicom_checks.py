"""Checks made before DICOM pixels are decoded or stacked, each a one-line ``DataError`` naming
the file or folder and what to do: a compressed transfer syntax with no decoder installed, a
series folder holding several series or slice orientations, slices of one series with different
pixel spacings (or, without positions, different slice thicknesses), and slices of a series
without positions that claim the same InstanceNumber; and, for folders, which DICOM files hold no
image at all (:func:`dicom_frames`: a DICOMDIR, reports, key objects, presentation states); and
whether a file is whole (:func:`read_dataset`: a truncated copy is named as one).

Kept apart from :mod:`meddx.data.dicom` (decoding and geometry) so each module stays small.
"""

from __future__ import annotations

import re
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError

ORIENTATION_TOLERANCE = 1e-3
"""Direction cosines of one series' slices may differ by this much (rounding in the header)."""
SPACING_REL_TOLERANCE = 1e-3
"""Pixel spacings (and slice thicknesses) of one series' slices may differ by this fraction
(``0.703125`` written as ``0.7031`` by another exporter)."""

_PIP_NAMES = {"gdcm": "python-gdcm"}
"""pydicom names a plugin's requirement by import name; pip installs GDCM as ``python-gdcm``
(``pip install gdcm`` is an unrelated package)."""


def check_decoder(ds: Any, path: str | Path) -> None:
    """``DataError`` naming ``path``, its transfer syntax and the packages that would decode it,
    when its pixel data is compressed and no installed pydicom plugin decodes that syntax.

    pydicom's own message ("all plugins are missing dependencies:") ends where the list of
    packages starts, so only its first line would reach a one-line error; the decoder object
    knows the list (``missing_dependencies``) and is asked here before decoding.
    """
    uid = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if uid is None or not getattr(uid, "is_compressed", False):
        return
    from pydicom.pixels import get_decoder

    name = f"{uid.name} ({uid})" if uid.name != str(uid) else str(uid)
    try:
        decoder = get_decoder(uid)
    except NotImplementedError:
        raise DataError(f"{path}: cannot decode image: its pixel data is compressed as {name}, which pydicom "
                        "cannot decompress; expected an uncompressed or JPEG/JPEG 2000/JPEG-LS/RLE DICOM: "
                        "re-export it uncompressed (e.g. `gdcmconv --raw` or `dcmdjpeg`)") from None
    if decoder.is_available:
        return
    options = "; ".join(_pip_hint(dep) for dep in decoder.missing_dependencies)
    raise DataError(f"{path}: cannot decode image: its pixel data is compressed as {name} and no decoder for it "
                    f"is installed; install one of: {options} (or re-export the file uncompressed)")


def dicom_frames(path: str | Path) -> int:
    """The number of frames of a DICOM image file (1 for a single slice, the volume's slices for
    an enhanced multi-frame file); 0 for a DICOM file that is no image: a ``DICOMDIR`` (the index a
    CD or PACS export puts at its root), or an object whose SOP class is known and is not an image
    (RT structure set, segmentation, structured report, key object selection, presentation state).
    The SOP class is the dataset's, else the file meta's (a DICOMDIR records it only there). An
    unreadable header counts as one frame, so that the reader reports it.

    Folder readers (``predict`` on a folder, class folders of an image folder) skip the zeros, as a
    series folder does; read on its own, such a file is refused as a DICOM without pixel data.
    """
    import pydicom

    from meddx.data.dicom import is_image_sop

    if Path(path).name.upper() == "DICOMDIR":
        return 0
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True,
                             specific_tags=["SOPClassUID", "NumberOfFrames"])
    except Exception:  # noqa: BLE001 - any unreadable header is the reader's to report
        return 1
    sop = ds.get("SOPClassUID") or getattr(getattr(ds, "file_meta", None), "MediaStorageSOPClassUID", None)
    if not is_image_sop(sop):
        return 0
    try:
        return max(1, int(ds.get("NumberOfFrames") or 1))
    except (TypeError, ValueError):
        return 1


TRUNCATED = "End of file reached before delimiter"
"""How pydicom's warning starts when a file ends inside its encapsulated pixel data."""


def read_dataset(path: str | Path, force: bool) -> Any:
    """``pydicom.dcmread(path, force=force)``, refusing a file that ends inside its pixel data with a
    ``DataError`` that says so. pydicom only warns when encapsulated (compressed) pixel data stops
    before its end marker and returns the header without pixels, which was then reported as
    "DICOM without pixel data" beside a multi-line warning; other warnings pass on as they were."""
    import pydicom

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(path, force=force)
        except Exception:  # a header cut inside a length field: "unpack requires a buffer of 4 bytes"
            from meddx.data.dicom_cut import cut_error, cut_reason

            reason = cut_reason(path)
            if reason is None:
                raise
            raise cut_error(path, reason) from None
    for w in caught:
        if str(w.message).startswith(TRUNCATED):
            raise DataError(f"{path}: cannot decode image (the file ends inside its pixel data: truncated, as by an "
                            "interrupted copy or download); expected a whole DICOM file: copy or export it again")
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return ds


def holds_no_image(path: str | Path) -> bool:
    """Whether the DICOM file ``path`` holds no image (:func:`dicom_frames` is 0), asked of its file
    meta alone when it has one (MediaStorageSOPClassUID, in the first few hundred bytes): about
    0.2 ms a file against 1.7 ms for a header read of a CT slice, which an image folder of
    thousands of DICOM files pays at every load. A file without file meta gets the header read. An image
    folder asks :func:`meddx.data.dicom_patients.header_facts` instead, which gives the same answer and the
    PatientID from one partial header read."""
    from pydicom.filereader import read_file_meta_info

    from meddx.data.dicom import is_image_sop

    if Path(path).name.upper() == "DICOMDIR":
        return True
    try:
        sop = read_file_meta_info(path).get("MediaStorageSOPClassUID")
    except Exception:  # noqa: BLE001 - no preamble or file meta: the full header read decides
        sop = None
    return dicom_frames(path) == 0 if sop is None else not is_image_sop(sop)


def _pip_hint(dependency: str) -> str:
    """``'pylibjpeg - requires pylibjpeg>=2.0 and pylibjpeg-libjpeg>=2.1'`` ->
    ``'pip install "pylibjpeg>=2.0" "pylibjpeg-libjpeg>=2.1"'`` (plain numpy left out)."""
    _, _, needs = dependency.partition(" - requires ")
    wanted = [w.strip() for w in (needs or dependency).split(" and ") if w.strip() and w.strip() != "numpy"]
    named = []
    for w in wanted:
        module = re.split(r"[<>=!~ ]", w, maxsplit=1)[0]
        named.append(f'"{_PIP_NAMES.get(module, module)}{w[len(module):]}"')
    return "pip install " + " ".join(named)


def check_instance_numbers(folder: Path, slices: list[tuple[Path, Any]]) -> None:
    """``DataError`` naming the files when slices of a series without ImagePositionPatient share an
    InstanceNumber: that number is then the only slice order, and two slices at one place would be
    stacked in file-name order as if they were neighbours (a duplicated export, or two
    acquisitions). Slices without an InstanceNumber are left to file-name order."""
    by_number: dict[int, list[str]] = defaultdict(list)
    for f, ds in slices:
        value = ds.get("InstanceNumber")
        if value not in (None, ""):
            try:
                by_number[int(value)].append(f.name)
            except (TypeError, ValueError):
                continue
    repeated = {n: names for n, names in sorted(by_number.items()) if len(names) > 1}
    if repeated:
        shown = "; ".join(f"{n}: {', '.join(names[:3])}" for n, names in list(repeated.items())[:3])
        raise DataError(f"{folder}: {len(repeated)} repeated InstanceNumber(s) ({shown}) in a series without "
                        "ImagePositionPatient, so the slice order is unknown; expected one slice per InstanceNumber: "
                        "remove the duplicate files or export the series with positions")


def check_one_series(folder: Path, slices: list[tuple[Path, Any]]) -> None:
    """``DataError`` when the image slices of ``folder`` hold several SeriesInstanceUIDs, or one
    series several ImageOrientationPatient (a localizer or reformat exported into the series):
    projected on the first slice's normal and stacked, those would put anatomy in the wrong place."""
    series: dict[str, list[str]] = defaultdict(list)
    for f, ds in slices:
        series[str(ds.get("SeriesInstanceUID", ""))].append(f.name)
    if len(series) > 1:  # named by slice count and first file: a UID is an identifier de-identification replaces
        shown = "; ".join(f"{len(names)} slices from {sorted(names)[0]}"
                          for names in sorted(series.values(), key=lambda n: (-len(n), sorted(n)[0]))[:4])
        raise DataError(
            f"{folder}: holds {len(series)} DICOM series (SeriesInstanceUID differs: {shown}); "
            "expected one series per folder: move each series into its own folder"
        )
    by_orientation: dict[tuple[float, ...], list[str]] = defaultdict(list)
    for f, ds in slices:
        try:
            iop = tuple(float(v) for v in ds.ImageOrientationPatient)
        except (AttributeError, TypeError, ValueError):
            continue  # no orientation: ordered by InstanceNumber, nothing to compare
        # direction cosines written with few decimals differ by rounding only: same within 1e-3
        key = next((k for k in by_orientation if max(abs(a - b) for a, b in zip(k, iop)) <= ORIENTATION_TOLERANCE), iop)
        by_orientation[key].append(f.name)
    if len(by_orientation) > 1:
        groups = sorted(by_orientation.items(), key=lambda kv: -len(kv[1]))
        shown = "; ".join(f"{len(names)} at {[round(v, 3) for v in key]} (first {names[0]})"
                          for key, names in groups[:3])
        raise DataError(f"{folder}: slices of {len(groups)} orientations (ImageOrientationPatient: {shown}); expected "
                        "one orientation per series: move the localizer or reformatted slices out of the folder")


def check_slice_spacing(folder: Path, slices: list[tuple[Path, Any]], without_positions: bool) -> None:
    """``DataError`` naming ``folder``, two files and their values when the slices of one series
    record different PixelSpacing (ImagerPixelSpacing without it), or, for a series
    ``without_positions`` (whose z spacing then comes from the first slice), different
    SpacingBetweenSlices/SliceThickness: stacked as one volume with the first slice's spacing,
    the others' anatomy would be measured and resized at the wrong size. Slices that record no
    value are not compared."""
    checks = [("PixelSpacing", ("PixelSpacing", "ImagerPixelSpacing"), "pixel size")]
    if without_positions:
        keys = ("SpacingBetweenSlices", "SliceThickness")
        checks.append(("/".join(keys), keys, "slice spacing"))
    for label, keys, what in checks:
        seen: tuple[str, tuple[float, ...], str] | None = None
        for f, ds in slices:
            key, value = _spacing_value(ds, keys)
            if value is None:
                continue
            if seen is None:
                seen = (key, value, f.name)
            elif not _close(seen[1], value):
                raise DataError(
                    f"{folder}: slices of one series have different {label} ({seen[0]} {_mm(seen[1])} in {seen[2]}, "
                    f"{key} {_mm(value)} in {f.name}); expected one {what} per series: move the slices of the "
                    "other size (a reformat or a second acquisition) into their own folder")


def _spacing_value(ds: Any, keys: tuple[str, ...]) -> tuple[str, tuple[float, ...] | None]:
    """The first of ``keys`` that ``ds`` records as numbers, with its value (a tuple)."""
    for key in keys:
        value = ds.get(key)
        if value in (None, ""):
            continue
        try:
            return key, tuple(float(v) for v in np.atleast_1d(np.asarray(value, dtype=float)))
        except (TypeError, ValueError):
            continue
    return keys[0], None


def _close(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= SPACING_REL_TOLERANCE * max(abs(x), abs(y)) for x, y in zip(a, b))


def _mm(value: tuple[float, ...]) -> str:
    return " x ".join(f"{v:g}" for v in value) + " mm"
