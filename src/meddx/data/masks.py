"""Read and write segmentation masks as integer label maps in the image's own array layout.

A mask is ``(*spatial)`` int64: 0 background, 1..K-1 classes, in the same axis order as
:func:`meddx.data.io.read_image` gives the image (``(H, W)``, or ``(z, y, x)`` for NIfTI), so
``image[0]`` and ``mask`` line up voxel for voxel. Readers normalise what annotation tools
write: 8-bit PNG masks saved as {0, 255} become {0, 1}, RGB masks with three equal channels
become one channel, and DICOM-SEG files are stacked into a label map
(:mod:`meddx.data.seg_dicom`). Writing goes back to the reference image's format and geometry
so a predicted mask opens on top of its image in any viewer.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from meddx.core.errors import DataError
from meddx.data.io import image_suffix

_MASK_HINT = "expected an integer label map (0 background, 1..K-1 classes)"
# Largest difference between an image's and its mask's affine entries (mm) still taken as one grid:
# float32 headers written by different tools differ by ~1e-5, a misregistered mask by whole voxels.
AFFINE_TOLERANCE = 1e-3


@dataclass
class MaskData:
    """A decoded mask with what the file says about it.

    ``affine`` is the NIfTI affine (None otherwise); ``names`` the DICOM-SEG segment labels
    (segment 1 first; None for other formats).
    """

    array: np.ndarray
    spacing: tuple[float, ...] | None
    affine: np.ndarray | None
    names: list[str] | None
    path: str


def read_mask(path: str | Path) -> np.ndarray:
    """``(*spatial)`` int64 label map of the mask file (or DICOM-SEG) at ``path``.

    PNG/JPEG/BMP/TIFF masks holding only {0, 255} become {0, 1}; RGB masks must have three
    equal channels. Raises ``DataError`` naming the file for colour masks, several channels,
    negative or fractional values, and anything :func:`~meddx.data.io.read_image` cannot decode.
    """
    return load_mask(path).array


def load_mask(path: str | Path, reference: str | Path | None = None) -> MaskData:
    """Like :func:`read_mask`, with spacing, affine and segment names.

    ``reference`` (the image the mask belongs to) only matters for a DICOM-SEG over a DICOM
    series folder: the SEG frames are then placed on that series' slices, and turned as that
    series is when it is read (``meddx.data.orientation``). NIfTI masks are turned by their own
    affine, as images are.
    """
    from meddx.data.io import detect_kind, read_image
    from meddx.data.seg_dicom import is_dicom_seg, read_dicom_seg

    p = Path(path)
    if p.is_file() and detect_kind(p) == "dicom" and is_dicom_seg(p):
        seg = read_dicom_seg(p, reference)
        labels, spacing = seg.labels, seg.spacing
        change = read_image(reference).reoriented if reference is not None and labels.ndim == 3 else None
        if change is not None and tuple(labels.shape[::-1]) == change.stored_shape[:3]:
            from meddx.data.orientation import reoriented_spacing, to_reoriented

            labels, spacing = to_reoriented(labels, change), reoriented_spacing(spacing, change)
        return MaskData(labels, spacing, None, seg.names, str(p))
    loaded = read_image(p)
    arr = loaded.array
    if arr.shape[0] == 3 and arr.ndim >= 3:
        if not (np.array_equal(arr[0], arr[1]) and np.array_equal(arr[0], arr[2])):
            raise DataError(f"{p}: colour mask (RGB channels differ); {_MASK_HINT}: save one grey channel "
                            "whose value is the class index")
        arr = arr[:1]
    if arr.shape[0] != 1:
        raise DataError(f"{p}: mask has {arr.shape[0]} channels (shape {tuple(arr.shape[1:])} each); {_MASK_HINT} "
                        "with one channel")
    arr = arr[0]
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.round(arr)):
            raise DataError(f"{p}: mask holds fractional or non-finite values; {_MASK_HINT}")
    elif arr.dtype.kind not in "iub":
        raise DataError(f"{p}: mask dtype {arr.dtype} is not numeric; {_MASK_HINT}")
    if arr.size and float(arr.min()) < 0:
        raise DataError(f"{p}: mask holds negative values (min {arr.min()}); {_MASK_HINT}")
    labels = arr.astype(np.int64)
    if detect_kind(p) == "pil" and labels.size and labels.max() == 255 and not np.any((labels > 0) & (labels < 255)):
        labels = labels // 255  # an 8-bit binary mask saved as {0, 255}
    return MaskData(np.ascontiguousarray(labels), loaded.spacing, loaded.affine, None, str(p))


def check_mask_affine(image_affine: np.ndarray | None, mask_affine: np.ndarray | None, image_path: str,
                      mask_path: str) -> None:
    """``DataError`` when a mask's affine (both as read, in the same orientation) places its voxels
    elsewhere than its image's: the labels would be learned and scored on the wrong voxels. A mask
    with no affine (PNG, DICOM-SEG placed on its series) has nothing to compare."""
    if image_affine is None or mask_affine is None:
        return
    diff = float(np.max(np.abs(np.asarray(image_affine) - np.asarray(mask_affine))))
    if diff > AFFINE_TOLERANCE:
        raise DataError(f"{mask_path}: mask affine differs from image {image_path} by up to {diff:.4g} mm; expected "
                        "the image's voxel grid: resample the mask onto the image (or, if the voxels already line "
                        "up, copy the image's header to the mask); meddx data verify lists every such pair")


def write_mask(path: str | Path, mask: np.ndarray, reference: str | Path) -> Path:
    """Write ``mask`` in the format and geometry of the image ``reference``; return the path.

    ``mask`` has the spatial shape of ``read_image(reference).array[0]``, in the orientation
    reads use now (``meddx.data.orientation``); it is written in the reference file's own voxel
    order and geometry, so it overlays the reference in a viewer whatever orientation it was stored in.

    - NIfTI reference: NIfTI with the reference file's affine, qform/sform codes and zooms, the
      array transposed back to the file's (x, y, z) order, uint8 labels (uint16 above 255);
      the name ends in ``.nii.gz`` unless ``path`` ends in ``.nii``.
    - PNG/JPEG/BMP/TIFF reference: PNG of the same width and height holding label values
      (uint8; 16-bit above 255), name ending in ``.png``.
    - DICOM file or series folder reference: NIfTI (``.nii.gz``) with an affine built from the
      DICOM geometry (orientation, first-slice position, spacing; LPS turned into RAS). No
      DICOM-SEG is written.

    The file is written to a temporary name beside ``path`` and renamed over it, so a reader
    never sees half a mask. Raises ``DataError`` for a shape that does not match the reference
    or values that are not non-negative integers.
    """
    return write_like(path, _check_labels(np.asarray(mask), Path(path)), reference, "mask")


def write_like(path: str | Path, values: np.ndarray, reference: str | Path, what: str = "map") -> Path:
    """Write ``values`` (``(*spatial)`` of ``read_image(reference).array[0]``, in the orientation reads
    use now) in the geometry of the image ``reference``, as :func:`write_mask` describes; its dtype is
    kept (labels: uint8/uint16; an attribution map: float32). ``what`` names the array in errors."""
    from meddx.data.io import detect_kind, read_image

    ref = Path(reference)
    labels = values
    ref_image = read_image(ref)
    expected = tuple(ref_image.array.shape[1:])
    if tuple(labels.shape) != expected:
        raise DataError(f"{path}: {what} shape {tuple(labels.shape)} does not match reference {ref} "
                        f"(spatial shape {expected}); expected a {what} the size of its image")
    if ref_image.reoriented is not None:
        from meddx.data.orientation import to_stored

        labels = to_stored(labels, ref_image.reoriented)
    kind = "dicom" if ref.is_dir() else detect_kind(ref)
    if kind == "pil":
        if labels.ndim != 2:
            raise DataError(f"{path}: reference {ref} is a multi-page image; only 2D PNG {what}s are written")
        return _atomic(_with_suffix(Path(path), ".png"), lambda tmp: _write_png(tmp, labels))
    out = Path(path)
    if image_suffix(out) not in (".nii", ".nii.gz"):
        out = _with_suffix(out, ".nii.gz")
    if kind == "nifti":
        return _atomic(out, lambda tmp: _write_nifti_like(tmp, labels, ref))
    from meddx.data.seg_dicom import dicom_affine

    affine = dicom_affine(ref)
    spacing = ref_image.spacing if ref_image.reoriented is None else None  # None: zooms from the stored affine
    return _atomic(out, lambda tmp: _write_nifti(tmp, labels, affine, spacing))


# ------------------------------------------------------------------------------ writers
def _check_labels(mask: np.ndarray, path: Path) -> np.ndarray:
    if mask.dtype.kind == "f" and not np.array_equal(mask, np.round(mask)):
        raise DataError(f"{path}: mask holds fractional values; {_MASK_HINT} (threshold or argmax first)")
    if mask.dtype.kind not in "iufb":
        raise DataError(f"{path}: mask dtype {mask.dtype} is not numeric; {_MASK_HINT}")
    if mask.size and float(mask.min()) < 0:
        raise DataError(f"{path}: mask holds negative values; {_MASK_HINT}")
    if mask.size and float(mask.max()) > 65535:
        raise DataError(f"{path}: mask value {mask.max()} exceeds 65535; {_MASK_HINT}")
    return mask.astype(np.uint8 if not mask.size or mask.max() <= 255 else np.uint16)


def _to_nifti_order(labels: np.ndarray) -> np.ndarray:
    """read_image gives (y, x) or (z, y, x) for NIfTI; the file stores (x, y[, z])."""
    return np.ascontiguousarray(labels.T if labels.ndim == 2 else labels.transpose(2, 1, 0))


def _write_nifti_like(tmp: Path, labels: np.ndarray, ref: Path) -> None:
    import nibabel as nib

    from meddx.data.io import _load_nifti

    ref_img = _load_nifti(ref)  # by content: a gzipped file named .nii reads, as read_image reads it
    data = _to_nifti_order(labels)
    header = ref_img.header.copy()
    header.set_data_dtype(data.dtype)
    cls = nib.Nifti2Image if isinstance(ref_img, nib.Nifti2Image) else nib.Nifti1Image
    img = cls(data, ref_img.affine, header=header)
    img.header.set_zooms(ref_img.header.get_zooms()[: data.ndim])
    qform, qcode = ref_img.header.get_qform(coded=True)
    sform, scode = ref_img.header.get_sform(coded=True)
    img.set_qform(qform if qform is not None else ref_img.affine, code=int(qcode or 0))
    img.set_sform(sform if sform is not None else ref_img.affine, code=int(scode or 0))
    img.header.set_slope_inter(1.0, 0.0)
    low = min(0, labels.min()) if labels.size else 0  # a signed map's negative evidence stays in the window
    img.header["cal_min"], img.header["cal_max"] = low, labels.max() if labels.size else 0
    nib.save(img, str(tmp))


def _write_nifti(tmp: Path, labels: np.ndarray, affine: np.ndarray, spacing: tuple[float, ...] | None) -> None:
    import nibabel as nib

    data = _to_nifti_order(labels)
    img = nib.Nifti1Image(data, affine)
    if spacing is not None and len(spacing) == data.ndim:
        img.header.set_zooms(tuple(reversed(spacing)))
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    nib.save(img, str(tmp))


def _write_png(tmp: Path, labels: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(labels).save(tmp, format="PNG")


def _with_suffix(path: Path, suffix: str) -> Path:
    current = image_suffix(path)
    stem = path.name[: -len(current)] if current and path.name.lower().endswith(current) else path.name
    return path.with_name(stem + suffix)


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(tmp)`` on a temporary file beside ``path`` (same suffix, so writers pick the
    format from it), then rename it over ``path``; the temporary file never survives."""
    suffix = image_suffix(path) or path.suffix
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise DataError(f"{path}: cannot write mask ({exc}); expected a writable folder") from None
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise DataError(f"{path}: cannot write mask ({exc}); expected a writable folder") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
