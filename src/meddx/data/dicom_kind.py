"""What a file is, by its content: DICOM or not, an image object or not, and how a file written
without file meta was encoded.

PACS and CD exports name files as they like: no extension (``IM0001``), a UID (``1.2.840...1``),
Siemens' ``.IMA``, or a picture's ``.png``/``.jpg`` given by a viewer's "save as". A file is DICOM
when it has the ``DICM`` marker at byte 128, or, without the 128-byte preamble, when a header-only
parse finds a SOP class or image tags (:func:`headerless_dicom`); never because of its name.

A DICOM object that is not an image but carries pixel data (a segmentation's mask frames, an RT dose
grid) decodes without error into something that looks like one; given where an image is expected it
is refused naming the file (:func:`check_image_object`). Folders and series skip such objects instead.

A file written without file meta (no preamble, no group 0002) records no transfer syntax, and pydicom
then cannot decode its pixels; the encoding it was parsed with is the transfer syntax
(:func:`with_transfer_syntax`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from meddx.core.errors import DataError

_GROUP_STARTS = (b"\x02\x00", b"\x08\x00")
"""First two bytes of a preamble-less DICOM file: a group 0002 (file meta) or 0008 tag, little endian."""


def headerless_dicom(path: str | Path, head: bytes) -> bool:
    """Whether a file without the 128-byte preamble is DICOM: it starts with a group 0002/0008 tag
    and a header-only pydicom read finds a SOP class or image-pixel tags. ``head``: the file's
    first bytes (two suffice), so that anything else (README, LICENSE, a PNG) costs no parse."""
    if head[:2] not in _GROUP_STARTS:
        return False
    import pydicom

    try:
        with warnings.catch_warnings():  # a non-DICOM file parsed by force warns about every "tag"
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    except Exception:  # noqa: BLE001 - not DICOM, whatever the parser says
        return False
    return "SOPClassUID" in ds or ("Rows" in ds and "Columns" in ds)


def check_image_object(path: str | Path, ds: Any) -> None:
    """``DataError`` naming ``path`` when ``ds`` holds pixel data but its SOP class is a known one
    that is no image: a segmentation (its frames are a mask), an RT dose grid. Read as an image it
    would be scored or trained on without a word; the user gave the wrong file of a study."""
    from meddx.data.dicom import is_image_sop

    sop = ds.get("SOPClassUID") or getattr(getattr(ds, "file_meta", None), "MediaStorageSOPClassUID", None)
    if is_image_sop(sop):
        return
    name = getattr(sop, "name", str(sop))
    hint = ("a segmentation holds masks: give the image it was drawn on (a SEG is read as a mask by a "
            "segmentation source)" if "Segmentation" in name else "give the image object of the study")
    raise DataError(f"{path}: cannot decode image (a DICOM {name} object, modality {ds.get('Modality', 'unknown')}, "
                    f"not an image); expected PNG/JPEG/DICOM/NIfTI image: {hint}")


def with_transfer_syntax(ds: Any) -> Any:
    """``ds`` with a transfer syntax in its file meta when the file recorded none (written without
    file meta): the encoding pydicom parsed it with (implicit/explicit VR, byte order), which for
    native pixel data is the whole of it. Encapsulated (compressed) pixel data is left alone: its
    codec cannot be guessed, and pydicom's error says the transfer syntax is missing."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    if meta is not None and "TransferSyntaxUID" in meta:
        return ds
    implicit, little = getattr(ds, "original_encoding", (None, None))
    if implicit is None or little is None:
        return ds
    if "PixelData" in ds and ds["PixelData"].is_undefined_length:  # encapsulated: some codec, not the encoding
        return ds
    if meta is None:
        ds.file_meta = meta = FileMetaDataset()
    meta.TransferSyntaxUID = (ImplicitVRLittleEndian if implicit else
                              ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    return ds
