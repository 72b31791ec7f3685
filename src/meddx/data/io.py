"""Decode one medical image file (or one DICOM series folder) into a channel-first array.

Every reader in ``meddx.data`` goes through :func:`read_image`, so PNG/JPEG/BMP/TIFF, DICOM
(single file, multi-frame, series folder) and NIfTI give the same layout: ``(C, H, W)`` for 2D
and ``(C, D, H, W)`` for 3D (a NIfTI file's ``(x, y, z)`` axes become ``(W, H, D)``), the
original dtype kept unless a rescale makes the values fractional (DICOM slope/intercept) or is
present at all (a NIfTI ``scl_slope``/``scl_inter`` other than 1/0: nibabel gives floats).
``spacing`` follows the spatial axes of the array (``(dy, dx)`` or ``(dz, dy, dx)``,
millimetres) when the file records it. Volumes (NIfTI, DICOM series and multi-frame files) are
put in the RAS+ orientation closest to the stored one (:mod:`meddx.data.orientation`), so one
volume stored as RAS, LAS, LPS or with permuted axes reads to one array; ``orientation=None``
keeps the stored voxel order (bundles trained before this). DICOM decoding
lives in :mod:`meddx.data.dicom`; raw DICOM integers stored in fewer bits than their dtype (12 of
16), and 16-bit PNGs whose sBIT chunk says so, carry that depth as ``array.value_max``, which
intensity scaling divides by; so do 16-bit TIFFs whose MaxSampleValue or BitsPerSample tag
says so (8-bit values saved as 16 bits). Pictures with transparent pixels are refused
(:mod:`meddx.data.pil_values`).

The type is detected from the content (magic bytes), with the extension as a fallback, because
medical files are often misnamed or extension-less (``IM0001``). Any failure becomes a
one-line :class:`~meddx.core.errors.DataError` naming the file; no PIL/pydicom traceback
reaches the user.
"""

from __future__ import annotations

import gzip
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, cast

import numpy as np

from meddx.core.errors import DataError
from meddx.data.dicom import read_dicom_file, read_dicom_series, with_bit_depth
from meddx.data.dicom_kind import headerless_dicom
from meddx.data.orientation import Reorientation, current_orientation, reorient
from meddx.data.pil_values import (png_grey16, png_value_max, refuse_transparency, sbit_applies, tiff_depth_applies,
                                  tiff_max_sample, tiff_value_max)

__all__ = ["IMAGE_EXTENSIONS", "LoadedImage", "check_finite", "detect_kind", "image_suffix", "is_image_file",
           "read_dicom_series", "read_image"]

PIL_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
DICOM_EXTENSIONS = frozenset({".dcm", ".dicom"})
NIFTI_EXTENSIONS = frozenset({".nii", ".nii.gz"})
IMAGE_EXTENSIONS = PIL_EXTENSIONS | DICOM_EXTENSIONS | NIFTI_EXTENSIONS
"""File name endings (lower case) that :func:`read_image` accepts."""

ImageKind = Literal["pil", "dicom", "nifti"]
_EXPECTED = "expected PNG/JPEG/DICOM/NIfTI"


@dataclass
class LoadedImage:
    """A decoded image: channel-first ``array``, voxel ``spacing`` (mm) when known, ``path``.

    ``affine`` is the 4x4 voxel-to-world matrix of the array for NIfTI (nibabel's, in (x, y, z)
    order, the array's axes reversed; after reorientation, the reoriented grid's); ``None`` for
    other formats. ``reoriented`` says how a volume was turned from the file's stored order
    (None: it was not), so a mask predicted on the array can be written back in that order.
    ``fourth_axis``: the channels are a 4D NIfTI's 4th axis (time points or modalities such as
    T1/T2/FLAIR), not colours, so they never convert to a bundle's grey or RGB channels.
    """

    array: np.ndarray
    spacing: tuple[float, ...] | None
    path: str
    affine: np.ndarray | None = None
    reoriented: Reorientation | None = None
    fourth_axis: bool = False


def image_suffix(path: str | Path) -> str:
    """Lower-case extension, treating ``.nii.gz`` as one suffix."""
    name = Path(path).name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else Path(name).suffix


def detect_kind(path: str | Path) -> ImageKind | None:
    """Which decoder handles ``path``: magic bytes first, the extension as a fallback.

    Returns ``None`` when neither the content nor the name looks like a supported image.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(544)
    except OSError:
        head = b""
    if head[128:132] == b"DICM":  # first: a DICOM preamble may itself hold a TIFF header
        return "dicom"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"II*\x00", b"MM\x00*")):
        return "pil"
    if _is_nifti_header(head) or (head[:2] == b"\x1f\x8b" and _is_nifti_header(_gunzip_head(path))):
        return "nifti"
    suffix = image_suffix(path)
    if suffix in DICOM_EXTENSIONS:
        return "dicom"
    if headerless_dicom(path, head):  # DICOM without preamble, named IM0001 or, by a viewer's export, scan.png
        return "dicom"
    if suffix in PIL_EXTENSIONS:
        return "pil"
    if suffix in NIFTI_EXTENSIONS:
        return "nifti"
    return None


_OTHER_PICTURES = ((b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
                   (b"\xffO\xffQ", "JPEG 2000"))
_NETPBM = {b"P1": "PBM", b"P4": "PBM", b"P2": "PGM", b"P5": "PGM", b"P3": "PPM", b"P6": "PPM"}
UNREAD_FORMATS = {".gif": "GIF", ".webp": "WebP", ".jp2": "JPEG 2000", ".j2k": "JPEG 2000", ".jpx": "JPEG 2000",
                   ".heic": "HEIC", ".heif": "HEIF", ".avif": "AVIF", ".pgm": "PGM", ".ppm": "PPM", ".pbm": "PBM",
                   ".pnm": "PNM", ".tga": "TGA"}
"""Picture formats found in exports that meddx does not read, by extension, with their names."""


def unread_format(path: str | Path) -> str | None:
    """The name of a picture format meddx does not read (``"GIF"``, ``"WebP"``, ``"HEIC"``...) that
    ``path`` holds, from its first bytes or else its extension; ``None`` for anything else. Phones
    and web exports give GIF, WebP and HEIC: naming the format tells the user what to convert,
    where "unrecognised content" leaves them guessing whether the file is damaged."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        head = b""
    for magic, name in _OTHER_PICTURES:
        if head.startswith(magic):
            return name
    if head[:2] in _NETPBM and re.match(rb"\s+[0-9#]", head[2:]):  # "P5 8 8 255", "P2\n# by GIMP"
        return _NETPBM[head[:2]]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
        return "AVIF" if head[8:12] == b"avif" else "HEIC"
    return UNREAD_FORMATS.get(image_suffix(path))


_DOCUMENT_SUFFIXES = frozenset({".txt", ".csv", ".tsv", ".jsonl", ".json", ".parquet", ".xlsx", ".xls", ".data"})


def _not_an_image(path: Path) -> str:
    """Why ``path``, of no image kind, is not read: a document or table (``note.txt``, ``labs.csv``,
    given to an image bundle's ``predict``) or a NumPy archive (a MedMNIST ``.npz``, a data source)
    is named as such, so the user sees which bundle or verb it belongs to; else "unrecognised"."""
    suffix = image_suffix(path)
    if suffix in _DOCUMENT_SUFFIXES:
        return f"unrecognised as an image: a {suffix} file holds text or a table, which a text or table bundle reads"
    if suffix in (".npz", ".npy"):
        return f"a NumPy {suffix} array file, not an image file: give a MedMNIST .npz as a data source, -d FILE"
    return "unrecognised content and extension"


def _no_type_suffix(suffix: str) -> bool:
    """True for a name whose "extension" says nothing about its type: none (``IM0001``) or digits,
    as in DICOM files named by their SOP instance UID (``1.2.840.113619.2.55.3.1``, suffix ``.1``)."""
    return suffix == "" or suffix[1:].isdigit()


def is_image_file(path: str | Path) -> bool:
    """True for a file :func:`read_image` would try: a known extension, magic bytes when the
    name has no extension or a numeric one (DICOM files are often called ``IM0001`` or by their
    UID, ``1.2.840.113619.2.55.3.1``), and DICOM content whatever the name (Siemens exports
    ``.IMA``, other PACS ``.img`` or ``.dat``); a picture under another extension
    (``scan.png.bak``) stays out, as a backup copy beside its original would double a sample."""
    p = Path(path)
    if p.name.startswith(".") or not p.is_file():
        return False
    suffix = image_suffix(p)
    if suffix in IMAGE_EXTENSIONS:
        return True
    kind = detect_kind(p)
    return kind is not None if _no_type_suffix(suffix) else kind == "dicom"


_CURRENT = object()


def read_image(path: str | Path, orientation: str | None | object = _CURRENT, *,
               on_slice: Callable[[], None] | None = None, headers: Mapping[str, Any] | None = None) -> LoadedImage:
    """Decode ``path`` (an image file or a DICOM series folder) into a :class:`LoadedImage`.

    Volumes come in ``orientation`` (nibabel axis codes; default: ``"RAS"``, or what
    :func:`~meddx.data.orientation.reading_orientation` set); None keeps the stored voxel order.
    Raises ``DataError`` when the path is missing or cannot be decoded, with the reason.
    A series folder only: ``on_slice`` and ``headers`` go to :func:`read_dicom_series` (a check
    called before each slice, which may raise to stop a long read; datasets already parsed).
    """
    wanted = current_orientation() if orientation is _CURRENT else cast("str | None", orientation)
    p = Path(path)
    if p.is_dir():
        return read_dicom_series(p, wanted, on_slice=on_slice, headers=headers)
    if not p.exists():
        if p.is_symlink():  # an unmounted share or a moved export: say where it points
            raise DataError(f"{p}: a symbolic link to {os.readlink(p)}, which does not exist; mount or copy "
                            "what it points to")
        raise DataError(f"{p}: no such file; {_EXPECTED} file or a DICOM series folder")
    if p.stat().st_size == 0:  # an interrupted copy or download: say so, not "cannot identify image file"
        raise DataError(f"{p}: cannot decode image (empty file, 0 bytes); {_EXPECTED}: copy or export it again")
    kind = detect_kind(p)
    if kind is None:
        other = unread_format(p)
        if other:
            raise DataError(f"{p}: cannot decode image (a {other} picture, a format meddx does not read); "
                            f"{_EXPECTED}: convert it to PNG")
        raise DataError(f"{p}: cannot decode image ({_not_an_image(p)}); {_EXPECTED}")
    try:
        if kind == "pil":
            loaded = _read_pil(p)
        elif kind == "dicom":
            loaded = read_dicom_file(p, wanted)
        else:
            loaded = _read_nifti(p, wanted)
    except DataError:
        raise
    except Exception as exc:  # decoder libraries raise many types; keep the reason, drop the trace
        raise DataError(f"{p}: cannot decode image ({_reason(exc)}); {_EXPECTED}") from exc
    loaded.array = _native(loaded.array)
    check_finite(loaded.array, str(p))
    return loaded


def check_finite(array: np.ndarray, where: str) -> None:
    """Refuse NaN or infinite intensities (float NIfTI, npz), naming where: left in, they surface
    later as a diverged loss or an internal probability error that names no file."""
    if np.issubdtype(array.dtype, np.floating):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        if bad:
            raise DataError(f"{where}: {bad} non-finite intensity value(s) (NaN or inf) of {array.size}; expected "
                            "finite values: fill or mask them before training or prediction")


# --------------------------------------------------------------------------------------- PIL
def _read_pil(path: Path) -> LoadedImage:
    from PIL import Image, ImageOps

    try:
        opened = Image.open(path)
    except Image.DecompressionBombError as exc:  # Pillow's guard; its message names no remedy
        raise DataError(f"{path}: cannot decode image ({_reason(exc).split(', could be')[0]}, a guard against "
                        "decompression bombs); expected a smaller picture: downsample it (e.g. ImageMagick "
                        "`magick IN -resize 25% OUT`)") from exc
    with warnings.catch_warnings(), opened as img:
        warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data": harmless, and not one line
        # A JPEG is one picture: a phone's MPO JPEG adds previews (other sizes) as "frames"
        frames = 1 if img.format in ("JPEG", "MPO") else getattr(img, "n_frames", 1)
        max_sample = tiff_max_sample(img)  # the first page's MaxSampleValue/BitsPerSample tags
        arrays = []
        for k in range(frames):
            img.seek(k)
            frame = img.copy()
            frame.load()
            refuse_transparency(frame, path, k if frames > 1 else None)  # alpha would be dropped: refused
            arrays.append(_pil_to_array(ImageOps.exif_transpose(frame) if k == 0 and frames == 1 else frame))
    if len(arrays) == 1:  # a 16-bit PNG of 12-bit values that says so (sBIT) is divided by 4095, a 16-bit
        arr = png_grey16(path, arrays[0])  # TIFF by its MaxSampleValue; neither within the reads of a bundle
        value_max = ((png_value_max(path, arr) if sbit_applies() else None)  # trained before it was read
                     or (tiff_value_max(max_sample, arr) if tiff_depth_applies() else None))
        return LoadedImage(with_bit_depth(arr, value_max), None, str(path))
    shapes = sorted({"x".join(map(str, a.shape)) for a in arrays})
    if len(shapes) > 1:  # a pyramid or a thumbnail page: no volume, and which page is meant is unknown
        raise DataError(f"{path}: {len(arrays)} pages of different sizes ({', '.join(shapes)}); expected one "
                        "picture, or equal-size pages (a volume): save the page meant as its own file")
    return LoadedImage(np.stack(arrays, axis=1), None, str(path))  # (C, D, H, W) multi-page TIFF


def _pil_to_array(img) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Grey modes stay one channel in their own dtype; colour modes become RGB uint8 (an alpha
    channel is dropped: :func:`_read_pil` has refused any pixel it did not keep opaque)."""
    mode = img.mode
    if mode in ("1", "LA"):
        img, mode = img.convert("L"), "L"
    elif mode == "PA":
        img, mode = img.convert("RGB"), "RGB"
    if mode in ("L", "I", "F") or mode.startswith("I;16"):
        return np.ascontiguousarray(np.asarray(img))[None]
    if mode != "RGB":
        img = img.convert("RGB")
    return np.ascontiguousarray(np.asarray(img).transpose(2, 0, 1))


# ------------------------------------------------------------------------------------- NIfTI
def _read_nifti(path: Path, orientation: str | None) -> LoadedImage:
    """NIfTI stores (x, y, z[, t]); return (C, z, y, x) so D/H/W match a DICOM series.

    A volume is first turned to ``orientation`` (None: the voxel order on disk is kept); spacing
    is the header zooms of the returned axes in the same (z, y, x) order. A 4th axis (time or
    modality) becomes the channel axis, and so do the colours of an RGB/RGBA NIfTI. A file named
    against its content (gzipped as ``.nii``, plain as ``.nii.gz``, no extension) is read by its
    content. Complex data is refused.
    """
    img = _load_nifti(path)
    data = np.asanyarray(img.dataobj)
    if np.iscomplexobj(data):
        raise DataError(f"{path}: complex-valued NIfTI ({data.dtype}); expected real intensities: save the "
                        "magnitude (numpy.abs) as the image")
    data, affine, zooms, change = reorient(data, np.asarray(img.affine, dtype=np.float64),
                                           img.header.get_zooms(), orientation)
    zooms = zooms or ()
    fourth_axis = data.dtype.names is None and data.ndim == 4  # time points or modalities, not colours
    if data.dtype.names is not None:  # RGB24 / RGBA32: one structured field per colour
        data = np.stack([np.asarray(data[name]) for name in data.dtype.names], axis=0)  # (C, x, y[, z])
    elif data.ndim == 5 and data.shape[3] == 1:  # NIfTI vector images: (x, y, z, 1, c)
        data = np.moveaxis(data[:, :, :, 0, :], -1, 0)
    elif data.ndim in (2, 3):
        data = data[None]
    elif fourth_axis:  # (x, y, z, t): the 4th axis is the channel axis
        data = np.moveaxis(data, -1, 0)
    if data.ndim not in (3, 4):
        raise DataError(f"{path}: cannot decode image (NIfTI with {img.header['dim'][0]} dimensions); "
                        "expected 2D, 3D or 4D")
    arr = np.ascontiguousarray(data.transpose(0, *range(data.ndim - 1, 0, -1)))  # (C, x, y[, z]) -> (C, [z,] y, x)
    spacing = (zooms[1], zooms[0]) if arr.ndim == 3 else (zooms[2], zooms[1], zooms[0])
    return LoadedImage(arr, spacing, str(path), affine, change, fourth_axis=fourth_axis)


def _load_nifti(path: Path):  # type: ignore[no-untyped-def]
    """``nibabel.load`` for a file named for its content; otherwise the image from the file's
    bytes (gunzipped when gzipped), because nibabel picks the decoder from the name alone."""
    import nibabel as nib

    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    if image_suffix(path) == (".nii.gz" if gzipped else ".nii"):
        return nib.load(str(path))
    raw = path.read_bytes()
    raw = gzip.decompress(raw) if gzipped else raw
    if raw[4:8] == b"n+2\x00":
        return nib.Nifti2Image.from_bytes(raw)
    if raw[344:348] == b"n+1\x00":
        return nib.Nifti1Image.from_bytes(raw)
    return nib.load(str(path))  # a header/image pair (.hdr + .img): nibabel finds the partner file


def _is_nifti_header(head: bytes) -> bool:
    if len(head) >= 348 and head[344:348] in (b"n+1\x00", b"ni1\x00"):
        return True
    return len(head) >= 8 and head[4:8] in (b"n+2\x00", b"ni2\x00")


def _gunzip_head(path: str | Path) -> bytes:
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(544)
    except (OSError, EOFError):
        return b""


def _native(arr: np.ndarray) -> np.ndarray:
    """Native byte order (big-endian DICOM/NIfTI/TIFF data would otherwise leak '>i2' dtypes)."""
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))


def _reason(exc: BaseException) -> str:
    """The first informative line of an exception message, short enough for a one-line error.

    pydicom's decoders write a heading that ends in ':' and each plugin's actual error on the
    lines below ("Unable to decode as exceptions were raised by all available plugins:" /
    "  pillow: cannot identify image file <_io.BytesIO object at 0x...>"): the heading alone says
    nothing, so the first line under it is added. Nothing further is kept (later lines may quote
    header values), and an object's repr (``<... object at 0x...>``) is dropped as noise. A quoted
    value ("could not convert string to float: 'DOE^JOHN'", from a DICOM header) is withheld: a header
    may hold a patient's name or id, and this line reaches the terminal and logs (a tag's ``(gggg,eeee)``
    stays, as the server's upload errors keep it). Python quotes a value holding an apostrophe in double
    quotes (``"O'BRIEN^PAT"``), withheld too; an apostrophe inside a word ("the dataset's") opens no quote.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    text = f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    text = re.sub(r"\s*<[\w.]+ object at 0x[0-9a-fA-F]+>", "", text)
    text = withhold_quoted(text)
    return text if len(text) <= 200 else text[:197] + "..."


_QUOTED = re.compile(r"""(\([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\) '[^']*')|"(?:[^"\\]|\\.)*"|(?<!\w)'(?:[^'\\]|\\.)*'""")
"""A tag and its quoted name (kept), or a quoted value in either quotes (withheld): see :func:`_reason`."""


def withhold_quoted(text: str) -> str:
    """``text`` with every quoted value replaced by ``(value withheld)``, a DICOM tag's quoted name kept
    (:func:`_reason`): the one rule for a message that may quote a header value (a PatientName misfiled
    in a numeric field), for the terminal and for the server's answers alike."""
    return _QUOTED.sub(lambda m: m.group(1) or "(value withheld)", text)
