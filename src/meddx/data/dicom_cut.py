"""Whether a DICOM file was cut off (an interrupted copy or download), and where.

pydicom reads a file that stops inside its header without a word: the elements before the cut
come back, the last one short or missing, and no pixel data. meddx then called the file "DICOM
without pixel data", and the user went looking for a dose report instead of a broken copy. Here
the file's elements are walked with pydicom's own element reader (values not read, only their
declared lengths) and compared with the file's size: an element that runs past the end, or bytes
left over that do not make a whole element header, mean the file was cut. Only files read
without pixel data, or whose pixels fail to decode, are walked: a whole image never pays for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meddx.core.errors import DataError

_PREAMBLE = 128
_META_LENGTH = b"\x02\x00\x00\x00UL\x04\x00"  # (0002,0000) UL, 4 bytes: the file meta's group length


def cut_reason(path: str | Path) -> str | None:
    """``"truncated: N bytes, the header ends mid-element ..."`` when the file at ``path`` ends
    inside an element of its file meta, its header or its pixel data, or right after its file
    meta; ``None`` when the file is whole as far as its bytes tell."""
    data = Path(path).read_bytes()
    size = len(data)
    at = _PREAMBLE + 4 if data[_PREAMBLE:_PREAMBLE + 4] == b"DICM" else 0
    start, explicit, little = at, True, True
    if at or data.startswith(_META_LENGTH):  # file meta (explicit VR little endian), then the dataset
        meta_end = _meta_end(data, at)
        if meta_end is None or meta_end > size:
            return _said(size, "file meta", meta_end)
        start, (explicit, little) = meta_end, _syntax(data, meta_end)
        if explicit is None:  # deflated or unknown transfer syntax: the bytes cannot be walked
            return None
    elif size >= 6:  # no file meta: explicit VR when two capitals follow the first tag
        explicit = data[4:6].isalpha() and data[4:6].isupper()
    end, last, broke = _walk(data, start, bool(explicit), little)
    if last is None and not broke and at and end == size:
        return f"truncated: {size} bytes, the file ends after its file meta"
    if broke or end != size:  # bytes left that make no whole element header, or a value past the end
        return _said(size, "pixel data" if last == 0x7FE00010 else "header", end if end > size else None)
    return None


def check_not_cut(path: str | Path, ds: Any) -> None:
    """Refuse the file ``ds`` was read from, without pixel data, as cut off when it is (see
    :func:`cut_reason`); it was called a DICOM without pixel data, and the user looked for a dose
    report rather than a broken copy. A header that describes an image (Rows, Columns) and ends
    exactly at an element's end is cut just before the pixels, or written without them: the
    message says both. A file with pixel data passes unread (decoding finds a cut inside them)."""
    if any(tag in ds for tag in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        return
    reason = cut_reason(path)
    if reason:
        raise cut_error(path, reason)
    from meddx.data.dicom import is_image_sop

    if "Rows" in ds and "Columns" in ds and is_image_sop(ds.get("SOPClassUID")):
        modality = ds.get("Modality", "unknown")
        raise DataError(f"{path}: cannot decode image (DICOM without pixel data, modality {modality}, although its "
                        f"header describes a {ds.Rows}x{ds.Columns} image: cut off just before its "
                        f"pixels at {Path(path).stat().st_size} bytes, or exported without them); expected a whole "
                        "DICOM file: copy or export it again")


def cut_error(path: str | Path, reason: str) -> DataError:
    """The one-line error for a file :func:`cut_reason` found cut, naming it and what to do."""
    return DataError(f"{path}: cannot decode image ({reason}, as by an interrupted copy or download); expected a "
                     "whole DICOM file: copy or export it again")


def _said(size: int, part: str, declared: int | None) -> str:
    runs = f", its last element declared to run to byte {declared}" if declared else ""
    return f"truncated: {size} bytes, the {part} ends mid-element{runs}"


def _meta_end(data: bytes, at: int) -> int | None:
    """Where the file meta starting at ``at`` ends by its group length (0002,0000), which opens it."""
    if len(data) < at + 12 or not data[at:].startswith(_META_LENGTH):
        return None
    return at + 12 + int.from_bytes(data[at + 8:at + 12], "little")


def _syntax(data: bytes, meta_end: int) -> tuple[bool | None, bool]:
    """(explicit VR, little endian) of the dataset by the file meta's transfer syntax; explicit ``None``
    for a deflated syntax or one the meta does not give."""
    import io
    import warnings

    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            uid = pydicom.dcmread(io.BytesIO(data[:meta_end]), force=True).file_meta.TransferSyntaxUID
    except Exception:  # noqa: BLE001 - a meta without a transfer syntax: cannot tell
        return None, True
    if uid.is_deflated:
        return None, True
    return (not uid.is_implicit_VR), uid.is_little_endian


def _walk(data: bytes, start: int, explicit: bool, little: bool) -> tuple[int, int | None, bool]:
    """(where the last whole element ends, its tag, whether reading stopped on an error) for the
    elements from ``start``; values are skipped by their declared lengths, not read."""
    import io
    import warnings

    from pydicom.filereader import data_element_generator

    fp = io.BytesIO(data)
    fp.seek(start)
    end, last = start, None
    try:
        with warnings.catch_warnings():  # a sequence cut before its delimiter warns: it is what we look for
            warnings.simplefilter("ignore")
            for elem in data_element_generator(fp, not explicit, little, defer_size=64):
                last = int(elem.tag)
                # by the declared length (a short read stops at the file's end); a sequence of undefined
                # length is read through, to its delimiter
                told = getattr(elem, "value_tell", None)
                end = fp.tell() if told is None or elem.length == 0xFFFFFFFF else told + elem.length
    except Exception:  # noqa: BLE001 - a header cut inside a tag or length field
        return end, last, True
    return end, last, False
