"""Digests of a segmentation case's decoded voxels, so a training case is known again under any file.

A file's SHA-256 changes when a case is re-saved (another NIfTI header or compression, a DICOM
series exported again, a PNG re-encoded); its decoded voxels do not. Training records
:func:`voxel_digest` of each train and val case next to the file digests (``data.json``, then the
bundle's ``training.cases``), computed in the pass that preprocesses them (:class:`DigestingReader`:
no second decode); ``evaluation.seg_seen_voxels`` matches the cases an evaluation decodes.

"The same image" means: the same shape (channels first, in the reading orientation of the bundle,
RAS+ for volumes) and the same numeric values, whatever dtype stores them. An ``int16`` volume
re-saved as ``float32`` holding the same integers, or a ``uint8`` PNG re-saved as 16-bit with the
same values, has the same digest. Header fields (spacing, affine translation, descriptions,
compression) are not part of it. A copy whose values changed (lossy JPEG, resampling, rescaled
intensities, a grey image saved as RGB) is another image; so is one whose header was edited to
another orientation without moving its voxels (its anatomy reads flipped).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

CHUNK = 1 << 20  # values per hashed chunk: bounds the memory of the canonical copy
_TAG = b"meddx-voxels-1"
_INT_WIDTHS = ((np.int16, b"i2"), (np.int32, b"i4"), (np.int64, b"i8"))


def voxel_digest(array: np.ndarray) -> str:
    """SHA-256 (hex) of ``array``'s shape and values, independent of the dtype storing them.

    The C-order values are hashed in chunks of :data:`CHUNK`; each chunk as little-endian
    integers of the narrowest of 16/32/64 bits holding its values when they are all whole numbers,
    else as float32 when float32 holds them exactly, else float64. Each choice is a function of
    the chunk's values alone, so equal values give equal digests from any dtype.
    """
    values = np.asarray(array)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"voxel_digest: expected a real-valued array; got dtype {values.dtype}")
    digest = hashlib.sha256(_TAG + repr(tuple(int(s) for s in values.shape)).encode())
    flat = np.ascontiguousarray(values).reshape(-1)
    for start in range(0, flat.size, CHUNK):
        tag, data = _canonical(flat[start:start + CHUNK])
        digest.update(tag)
        digest.update(data)
    return digest.hexdigest()


def _canonical(chunk: np.ndarray) -> tuple[bytes, bytes]:
    """The tag and little-endian bytes one chunk is hashed as (see :func:`voxel_digest`)."""
    if chunk.dtype.kind == "f" and not np.array_equal(chunk, np.trunc(chunk)):
        narrow = chunk.astype("<f4")
        if chunk.dtype.itemsize <= 4 or np.array_equal(narrow, chunk):  # float16/32 values: float32 holds them
            return b"f4", (narrow + np.float32(0)).tobytes()  # + 0: -0.0 and 0.0 hash alike
        return b"f8", (chunk.astype("<f8") + 0.0).tobytes()
    if chunk.dtype.kind == "f" and chunk.size and float(np.abs(chunk).max()) >= 2.0 ** 62:
        return b"f8", (chunk.astype("<f8") + 0.0).tobytes()  # whole, but beyond what int64 holds exactly
    low, high = (int(chunk.min()), int(chunk.max())) if chunk.size else (0, 0)
    for dtype, tag in _INT_WIDTHS:
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return tag, chunk.astype(np.dtype(dtype).newbyteorder("<")).tobytes()
    return b"i8", chunk.astype("<i8").tobytes()  # uint64 beyond int64: wraps, deterministically


class DigestingReader:
    """A segmentation source whose ``load_case`` also records each decoded case's
    :func:`voxel_digest`, so training digests its train and val cases in the pass that
    preprocesses them; everything else is the source's own."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self._digests: dict[str, dict[int, str]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.source, name)

    def load_case(self, split: str, index: int) -> Any:
        case = self.source.load_case(split, index)
        self._digests.setdefault(split, {})[index] = voxel_digest(case.image)
        return case

    def digests(self) -> dict[str, list[str]]:
        """``split -> [digest per case, in order]`` for each split whose every case was decoded."""
        return {split: [found[i] for i in range(len(self.source.split(split)))]
                for split, found in self._digests.items() if len(found) == len(self.source.split(split))}
