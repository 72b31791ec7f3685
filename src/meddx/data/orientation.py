"""Put 3D volumes in one canonical voxel orientation (RAS+) when they are read, and back again.

A NIfTI stores its voxels in whatever order the scanner or converter chose (RAS, LAS, LPS,
permuted axes) and says in its affine where each voxel lies; a DICOM series says the same
through ImageOrientationPatient/ImagePositionPatient. Networks see arrays, not affines: two
copies of one volume stored in different orders would be mirror images to them. So every
volume is turned to the orientation closest to RAS+ (along the file-order axes x, y, z an
increasing index moves to the patient's Right, Anterior, Superior), exactly as
``nibabel.as_closest_canonical`` does: the same ``nibabel.orientations`` functions
(``io_orientation``, ``ornt_transform``, ``apply_orientation``, ``inv_ornt_aff``) are used
directly because we also need the transform itself, to put a predicted mask back in the
file's own voxel order, and to reorient DICOM arrays that have no nibabel image. Only axis flips
and permutations happen: no resampling, so values are unchanged and spacing just follows its axis.
(MONAI's ``Orientation`` transform does the same on MetaTensors; nibabel works on plain arrays.)

Single slices (a 2D file, or a volume with one slice) are left in stored order: 2D images are
read in display convention, as PNG and DICOM slices are, and turning a slice to RAS would make
the slice axis a row or column axis.

``orientation`` None means the stored order: bundles trained before reorientation existed have
no ``orientation`` field and keep reading files as they did. :func:`reading_orientation` sets
the orientation for the reads within a block (``evaluate`` with such a bundle); it is a
context variable, so threads and concurrent requests do not see each other's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

CANONICAL = "RAS"
"""The orientation volumes are read in (nibabel axis codes), recorded in new bundles."""

_CURRENT: ContextVar[str | None] = ContextVar("meddx_reading_orientation", default=CANONICAL)
_PAIRS = ({"R", "L"}, {"A", "P"}, {"S", "I"})


@dataclass(frozen=True, eq=False)  # numpy fields: identity comparison only
class Reorientation:
    """How a volume's stored (x, y, z) voxel order became ``orientation``: ``stored`` and
    ``target`` are nibabel orientation arrays ``(3, 2)``; ``stored_shape`` the file's shape."""

    stored: np.ndarray
    target: np.ndarray
    stored_shape: tuple[int, ...]
    orientation: str

    @property
    def identity(self) -> bool:
        return bool(np.array_equal(self.stored, self.target))


def current_orientation() -> str | None:
    """The orientation reads use now: ``CANONICAL`` unless :func:`reading_orientation` says otherwise."""
    return _CURRENT.get()


@contextmanager
def reading_orientation(orientation: str | None) -> Iterator[None]:
    """Within the block, images are read in ``orientation`` (None: the file's stored order)."""
    token = _CURRENT.set(orientation)
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextmanager
def reading_for(predictor: object) -> Iterator[None]:
    """Within the block, files are read as a loaded bundle's training read them: volumes in the
    ``orientation`` it was trained on (the stored order for a bundle without one; text, series,
    table bundles: no volumes), and X-ray DICOM through its VOI only when the bundle says so
    (``data.dicom_voi.bundle_reads_voi``; the later presentation steps up to the level it records
    in ``dicom_presentation``)."""
    from meddx.data.dicom_voi import bundle_reads_presentation, bundle_reads_voi, reading_voi

    config = getattr(predictor, "config", None)
    known = isinstance(config, dict)
    with reading_orientation(getattr(predictor, "orientation", None)), \
            reading_voi(bundle_reads_voi(config) if known else True,
                        bundle_reads_presentation(config) if known else None):
        yield


def valid_orientation(value: object) -> bool:
    """Whether ``value`` is three axis codes naming each of R/L, A/P, S/I once (``"RAS"``, ``"LPS"``)."""
    if not isinstance(value, str) or len(value) != 3:
        return False
    return all(sum(c in pair for c in value) == 1 for pair in _PAIRS)


def reorient(data: np.ndarray, affine: np.ndarray, zooms: Sequence[float] | None,
             orientation: str | None) -> tuple[np.ndarray, np.ndarray, tuple[float, ...] | None, Reorientation | None]:
    """``data`` (file order: x, y, z first, any further axes after) turned to ``orientation``.

    Returns the array, its affine, its zooms (the first three permuted with their axes, the
    rest kept) and the :class:`Reorientation` (None when nothing was done: ``orientation``
    None, a single slice, or an affine whose axes cannot be told apart).
    """
    import nibabel.orientations as nio

    zooms_out = None if zooms is None else tuple(float(z) for z in zooms)
    if orientation is None or data.ndim < 3 or min(data.shape[:3]) < 2:
        return data, affine, zooms_out, None
    stored = nio.io_orientation(np.asarray(affine, dtype=np.float64))
    if np.isnan(stored).any():  # a singular affine (all-zero column): no direction to go by
        return data, affine, zooms_out, None
    target = nio.axcodes2ornt(orientation)
    change = Reorientation(stored, target, tuple(int(n) for n in data.shape), orientation)
    if change.identity:
        return data, affine, zooms_out, change
    transform = nio.ornt_transform(stored, target)
    out = nio.apply_orientation(data, transform)
    new_affine = np.asarray(affine, dtype=np.float64) @ nio.inv_ornt_aff(transform, data.shape[:3])
    if zooms_out is not None and len(zooms_out) >= 3:
        zooms_out = _moved(zooms_out[:3], transform) + zooms_out[3:]
    return out, new_affine, zooms_out, change


def reoriented_spacing(spacing: tuple[float, ...] | None, change: Reorientation | None) -> tuple[float, ...] | None:
    """``(dz, dy, dx)`` spacing of a stored-order volume for its reoriented axes."""
    import nibabel.orientations as nio

    if spacing is None or len(spacing) != 3 or change is None or change.identity:
        return spacing
    return _moved(tuple(spacing[::-1]), nio.ornt_transform(change.stored, change.target))[::-1]


def _moved(xyz: tuple[float, ...], transform: np.ndarray) -> tuple[float, ...]:
    """Per-axis values (zooms) following their axes through the nibabel ``transform``."""
    moved = list(xyz)
    for axis, (new_axis, _) in enumerate(transform):
        moved[int(new_axis)] = xyz[axis]
    return tuple(moved)


def to_stored(spatial: np.ndarray, change: Reorientation | None) -> np.ndarray:
    """A ``(z, y, x)`` array on the reoriented grid (a predicted label map) back on the file's
    own grid, ``(z, y, x)`` in stored order: the inverse of :func:`reorient`."""
    if change is None or change.identity:
        return spatial
    return _zyx(spatial, change.target, change.stored)


def to_reoriented(spatial: np.ndarray, change: Reorientation | None) -> np.ndarray:
    """A ``(z, y, x)`` array in stored order (a DICOM-SEG label map) on the reoriented grid."""
    if change is None or change.identity:
        return spatial
    return _zyx(spatial, change.stored, change.target)


def _zyx(spatial: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    import nibabel.orientations as nio

    xyz = spatial.transpose(2, 1, 0)
    moved = nio.apply_orientation(xyz, nio.ornt_transform(start, end))
    return np.ascontiguousarray(moved.transpose(2, 1, 0))
