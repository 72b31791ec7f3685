"""Perceptual fingerprints of decoded samples, kept for the process so a file is decoded once.

Carving a validation split fingerprints every training image to keep near copies together
(:mod:`meddx.data.carve_groups`), and ``meddx train`` then verifies the source at the end
(``evaluation.dataset_summary``: :func:`meddx.data.verify.verify_source`), which fingerprints
every image again; ``evaluate --split val`` re-carves then verifies, and cross-validation carves a
validation split in every fold. Without this cache each of those decodes every image anew (a
2,870-JPEG folder: carving and verify each about 10 s on two cores; a folder of CT volumes:
minutes). Hand-written because the key must hold what the decoded array depends on, which no
generic memoiser (``functools.lru_cache`` keys on arguments) can see:

- the file's path and the SHA-256 of its bytes (``_Item.digest``, which both already compute):
  a file edited between carving and verify is decoded again;
- the source's ``spatial_dims`` (a one-slice volume is 2D in a 2D source, refused in a 3D one);
- the reading context: the voxel orientation (:mod:`meddx.data.orientation`) and whether X-ray
  DICOM goes through its VOI and 16-bit PNGs through sBIT (:mod:`meddx.data.dicom_voi`);
- the hash size.

Only fingerprints of decoded samples are kept (an undecodable file is decoded again, so verify
reports it), at most :data:`MAX_ENTRIES` (about 1 KB each for a 2D image, 3 KB for a volume).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

MAX_ENTRIES = 2**16
"""Fingerprints kept at most (about 70 MB of 2D images); further ones are computed, not kept."""

Fingerprint = tuple[np.ndarray, np.ndarray]

_CACHE: dict[tuple, Fingerprint] = {}
_LOCK = threading.Lock()  # carving fingerprints in a thread pool


def fingerprint_key(source: Any, path: str | None, digest: str | None, hash_size: int) -> tuple | None:
    """The cache key of a sample (see the module docstring); None without a digest."""
    if not digest:
        return None
    from meddx.data.dicom_voi import voi_reading  # the VOI/sBIT reading context
    from meddx.data.orientation import current_orientation

    return (None if path is None else str(path), digest, int(hash_size), int(getattr(source, "spatial_dims", 0)),
            current_orientation(), voi_reading())


def cached_fingerprint(key: tuple | None) -> Fingerprint | None:
    """The fingerprint kept under ``key``, or None."""
    if key is None:
        return None
    with _LOCK:
        return _CACHE.get(key)


def keep_fingerprint(key: tuple | None, fingerprint: Fingerprint) -> None:
    """Keep ``fingerprint`` under ``key`` (while fewer than :data:`MAX_ENTRIES` are kept)."""
    if key is None:
        return
    with _LOCK:
        if key in _CACHE or len(_CACHE) < MAX_ENTRIES:
            _CACHE[key] = fingerprint


def clear_fingerprints() -> None:
    """Forget every kept fingerprint (tests; a long-lived process that wants its memory back)."""
    with _LOCK:
        _CACHE.clear()
