"""Grey values of DICOM pixels: the VOI transform of projection X-ray, and MONOCHROME1 inversion.

Projection X-ray (CR, DX, MG, RF, XA, IO, PX, RG) that records a VOI (a VOILUTSequence, or
WindowCenter/WindowWidth) is read through it, as a radiologist sees it: pydicom's
``apply_modality_lut`` then ``apply_voi_lut`` (the first VOI of the file, the LUT preferred over
the window, as pydicom and the standard do; an enhanced multi-frame file's from each frame's
FrameVOILUTSequence, with the frame's own rescale), then inverted over the VOI's output range when
the file displays inverted: MONOCHROME1, or a MONOCHROME2 file whose PresentationLUTShape is
INVERSE (:func:`inverted_display`; without a VOI that inversion is over BitsStored, as for
MONOCHROME1). PixelIntensityRelationship(Sign) and the Pixel Intensity Relationship LUTs relate
stored values to X-ray intensity and are no display step (PS3.3 C.8.11.3, PS3.17 FFF.2.3.1.3.4):
they are not applied. The raw detector values of such files are not display-ready (they may
span the detector's range, with the anatomy in a small part of it); the display renderings X-ray
models are usually trained on (8-bit PNG/JPEG exports) went through that window, and CXR training
code commonly applies pydicom's ``apply_voi_lut`` (TorchXRayVision's ``read_xray_dcm(voi_lut=True)``, the
``read_xray`` of many VinDr-CXR and SIIM pipelines).

CT, MR, PET and other modalities keep their modality values (Hounsfield units, MR signal):
there a window is a choice made for the task (a lung or a brain window in HU), the same for every
file, and a DICOM series then reads to the same array as its NIfTI conversion (dcm2niix ignores
the VOI too). The choice is made per file from its Modality, so training on a folder or manifest
of ``.dcm`` files and ``meddx predict`` on one ``.dcm`` read it alike.

The VOI output is a display value in ``[lo, hi]`` (``0 .. 2**BitsStored - 1`` for a window on
unsigned pixels, ``0 .. 2**n - 1`` for an n-bit VOI LUT); it is returned from 0 as an unsigned
integer array with ``value_max = hi - lo``, so ``dtype`` intensity scaling maps it to [0, 1] as
it maps an 8-bit PNG rendering of the same picture.

A PresentationLUTSequence is applied after the VOI (PS3.4 N.2.1.4; :mod:`meddx.data.dicom_plut`):
the VOI output, scaled to the LUT's entries, is looked up, and the result is the file's P-values,
``0 .. 2**n - 1`` for n-bit entries; the LUT then defines the polarity (the Photometric
Interpretation is overridden, so MONOCHROME1 is not inverted a second time). An X-ray without a
VOI keeps its modality values and its PresentationLUTSequence is not applied.

Bundles written since record ``"dicom_voi": true``; a bundle without it was trained when the VOI
was not applied, so its reads (predict, evaluate, explain, serve) skip the VOI and the
PresentationLUTShape inversion (:func:`reading_voi`, :func:`bundle_reads_voi`) and it predicts as
it did. The presentation steps added later are versioned in ``"dicom_presentation"``
(:data:`PRESENTATION_READING`): a bundle reads at the level it records. So is one rule for
other files, a 16-bit TIFF's recorded bit depth (level 3), which shares this reading context.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from meddx.core.errors import DataError

XRAY_MODALITIES = frozenset({"CR", "DX", "MG", "RF", "XA", "IO", "PX", "RG"})
"""Projection radiography modalities (DICOM PS3.3 C.7.3.1.1.1), read through their VOI."""


PRESENTATION_READING = 3
"""The presentation steps reads apply now, which new bundles record as ``"dicom_presentation"``
(each level adds to the one before; a bundle reads at the level it records, absent: 0):
1 (recorded as ``true``): PresentationLUTShape INVERSE and enhanced multi-frame frame VOIs;
2: the PresentationLUTSequence too (:mod:`meddx.data.dicom_plut`);
3: a 16-bit TIFF's recorded bit depth too (MaxSampleValue or BitsPerSample,
:func:`meddx.data.pil_values.tiff_depth_applies`): not a DICOM step, but a reading rule that
changes what ``dtype`` scaling gives, versioned here as sBIT is by ``"dicom_voi"``."""

TIFF_DEPTH_READING = 3
"""The level from which a 16-bit TIFF is divided by its MaxSampleValue/BitsPerSample."""

_APPLY: ContextVar[bool] = ContextVar("meddx_reading_dicom_voi", default=True)
# the presentation steps added after the VOI reading itself (PRESENTATION_READING): a bundle that
# records "dicom_voi" but a lower "dicom_presentation" (or none) was trained without the later ones
_PRESENTATION: ContextVar[int] = ContextVar("meddx_reading_dicom_presentation", default=PRESENTATION_READING)


@contextmanager
def reading_voi(apply: bool, presentation: int | None = None) -> Iterator[None]:
    """Within the block, projection X-ray DICOM is read through its VOI (``apply``) or as its raw
    modality values (bundles trained before the VOI was applied); ``presentation`` is the level of
    the later presentation steps (:data:`PRESENTATION_READING`; None: today's; ``True``: 1, as
    bundles record it), which bundles written before a step were trained without. Context
    variables, like the reading orientation, so threads and concurrent requests do not see each
    other's."""
    token = _APPLY.set(bool(apply))
    level = PRESENTATION_READING if presentation is None else int(presentation)
    shown = _PRESENTATION.set(level if apply else 0)
    try:
        yield
    finally:
        _PRESENTATION.reset(shown)
        _APPLY.reset(token)


def voi_reading() -> tuple[bool, int]:
    """Which of these readings reads now apply: (X-ray VOI and PNG sBIT, the presentation level,
    :data:`PRESENTATION_READING`); all unless within :func:`reading_voi` for an older bundle."""
    return _APPLY.get(), _PRESENTATION.get()


def bundle_reads_voi(config: Mapping[str, Any]) -> bool:
    """Whether a bundle's ``config.json`` says its training read X-ray DICOM through the VOI."""
    return config.get("dicom_voi") is True


def bundle_reads_presentation(config: Mapping[str, Any]) -> int:
    """The presentation level a bundle's training read at (:data:`PRESENTATION_READING`): its
    ``"dicom_presentation"`` (``true``: 1, the first level, written before the field held a
    number); 0 without it or without ``"dicom_voi": true``."""
    value = config.get("dicom_presentation")
    if not bundle_reads_voi(config) or value is None or value is False:
        return 0
    return 1 if value is True else (value if isinstance(value, int) else 0)


def voi_applies(ds: Any) -> bool:
    """Whether ``ds`` is read through its VOI: a greyscale projection X-ray that records one, at
    the top level or, in an enhanced multi-frame file, for its first frame (FrameVOILUTSequence)."""
    greyscale = str(ds.get("PhotometricInterpretation", "")) in ("MONOCHROME1", "MONOCHROME2")
    return (_APPLY.get() and greyscale and _modality(ds) in XRAY_MODALITIES
            and (_PRESENTATION.get() >= 1 or not _enhanced(ds)) and _voi_kind(_frame_view(ds, 0)) is not None)


def inverted_display(ds: Any) -> bool:
    """Whether the minimum of ``ds`` displays white: MONOCHROME1, or a MONOCHROME2 projection
    X-ray whose PresentationLUTShape is INVERSE (PS3.3 C.11.6.1.2: P-value = maximum - output).
    The standard pairs INVERSE with MONOCHROME1 ("output after inversion is in P-Values", the
    General Image module), so MONOCHROME1 with INVERSE is one inversion, not two. A bundle trained
    before this change (:func:`reading_voi` with ``presentation`` false) reads MONOCHROME2 files as stored."""
    photometric = str(ds.get("PhotometricInterpretation", ""))
    if photometric == "MONOCHROME1":
        return True
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    return (_PRESENTATION.get() >= 1 and photometric == "MONOCHROME2" and shape == "INVERSE"
            and _modality(ds) in XRAY_MODALITIES)


def voi_pixels(arr: np.ndarray, ds: Any) -> tuple[np.ndarray, float]:
    """``(values, value_max)``: ``arr`` (stored pixels of ``ds``) through the modality LUT, the
    file's first VOI (each frame's own, for an enhanced multi-frame file), then its
    PresentationLUTSequence (P-values, :mod:`meddx.data.dicom_plut`) or, when the file displays
    inverted (:func:`inverted_display`), the inversion, shifted to start at 0 (see the module
    docstring). ``DataError`` naming the file and the VOI fields when pydicom cannot apply them (a
    zero WindowWidth, an unsupported VOILUTFunction or LUT depth), naming the frame of an enhanced
    file that records no VOI while its first frame does, or naming an unusable Presentation LUT.

    Frames that share their rescale and VOI (an enhanced file's shared groups, or per-frame items
    of equal values: the usual case) go through pydicom together, a few at a time into the output
    array: one stand-in dataset per distinct window, not a deep copy and a pydicom call per frame
    (a 1,000-frame XA cine), and float64 work arrays of a few frames, not of the whole file (a
    tomosynthesis volume: several GB)."""
    from meddx.data.dicom_plut import presentation_lut

    where = getattr(ds, "filename", None) or "DICOM file"
    stack = arr if arr.ndim == 3 else arr[None]  # frames first (a single frame: one)
    groups = _frame_groups(ds, len(stack), where)
    ranges = [_through_voi(np.zeros((1, 1), dtype=arr.dtype), view, where)[1:] for view, _ in groups]
    # hi < lo under a negative rescale slope (pydicom's window ends are the modality range's): the
    # scaling below then turns the lowest modality value black, as the standard's window does
    spans = {abs(hi - lo) for lo, hi in ranges}
    span = spans.pop() if len(spans) == 1 else None
    exact = span is not None and float(span).is_integer() and span <= 65535
    value_max = float(span) if exact else 65535.0  # else each frame's range spread over 16 bits
    lut = presentation_lut(ds, where) if _PRESENTATION.get() >= 2 else None
    value_max = float(lut.top) if lut is not None else value_max  # P-values
    ints = np.empty(stack.shape, dtype=np.uint8 if value_max <= 255 else np.uint16)
    # minimum displays white: inverted after the VOI, as the standard does; a Presentation LUT
    # overrides the Photometric Interpretation (its output is P-values, PS3.4 N.2.1.4)
    inverted = lut is None and inverted_display(ds)
    step = max(1, _CHUNK_VALUES // max(1, stack[0].size))
    for (view, frames), (lo, hi) in zip(groups, ranges):
        for start in range(0, len(frames), step):
            sel = frames[start:start + step]
            out = _through_voi(stack[sel], view, where)[0]
            if lut is not None:
                ints[sel] = lut.apply(out, lo, hi)
                continue
            if inverted:
                out = (lo + hi) - out
            ints[sel] = np.clip(np.rint((out - lo) * (value_max / (hi - lo))), 0, value_max)
    return (ints if arr.ndim == 3 else ints[0]), value_max


_CHUNK_VALUES = 4_000_000
"""Pixels put through pydicom at once (float64 work arrays of about 32 MB each)."""


def _frame_groups(ds: Any, frames: int, where: str) -> list[tuple[Any, np.ndarray]]:
    """``(view, frame indices)`` for each distinct (rescale, VOI) of ``ds``: the whole file for a
    classic one; an enhanced file's frames grouped by their functional items' values (per-frame
    over shared over top level, :func:`_frame_view`). ``DataError`` naming a frame without a VOI."""
    if not _enhanced(ds):
        return [(ds, np.arange(frames))]
    members: dict[tuple, list[int]] = {}
    for k in range(frames):
        rescale = functional_item(ds, "PixelValueTransformationSequence", k)
        voi = functional_item(ds, "FrameVOILUTSequence", k)
        members.setdefault((_item_key(rescale, _RESCALE_KEYS), _item_key(voi, _VOI_KEYS)), []).append(k)
    groups = []
    for indices in members.values():
        view = _frame_view(ds, indices[0])
        if _voi_kind(view) is None:
            raise DataError(f"{where}: frame {indices[0] + 1} of {frames} records no VOI (FrameVOILUTSequence) "
                            "while frame 1 does; expected a window or VOI LUT for every frame")
        groups.append((view, np.asarray(indices)))
    return sorted(groups, key=lambda g: int(g[1][0]))


def _item_key(item: Any, keys: tuple[str, ...]) -> tuple:
    """What makes two functional group items read alike: their values of ``keys`` (a LUT sequence,
    too long to compare cheaply, by the item's identity: a shared item is one object)."""
    if item is None:
        return ()
    if any(key.endswith("Sequence") and key in item for key in keys):
        return ("item", id(item))
    return tuple((key, str(item[key].value)) for key in keys if key in item)


def _through_voi(arr: np.ndarray, ds: Any, where: str) -> tuple[np.ndarray, float, float]:
    """``(out, lo, hi)``: ``arr`` through the modality LUT and the first VOI of ``ds`` (pydicom), and
    that VOI's output range."""
    from pydicom.pixels import apply_modality_lut, apply_voi_lut, apply_windowing

    kind = _voi_kind(ds)
    try:
        values = apply_modality_lut(arr, ds)
        if kind == "lut" and not np.issubdtype(values.dtype, np.integer):  # a LUT is indexed by integers
            values = np.rint(values).astype(np.int64)
        out = np.asarray(apply_voi_lut(values, _lut_indexable(ds) if kind == "lut" else ds, index=0),
                         dtype=np.float64)
        if kind == "lut":
            lo, hi = 0.0, float(2 ** int(ds.VOILUTSequence[0].LUTDescriptor[2]) - 1)
        else:  # the window's output range, asked of pydicom: -inf and +inf map to its ends
            lo, hi = (float(v) for v in apply_windowing(np.array([-np.inf, np.inf]), ds, index=0))
    except Exception as exc:  # noqa: BLE001 - pydicom raises ValueError, NotImplementedError, KeyError...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{where}: cannot apply its VOI ({_voi_fields(ds, kind)}): {reason}; expected a valid "
                        "X-ray display window (WindowWidth > 0) or VOI LUT: correct or remove those fields") from None
    if hi == lo:
        raise DataError(f"{where}: its VOI maps every pixel to {lo:g}; expected a display range (BitsStored, "
                        "LUTDescriptor)")
    return out, lo, hi


def _modality(ds: Any) -> str:
    return str(ds.get("Modality", "") or "").strip().upper()


def _enhanced(ds: Any) -> bool:
    """Whether ``ds`` keeps rescale and VOI in functional groups (enhanced multi-frame IODs)."""
    return "PerFrameFunctionalGroupsSequence" in ds or "SharedFunctionalGroupsSequence" in ds


_PIXEL_KEYS = ("PhotometricInterpretation", "BitsAllocated", "BitsStored", "PixelRepresentation", "Modality")
_RESCALE_KEYS = ("RescaleSlope", "RescaleIntercept", "ModalityLUTSequence")
_VOI_KEYS = ("WindowCenter", "WindowWidth", "VOILUTFunction", "VOILUTSequence")


def _frame_view(ds: Any, frame: int) -> Any:
    """``ds`` itself for a classic file; for an enhanced multi-frame file, a stand-in holding the
    frame's own rescale (PixelValueTransformationSequence) and VOI (FrameVOILUTSequence), per-frame
    groups over shared ones over the top level, with the file's pixel description: what pydicom's
    ``apply_modality_lut``/``apply_voi_lut`` read, which only look at the top level."""
    if not _enhanced(ds):
        return ds
    import copy

    from pydicom.dataset import Dataset

    view = Dataset()
    rescale = functional_item(ds, "PixelValueTransformationSequence", frame)
    voi = functional_item(ds, "FrameVOILUTSequence", frame)
    for keys, source in ((_PIXEL_KEYS, ds), (_RESCALE_KEYS, ds if rescale is None else rescale),
                         (_VOI_KEYS, ds if voi is None else voi)):
        for key in keys:
            if key in source:
                view[key] = copy.deepcopy(source[key])
    if hasattr(ds, "file_meta"):  # an OW LUT is unpacked in the file's byte order
        view.file_meta = ds.file_meta
    view.set_original_encoding(*ds.original_encoding)
    return view


def functional_item(ds: Any, sequence: str, frame: int) -> Any:
    """The first item of functional group macro ``sequence`` for ``frame`` (per-frame groups over
    shared ones), or ``None`` when the file has no such macro (classic DICOM)."""
    for groups, index in (("PerFrameFunctionalGroupsSequence", frame), ("SharedFunctionalGroupsSequence", 0)):
        try:
            return getattr(getattr(ds, groups)[index], sequence)[0]
        except (AttributeError, IndexError, KeyError, TypeError):
            continue
    return None


def _voi_kind(ds: Any) -> str | None:
    """``"lut"``, ``"window"`` or None: what pydicom's ``apply_voi_lut(prefer_lut=True)`` applies."""
    seq = ds.get("VOILUTSequence")
    if seq and seq[0].get("LUTDescriptor") is not None and seq[0].get("LUTData") is not None:
        return "lut"
    if ds.get("WindowCenter") not in (None, "") and ds.get("WindowWidth") not in (None, ""):
        return "window"
    return None


def _lut_indexable(ds: Any) -> Any:
    """``ds``, or for an 8-bit VOI LUT a stand-in whose LUT says 16 bits (the same entries).

    pydicom 3.0's ``apply_voi`` indexes the LUT with an array of the LUT's output type, so with
    8-bit entries every input past 255 wraps (a 4096-entry 12-to-8-bit LUT maps 4000 as 160);
    16-bit indices reach every entry, and the values, at most 255, are unchanged.
    """
    import copy

    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    item = ds.VOILUTSequence[0]
    entries, first, bits = (int(v) for v in item.LUTDescriptor)
    if bits != 8:
        return ds
    stand_in = Dataset()
    stand_in.VOILUTSequence = Sequence([copy.deepcopy(item)])
    stand_in.VOILUTSequence[0].LUTDescriptor = [entries, first, 16]
    if hasattr(ds, "file_meta"):  # an OW LUT is unpacked in the file's byte order
        stand_in.file_meta = ds.file_meta
    stand_in.set_original_encoding(*ds.original_encoding)
    return stand_in


def _voi_fields(ds: Any, kind: str | None) -> str:
    """The VOI fields of ``ds`` for an error message, each value quoted: the server withholds
    quoted DICOM header values from its answers (``serving.uploads``), as any may hold PHI."""
    if kind == "lut":
        return f"VOILUTSequence LUTDescriptor '{list(ds.VOILUTSequence[0].LUTDescriptor)}'"
    function = ds.get("VOILUTFunction") or "LINEAR"
    return (f"WindowCenter '{ds.get('WindowCenter')}', WindowWidth '{ds.get('WindowWidth')}', "
            f"VOILUTFunction '{function}'")


def invert_monochrome1(arr: np.ndarray, ds: Any) -> np.ndarray:
    """MONOCHROME1 -> MONOCHROME2 with one constant for the file: the lowest plus the highest
    storable value (from BitsStored and PixelRepresentation), minus the stored value."""
    if not np.issubdtype(arr.dtype, np.integer):  # float pixel data has no bit depth: the file's range
        return (np.max(arr) + np.min(arr)) - arr
    bits = _bits_stored(ds, arr)
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if arr.dtype.kind == "i" else (0, 2**bits - 1)
    out = (lo + hi) - np.clip(arr.astype(np.int64), lo, hi)
    return out.astype(arr.dtype)


def _bits_stored(ds: Any, arr: np.ndarray) -> int:
    bits = int(ds.get("BitsStored", 0) or ds.get("BitsAllocated", 0) or 0)
    return bits if 0 < bits <= arr.dtype.itemsize * 8 else arr.dtype.itemsize * 8


def stored_max(ds: Any) -> float:
    """Largest storable raw value of ``ds`` (BitsStored; signed when PixelRepresentation is 1)."""
    bits = int(ds.get("BitsStored", 0) or ds.get("BitsAllocated", 16) or 16)
    return float(2 ** (bits - 1) - 1 if int(ds.get("PixelRepresentation", 0) or 0) == 1 else 2**bits - 1)
