"""Integrity and leakage checks for a labelled source, before any training.

``verify_source`` decodes every sample once and reports:

- undecodable files (path and reason);
- exact duplicates: SHA-256 of the file bytes (path sources) or of the array bytes with dtype
  and shape (array sources), grouped, within and across splits;
- near duplicates: perceptual hash (``imagehash.phash``) of each distinct content, 2D images
  directly and 3D volumes by their middle slice along each axis; pairs within ``max_distance``
  bits are found by pigeonhole banding (split the hash into ``max_distance + 1`` bands, compare
  only items sharing a band exactly), not by comparing all pairs, then confirmed by the
  correlation of 32x32 thumbnails (``min_correlation``), since hashes of 28 px images or sparse
  masks collide for images that are only alike;
- flipped and rotated copies of 2D images (:mod:`meddx.data.verify_dihedral`): a sample that is
  another's mirror image or right-angle rotation, and not already its exact or near copy;
- duplicate groups whose members carry different labels;
- patients on more than one split.

A duplicate group (exact, near, flipped/rotated) or patient on two splits is leakage: the test
score would partly measure memorisation. The report is a dataclass with a JSON-serialisable ``to_dict()``.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from meddx.core.errors import DataError
from meddx.core.files import file_digest
from meddx.data.base import ImageSource, is_text_source
from meddx.data.splits import check_patient_overlap
from meddx.data.verify_pairs import _near_components  # tests import it from here too
from meddx.data.verify_summary import (  # noqa: F401  (re-exported: text, table and series verify use them)
    _cross_split_samples, _group, _Item, _summary, conflict_entries, exact_groups,
)

SEARCH_VERSION = 2
"""Version of the duplicate search behind a report's findings (``settings.search_version``): 2 added
flipped/rotated copies; a report without it (version 1) never looked for them."""
_THUMB = 32  # thumbnail side for confirming near duplicates (the size phash itself looks at)


@dataclass
class VerifyReport:
    """What ``verify_source`` found; ``to_dict()`` is the JSON report."""

    source: dict
    settings: dict
    summary: dict
    undecodable: list[dict] = field(default_factory=list)
    exact_duplicates: list[dict] = field(default_factory=list)
    near_duplicates: list[dict] = field(default_factory=list)
    flipped_rotated_copies: list[dict] = field(default_factory=list)
    conflicting_labels: list[dict] = field(default_factory=list)
    patient_overlap: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def has_leakage(self) -> bool:
        """True when a duplicate group (exact, near, flipped/rotated) or a patient spans two splits."""
        return (
            any(g["cross_split"] for g in self.exact_duplicates)
            or any(g["cross_split"] for g in self.near_duplicates)
            or any(g["cross_split"] for g in self.flipped_rotated_copies)
            or bool(self.patient_overlap)
        )

    def to_dict(self) -> dict:
        """The whole report as plain JSON types, ``summary.has_leakage`` included."""
        out = asdict(self)
        out["summary"]["has_leakage"] = self.has_leakage
        return out


def verify_source(
    source: ImageSource,
    *,
    near_duplicates: bool = True,
    hash_size: int = 8,
    max_distance: int | None = None,
    min_correlation: float = 0.98,
    flips_rotations: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Check ``source`` for undecodable files, duplicates, label conflicts and leakage.

    ``max_distance`` is the largest Hamming distance between perceptual hashes counted as a
    near duplicate; by default 2 bits per 64 (so 2 for 2D with ``hash_size=8``, 6 for 3D,
    whose hash joins three slices). A candidate pair also needs a thumbnail correlation of at
    least ``min_correlation`` (re-encoded, resized or +1-brightness copies score > 0.999;
    neighbouring MRI slices about 0.95). ``flips_rotations`` also searches 2D images for flipped and
    rotated copies (same distance and correlation, :mod:`meddx.data.verify_dihedral`; only with
    ``near_duplicates``). ``progress(done, total)`` is called as samples are read.
    A text source goes to :func:`meddx.data.text_verify.verify_text_source` (the same report).
    """
    if getattr(source, "modality", None) == "tabular":  # rows: exact duplicates of feature values
        from meddx.data.tabular_info import verify_table_source

        return verify_table_source(source, progress=progress)  # type: ignore[arg-type]
    if getattr(source, "modality", None) == "series":  # stays: duplicate records, patients across splits
        from meddx.data.series_info import verify_series_source

        return verify_series_source(source, progress=progress)  # type: ignore[arg-type]
    if is_text_source(source):
        from meddx.data.text_verify import verify_text_source

        return verify_text_source(source, near_duplicates=near_duplicates, progress=progress)  # type: ignore[arg-type]
    start = time.perf_counter()
    items: list[_Item] = []
    undecodable: list[dict] = []
    prints: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    total = sum(len(d) for d in source.splits.values())
    for split, data in source.splits.items():
        for i in range(len(data)):
            item = _Item(split, data.ids[i], data.paths[i] if data.paths else None, _label(source, data.labels[i]))
            if near_duplicates:  # a file carving fingerprinted in this process is not decoded again
                fingerprint = read_fingerprint(source, split, i, item, undecodable, hash_size)
                if fingerprint is not None and item.digest and item.digest not in prints:
                    prints[item.digest] = fingerprint
            else:
                _read_item(source, split, i, item, undecodable)
            items.append(item)
            if progress is not None:
                progress(len(items), total)

    by_digest, exact = exact_groups(items)
    notes: list[str] = []
    near: list[dict] = []
    turned: list[dict] = []
    if near_duplicates and prints:
        found, limit = near_duplicate_members(prints, by_digest, max_distance, min_correlation)
        near = [_group(items, members, max_distance=dist) for members, dist in found]
        if flips_rotations:
            turned = flipped_rotated_groups(items, prints, by_digest, [m for m, _ in found], max_distance,
                                            min_correlation)
        if source.spatial_dims == 3:
            notes.append("3D near duplicates compare the middle slice along each axis (3 perceptual hashes)"
                         + ("; flipped/rotated copies are searched among 2D images only" if flips_rotations else ""))
    else:
        limit = max_distance
        notes.append("near-duplicate search skipped")

    conflicts = conflict_entries(exact, near)
    overlap = check_patient_overlap(source)
    summary = _summary(source, items, undecodable, exact, near, overlap, turned=turned)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    return VerifyReport(
        source={"name": source.name, "origin": source.origin, "task": source.task,
                "label_names": list(source.label_names), "spatial_dims": source.spatial_dims},
        settings={"near_duplicates": near_duplicates, "hash_size": hash_size, "max_distance": limit,
                  "min_correlation": min_correlation, "flips_rotations": bool(near_duplicates and flips_rotations),
                  "search_version": SEARCH_VERSION},
        summary=summary, undecodable=undecodable, exact_duplicates=exact, near_duplicates=near,
        flipped_rotated_copies=turned, conflicting_labels=conflicts, patient_overlap=overlap,
        notes=[*source.notes, *notes],
    )


# ------------------------------------------------------------------------------ reading
def flipped_rotated_groups(items: list[_Item], prints: dict[str, tuple[np.ndarray, np.ndarray]],
                           by_digest: dict[str, list[int]], near_groups: list[list[int]], max_distance: int | None,
                           min_correlation: float) -> list[dict]:
    """The report's ``flipped_rotated_copies``: groups (``_group``) of samples that are flipped or
    rotated copies of each other, each member with its ``transform`` relative to the first one."""
    from meddx.data.verify_dihedral import flipped_rotated_members

    groups = []
    for members, turns, dist in flipped_rotated_members(prints, by_digest, near_groups, max_distance,
                                                        min_correlation):
        group = _group(items, members, kind="flipped/rotated copy", max_distance=dist)
        for k, member in zip(members, group["members"]):
            member["transform"] = turns[k]
        group["transforms"] = sorted(set(turns.values()) - {"as is"})
        groups.append(group)
    return groups


def near_duplicate_members(prints: dict[str, tuple[np.ndarray, np.ndarray]], by_digest: dict[str, list[int]],
                           max_distance: int | None, min_correlation: float) -> tuple[list[tuple[list[int], int]], int]:
    """Groups of near-duplicate samples from the fingerprints of each distinct content.

    ``prints`` maps a content digest to its ``_fingerprint`` (hash bits, thumbnail) and
    ``by_digest`` a digest to the sample indices holding that content. Returns each group's
    sorted sample indices with its largest hash distance, and the distance limit used
    (default: 2 bits per 64). Fingerprints are compared only with fingerprints of the same
    length: a source mixing 2D images (one hash) and volumes (three) compares each kind within
    itself, and the limit reported is that of the most common kind.
    """
    by_length: dict[int, list[str]] = defaultdict(list)
    for d, (bits_d, _) in prints.items():
        by_length[len(bits_d)].append(d)
    groups: list[tuple[list[int], int]] = []
    limits: dict[int, int] = {}
    for nbits, digests in by_length.items():
        bits = np.stack([prints[d][0] for d in digests])
        thumbs = np.stack([prints[d][1] for d in digests])
        limits[nbits] = max_distance if max_distance is not None else round(2 * nbits / 64)
        groups += [(sorted(k for c in component for k in by_digest[digests[c]]), dist)
                   for component, dist in _near_components(bits, limits[nbits], thumbs, min_correlation)]
    main = max(by_length, key=lambda n: len(by_length[n]))
    return groups, limits[main]


def _read_item(source: ImageSource, split: str, i: int, item: _Item, undecodable: list[dict]) -> np.ndarray | None:
    """Set ``item.digest`` and return the decoded array (None, recorded, when undecodable)."""
    return _decode_item(source, split, i, item, undecodable) if _digest_item(source, split, i, item, undecodable) \
        else None


def read_fingerprint(source: ImageSource, split: str, i: int, item: _Item, undecodable: list[dict],
                     hash_size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Set ``item.digest`` and return the sample's ``_fingerprint`` (None, recorded, when
    undecodable); a sample fingerprinted before in this process with the same content and reading
    is not decoded again (:mod:`meddx.data.fingerprints`: carving, then verify)."""
    from meddx.data.fingerprints import cached_fingerprint, fingerprint_key, keep_fingerprint

    if not _digest_item(source, split, i, item, undecodable):
        return None
    key = fingerprint_key(source, item.path, item.digest, hash_size)
    fingerprint = cached_fingerprint(key)
    if fingerprint is None:
        array = _decode_item(source, split, i, item, undecodable)
        if array is None:
            return None
        fingerprint = _fingerprint(array, hash_size)
        keep_fingerprint(key, fingerprint)
    return fingerprint


def _digest_item(source: ImageSource, split: str, i: int, item: _Item, undecodable: list[dict]) -> bool:
    """Set ``item.digest`` (file bytes, or array bytes with dtype and shape); False, recorded, when
    the file cannot be read."""
    data = source.splits[split]
    if data.images is not None:
        array = np.ascontiguousarray(data.images[i])
        h = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
        h.update(array.tobytes())
        item.digest = h.hexdigest()
        return True
    assert item.path is not None
    try:
        item.digest = file_digest(Path(item.path))
    except OSError as exc:
        undecodable.append({"split": split, "id": item.id, "path": item.path, "reason": f"cannot read ({exc})"})
        return False
    return True


def _decode_item(source: ImageSource, split: str, i: int, item: _Item, undecodable: list[dict]) -> np.ndarray | None:
    """The decoded array of sample ``i`` (None, recorded, when undecodable)."""
    data = source.splits[split]
    if data.images is not None:
        return np.ascontiguousarray(data.images[i])
    try:
        return source.get_image(split, i)
    except DataError as exc:
        undecodable.append({"split": split, "id": item.id, "path": item.path, "reason": str(exc)})
        return None


def _label(source: ImageSource, label: np.ndarray) -> str:
    names = source.label_names
    if np.ndim(label) == 1:
        return "|".join(names[j] for j in np.flatnonzero(label)) or "(none)"
    y = int(label)
    return names[y] if 0 <= y < len(names) else str(y)


# ------------------------------------------------------------------------ perceptual hash
def _fingerprint(array: np.ndarray, hash_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Perceptual-hash bits and a 32x32 grey thumbnail per plane (uint8, flattened).

    2D images give one plane; 3D volumes the middle slice along each axis.
    """
    import imagehash
    from PIL import Image

    if array.ndim == 4:
        _, d, h, w = array.shape
        planes = [array[:, d // 2], array[:, :, h // 2], array[:, :, :, w // 2]]
    else:
        planes = [array]
    bits, thumbs = [], []
    side = hash_size * 4  # what phash shrinks to (its highfreq_factor 4)
    for plane in planes:
        grey = _to_pil(plane).convert("L")
        # One resize of the full image serves both: phash repeats the same grey LANCZOS resize,
        # which on an image already at its size is a copy (same bits, half the work).
        small = grey.resize((side, side), Image.LANCZOS)
        bits.append(imagehash.phash(small, hash_size).hash.ravel())
        thumb = small if side == _THUMB else grey.resize((_THUMB, _THUMB), Image.LANCZOS)
        thumbs.append(np.asarray(thumb, dtype=np.uint8).ravel())
    return np.concatenate(bits), np.concatenate(thumbs)


def _to_pil(plane: np.ndarray):  # type: ignore[no-untyped-def]
    """A (C,H,W) plane as a PIL image: RGB uint8 as is, anything else as 8-bit grey."""
    from PIL import Image

    if plane.shape[0] == 3 and plane.dtype == np.uint8:
        return Image.fromarray(np.ascontiguousarray(plane.transpose(1, 2, 0)))
    grey = plane[0] if plane.shape[0] == 1 else plane.astype(np.float64).mean(axis=0)
    if grey.dtype != np.uint8:
        grey = grey.astype(np.float64)
        lo, hi = float(grey.min()), float(grey.max())
        grey = ((grey - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(grey)).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(grey))
