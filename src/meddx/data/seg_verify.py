"""Describe (``info``) and check (``verify``) a segmentation source before training.

``seg_source_info`` decodes at most ``max_decode`` cases per split (evenly spread) and reports
shapes and spacings (min/median/max per axis), channels, intensities, the mask values seen, the
voxel fraction of each class and the number of empty masks.

``verify_seg_source`` decodes every case once and reports undecodable images or masks, image/mask
pairs whose shape (or, for NIfTI, affine beyond 1e-3) differs, mask values outside the label
set (each with the message ``meddx train`` would refuse the mask with), empty masks (a warning: an all-background case is legal), exact duplicate images (SHA-256
of the file bytes) and near duplicates (perceptual hash, as :mod:`meddx.data.verify` does) within
and across splits, and patients on two splits. Shared content or patients across splits is
leakage; broken pairs are errors. The report's ``to_dict()`` is the JSON ``meddx data verify``
writes.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from meddx.core.errors import DataError
from meddx.data.masks import AFFINE_TOLERANCE
from meddx.data.segmentation import SegSource, check_mask, fill_outline
from meddx.data.verify import VerifyReport


def seg_source_info(source: SegSource, *, max_decode: int = 200) -> dict:
    """JSON-serialisable summary of ``source`` per split (see the module docstring)."""
    from meddx.data.info import _intensity, _sample_indices

    splits = {}
    for name, data in source.splits.items():
        take = _sample_indices(len(data), max_decode)
        shapes, spacings, channels, dtypes, arrays, failures = [], [], set(), set(), [], []
        voxels: Counter = Counter()
        empty = 0
        for i in take:
            try:
                case = source.load_case(name, int(i))
            except DataError as exc:
                failures.append({"id": data.ids[i], "reason": str(exc)})
                continue
            shapes.append(case.image.shape[1:])
            channels.add(int(case.image.shape[0]))
            dtypes.add(str(case.image.dtype))
            arrays.append(case.image)
            if case.spacing is not None:
                spacings.append(case.spacing)
            if case.mask is not None:
                values, counts = np.unique(case.mask, return_counts=True)
                voxels.update(dict(zip(values.tolist(), counts.tolist())))
                empty += int(not np.any(case.mask))
        total = sum(voxels.values())
        splits[name] = {
            "count": len(data),
            "decoded": len(arrays),
            "sampled": len(take) < len(data),
            "labelled": data.masks is not None,
            "patients": None if data.patient_ids is None else len(set(data.patient_ids)),
            "shape": _spread(shapes),
            "spacing": _spread(spacings),
            "cases_without_spacing": len(arrays) - len(spacings),
            "channels": sorted(channels),
            "dtypes": sorted(dtypes),
            "intensity": _intensity(arrays) if arrays else None,
            "mask_values": sorted(int(v) for v in voxels),
            "class_fraction": {_name(source, v): c / total for v, c in sorted(voxels.items())} if total else {},
            "empty_masks": empty,
            "undecodable": failures,
        }
    return {
        "name": source.name, "origin": source.origin, "task": source.task, "spatial_dims": source.spatial_dims,
        "label_names": list(source.label_names), "num_classes": source.num_classes, "mask_kind": source.mask_kind,
        "total": sum(len(d) for d in source.splits.values()), "splits": splits, "notes": list(source.notes),
    }


@dataclass
class SegVerifyReport(VerifyReport):
    """What ``verify_seg_source`` found: the classification report's findings (leakage is
    defined once, there) plus the pair checks; ``conflicting_labels`` stays empty for masks."""

    mismatches: list[dict] = field(default_factory=list)
    bad_values: list[dict] = field(default_factory=list)
    empty_masks: list[dict] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        """True for undecodable files, mismatched pairs or mask values outside the label set."""
        return bool(self.undecodable or self.mismatches or self.bad_values)

    def to_dict(self) -> dict:
        """The whole report as plain JSON types, ``summary.has_leakage``/``has_errors`` included."""
        out = super().to_dict()
        out["summary"]["has_errors"] = self.has_errors
        return out


def verify_seg_source(source: SegSource, *, near_duplicates: bool = True, hash_size: int = 8,
                      max_distance: int | None = None, min_correlation: float = 0.98,
                      progress: Callable[[int, int], None] | None = None) -> SegVerifyReport:
    """Check every case of ``source``; near-duplicate settings mean what they mean in
    :func:`meddx.data.verify.verify_source`. ``progress(done, total)`` is called per case."""
    from meddx.core.files import file_digest
    from meddx.data.splits import check_patient_overlap
    from meddx.data.verify import _fingerprint, near_duplicate_members

    start = time.perf_counter()
    found: dict[str, list[dict]] = {k: [] for k in ("undecodable", "mismatches", "bad_values", "empty_masks")}
    members: list[dict] = []
    by_digest: dict[str, list[int]] = defaultdict(list)
    prints: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    total, done = sum(len(d) for d in source.splits.values()), 0
    for split, data in source.splits.items():
        for i in range(len(data)):
            row = {"split": split, "id": data.ids[i], "path": data.images[i]}
            try:
                digest: str | None = file_digest(Path(data.images[i]))
                by_digest[digest].append(len(members))  # type: ignore[index]
            except OSError:  # missing or unreadable: _check_case records it once
                digest = None
            members.append(row)
            image = _check_case(source, split, i, found)
            if near_duplicates and image is not None and digest is not None and digest not in prints:
                prints[digest] = _fingerprint(image, hash_size)
            done += 1
            if progress is not None:
                progress(done, total)

    exact = [_group(members, m, digest=d) for d, m in by_digest.items() if len(m) > 1]
    near: list[dict] = []
    notes: list[str] = []
    limit = max_distance
    if near_duplicates and prints:
        groups, limit = near_duplicate_members(prints, by_digest, max_distance, min_correlation)
        near = [_group(members, indices, max_distance=dist) for indices, dist in groups]
    elif not near_duplicates:
        notes.append("near-duplicate search skipped")
    overlap = check_patient_overlap(source)  # type: ignore[arg-type]  # same ids/patient_ids shape
    summary = _summary(source, members, found, by_digest, exact, near, overlap)
    summary["seconds"] = round(time.perf_counter() - start, 2)
    return SegVerifyReport(
        source={"name": source.name, "origin": source.origin, "task": source.task, "mask_kind": source.mask_kind,
                "label_names": list(source.label_names), "spatial_dims": source.spatial_dims},
        settings={"near_duplicates": near_duplicates, "hash_size": hash_size, "max_distance": limit,
                  "min_correlation": min_correlation, "affine_tolerance": AFFINE_TOLERANCE},
        summary=summary, exact_duplicates=exact, near_duplicates=near, patient_overlap=overlap,
        notes=[*source.notes, *notes], **found,
    )


def _check_case(source: SegSource, split: str, i: int, found: dict[str, list[dict]]) -> np.ndarray | None:
    """Decode image and mask of one case, recording every problem; the image array or None."""
    from meddx.data.io import read_image
    from meddx.data.masks import load_mask

    data = source.splits[split]
    row = {"split": split, "id": data.ids[i], "image": data.images[i]}
    try:
        image = read_image(data.images[i])
    except DataError as exc:
        found["undecodable"].append({**row, "file": "image", "reason": str(exc)})
        image = None
    if data.masks is None:
        return None if image is None else image.array
    row["mask"] = data.masks[i]
    try:
        mask = load_mask(data.masks[i], reference=data.images[i])
    except DataError as exc:
        found["undecodable"].append({**row, "file": "mask", "reason": str(exc)})
        return None if image is None else image.array
    values = np.unique(mask.array)
    bad = [int(v) for v in values if v >= source.num_classes]
    if bad:
        found["bad_values"].append({**row, "values": bad, "allowed": _allowed(source),
                                    "reason": _value_reason(source, mask.array, data.masks[i], data.images[i])})
    if image is None:
        return None
    shape = tuple(image.array.shape[1:])
    if tuple(mask.array.shape) != shape:
        found["mismatches"].append({**row, "kind": "shape", "image_shape": list(shape),
                                    "mask_shape": list(mask.array.shape)})
        return image.array
    if image.affine is not None and mask.affine is not None:
        diff = float(np.max(np.abs(image.affine - mask.affine)))
        if diff > AFFINE_TOLERANCE:
            found["mismatches"].append({**row, "kind": "affine", "max_difference": diff,
                                        "image_affine": image.affine.tolist(), "mask_affine": mask.affine.tolist()})
    labels = mask.array
    if source.mask_kind == "outline" and not bad:
        try:
            check_mask(source, labels, data.masks[i], shape, data.images[i])
            labels = fill_outline(labels, data.masks[i])
        except DataError as exc:
            found["undecodable"].append({**row, "file": "mask", "reason": str(exc)})
            return image.array
    if not np.any(labels):
        found["empty_masks"].append(row)
    return image.array


def _allowed(source: SegSource) -> str:
    """The label set a mask value must fall in, with its names: ``0..2 (background, a, b)``."""
    return f"0..{source.num_classes - 1} ({', '.join(source.label_names)})"


def _value_reason(source: SegSource, mask: np.ndarray, mask_path: str, image_path: str) -> str:
    """The message ``meddx train`` refuses this mask with (``check_mask``'s value check: the
    values, the label set and its names, and whether to fix the mask or ``--labels``/labels.json)."""
    try:
        check_mask(source, mask, mask_path, tuple(mask.shape), image_path)  # the mask's own shape: values only
    except DataError as exc:
        return str(exc)
    return f"{mask_path}: mask values outside the label set {_allowed(source)}"  # pragma: no cover (bad is non-empty)


def _group(members: list[dict], index: list[int], **extra: object) -> dict:
    rows = [members[k] for k in index]
    splits = sorted({r["split"] for r in rows})
    return {**extra, "size": len(rows), "splits": splits, "cross_split": len(splits) > 1, "members": rows}


def _summary(source: SegSource, members: list[dict], found: dict[str, list[dict]], by_digest: dict,
             exact: list[dict], near: list[dict], overlap: list[dict]) -> dict:
    from meddx.data.verify_summary import duplicate_counts

    return {
        "samples": len(members),
        "samples_per_split": {s: len(d) for s, d in source.splits.items()},
        "undecodable": len(found["undecodable"]),
        "mismatched_pairs": len(found["mismatches"]),
        "masks_with_values_outside_labels": len(found["bad_values"]),
        "empty_masks": len(found["empty_masks"]),
        "distinct_contents": len(by_digest),
        **duplicate_counts(exact, near),
        "patients_across_splits": len(overlap),
    }


def _spread(rows: list[tuple]) -> dict | None:
    """Per-axis min / median / max of equally long tuples (None when there are none)."""
    lengths = {len(r) for r in rows}
    if not rows or len(lengths) != 1:
        return None if not rows else {"mixed_dimensions": sorted(lengths)}
    a = np.asarray(rows, dtype=np.float64)
    return {k: [float(x) for x in f(a, axis=0)] for k, f in (("min", np.min), ("median", np.median), ("max", np.max))}


def _name(source: SegSource, value: int) -> str:
    return source.label_names[value] if 0 <= value < source.num_classes else str(value)
