"""What the pixels of a PNG/TIFF/BMP picture mean, beyond what Pillow decodes: transparency, and
the significant bits of a 16-bit greyscale PNG or TIFF.

Transparency: a pixel with alpha below 255 shows a viewer's background (black in a PACS viewer,
white on a web page) instead of its stored colour, and Pillow's ``convert("RGB")``/``("L")``
drops the alpha and keeps that hidden colour (an anonymiser's masked text, a cropped-out
region). Which background the author meant is unknown, so a picture that is not fully opaque is
refused, naming the file and the count; a fully opaque alpha channel (most RGBA exports) is
dropped without loss.

Significant bits: a 12-bit X-ray saved as a 16-bit PNG holds 0..4095. The PNG way to say so is
the ``sBIT`` chunk; when it declares ``n`` bits and no value exceeds ``2**n - 1``, the array
carries ``value_max = 2**n - 1`` (as a 12-bit DICOM does), so ``dtype`` intensity scaling
divides by 4095, not 65535. When values exceed it, the encoder scaled them to 16 bits, as the
PNG specification asks, and 65535 is right. Without ``sBIT`` nothing says which it is: the
picture is divided by 65535 (``auto`` scaling of 16-bit images uses per-image percentiles, which
this does not affect). A 16-bit TIFF says it with MaxSampleValue (tag 281; 255 for 8-bit values in a 16-bit file) or
a BitsPerSample below 16 (tag 258): the same rule applies (:func:`tiff_value_max`). A TIFF with
neither is divided by 65535 even when no value exceeds 255: such values are as likely a dark
16-bit picture as an 8-bit one, so nothing is guessed (``meddx data info`` warns about such files).
A bundle trained before sBIT was read (no ``"dicom_voi": true`` in its
config) keeps dividing by 65535 (:func:`sbit_applies`), so it predicts as it did; one trained before
the TIFF tags were read (``"dicom_presentation"`` below 3) divides such a TIFF by 65535
(:func:`tiff_depth_applies`). Pillow before 10.3 gives a 16-bit greyscale PNG as int32; it is
turned back into uint16, so it is not divided by ``2**31 - 1``.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def refuse_transparency(img: Any, path: str | Path, page: int | None = None) -> None:
    """``DataError`` naming ``path`` when any pixel of ``img`` (a loaded Pillow image) has alpha
    below 255: an alpha band (RGBA, LA, PA) or a ``tRNS`` transparent colour or palette entries."""
    alpha = _alpha(img)
    if alpha is None:
        return
    hidden = int(np.count_nonzero(alpha < 255))
    if hidden:
        where = f" on page {page + 1}" if page is not None else ""
        raise DataError(f"{path}: {hidden} of {alpha.size} pixels{where} are transparent or translucent (alpha below "
                        "255), so a viewer shows its background there while the stored colour would reach the model; "
                        "expected an opaque image: flatten it onto the background you mean (e.g. ImageMagick "
                        "`magick IN -background black -flatten OUT`, or PIL Image.alpha_composite)")


def _alpha(img: Any) -> np.ndarray | None:
    """The alpha of every pixel of ``img`` (0..255), or None when it has no transparency."""
    bands = img.getbands()
    for band in ("A", "a"):
        if band in bands:
            return np.asarray(img.getchannel(band))
    transparency = img.info.get("transparency")
    if transparency is None:
        return None
    if img.mode in ("P", "L", "RGB"):  # tRNS: alpha per palette entry, or one transparent colour
        return np.asarray(img.convert("RGBA").getchannel("A"))
    values = np.asarray(img)  # 16-bit grey with one transparent value
    return np.where(values == transparency, 0, 255).astype(np.uint8)


def png_value_max(path: str | Path, array: np.ndarray) -> float | None:
    """``2**n - 1`` for a 16-bit greyscale PNG whose ``sBIT`` chunk declares ``n < 16`` significant
    bits and whose ``array`` values all fit in them; None otherwise (see the module docstring)."""
    if array.dtype != np.uint16:
        return None
    grey16, bits = png_header(path)
    if not grey16 or bits is None or not 0 < bits < 16:
        return None
    value_max = 2**bits - 1
    return float(value_max) if array.size and int(array.max()) <= value_max else None


def tiff_max_sample(img: Any) -> int | None:
    """The largest value the current page of ``img`` (an open Pillow image) records its samples
    can take: MaxSampleValue (tag 281; the largest over the channels) when present, else
    ``2**BitsPerSample - 1`` (tag 258); None for other formats or without either tag."""
    tags = getattr(img, "tag_v2", None) if getattr(img, "format", None) == "TIFF" else None
    if tags is None:
        return None
    recorded, bits = tags.get(281), tags.get(258)
    try:
        if recorded is not None:
            return int(max(recorded) if isinstance(recorded, tuple) else recorded)
        if bits is not None:
            return 2 ** int(max(bits) if isinstance(bits, tuple) else bits) - 1
    except (TypeError, ValueError):  # a malformed tag says nothing
        return None
    return None


def tiff_value_max(max_sample: int | None, array: np.ndarray) -> float | None:
    """``max_sample`` (:func:`tiff_max_sample`) for a 16-bit ``array`` when it is below 65535 and
    every value fits in it (8-bit values in a 16-bit TIFF with MaxSampleValue 255); None otherwise,
    so scaling divides by 65535 (values above it: the tag is wrong, and the dtype is trusted)."""
    if max_sample is None or array.dtype != np.uint16 or not array.size or not 0 < max_sample < 65535:
        return None
    return float(max_sample) if int(array.max()) <= max_sample else None


def sbit_applies() -> bool:
    """Whether reads now honour ``sBIT`` (:func:`png_value_max`): always, except within the reads of
    a bundle trained before it was read, which divided every 16-bit PNG by 65535. sBIT came in the
    same change as reading X-ray DICOM through its VOI, so the bundle field that marks the one
    (``"dicom_voi": true``) marks the other, and the same reading context carries both
    (``meddx.data.dicom_voi.reading_voi``, set by ``orientation.reading_for``)."""
    from meddx.data.dicom_voi import voi_reading

    return voi_reading()[0]


def tiff_depth_applies() -> bool:
    """Whether reads now honour a 16-bit TIFF's MaxSampleValue/BitsPerSample (:func:`tiff_value_max`):
    always, except within the reads of a bundle whose ``"dicom_presentation"`` level is below
    :data:`~meddx.data.dicom_voi.TIFF_DEPTH_READING` (trained when such a TIFF was divided by 65535,
    which under ``dtype`` scaling gives another input). The level rides in the same reading context
    as the DICOM presentation steps (``orientation.reading_for``)."""
    from meddx.data.dicom_voi import TIFF_DEPTH_READING, voi_reading

    return voi_reading()[1] >= TIFF_DEPTH_READING


def png_grey16(path: str | Path, array: np.ndarray) -> np.ndarray:
    """``array`` as uint16 when Pillow gave a 16-bit greyscale PNG as int32: Pillow before 10.3
    (``pillow>=10`` is allowed) opens it in mode ``I``, and an int32 image would be scaled by
    ``2**31 - 1`` instead of its bit depth."""
    if array.dtype != np.int32 or not array.size or not png_header(path)[0]:
        return array
    return array.astype(np.uint16) if 0 <= int(array.min()) and int(array.max()) <= 65535 else array


def png_header(path: str | Path) -> tuple[bool, int | None]:
    """``(grey16, sbit)``: whether ``path`` is a 16-bit greyscale PNG, and the grey significant
    bits its ``sBIT`` chunk declares (None without one, or for other PNGs and other files).

    Hand-written because Pillow does not read ``sBIT`` (its PNG plugin skips the chunk) and no
    installed library does; a PNG is a signature then length/type/data/CRC chunks, and ``sBIT``
    must come before the first ``IDAT``.
    """
    grey16 = False
    with open(path, "rb") as fh:
        if fh.read(8) != _PNG_SIGNATURE:
            return False, None
        while True:
            head = fh.read(8)
            if len(head) < 8:
                return grey16, None
            length, kind = struct.unpack(">I4s", head)
            data = fh.read(length)
            fh.seek(4, 1)  # CRC
            if kind == b"IHDR" and len(data) >= 10:
                grey16 = data[8] == 16 and data[9] == 0  # bit depth 16, colour type 0 (greyscale)
            elif kind == b"sBIT":
                return grey16, (data[0] if grey16 and data else None)
            elif kind in (b"IDAT", b"IEND"):
                return grey16, None
