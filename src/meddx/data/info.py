"""Describe a source before training: counts, class balance, shapes, channels, intensities.

Array sources (MedMNIST) are summarised exactly. Path sources decode about ``max_decode``
files per split, evenly spread over the sorted paths, plus one file of each class the spread
missed (a class of 2 images among 10,000), so every class is represented; the output says how
many were decoded. Intensities are given over all decoded files (``intensity``) and per stored
dtype (``intensity_by_dtype``: 8-bit and 16-bit PNGs of one folder are on different scales);
the voxel spacing the decoded files record (``spacing``: NIfTI, DICOM), which 3D classification
does not resample, so one spacing for training and prediction is the user's to keep.
A class with no training sample (multi-label: a label never positive in train) is listed
(``classes_without_training_samples``): ``meddx train`` refuses such a source. The result is a
JSON-serialisable dict that the CLI prints as tables and ``--json`` dumps as is.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import ImageSource, SplitData
from meddx.data.bit_depth import eight_bit


def source_info(source: ImageSource, *, max_decode: int = 200) -> dict:
    """Summary of ``source`` per split; see the module docstring for what is sampled."""
    splits = {name: _split_info(source, name, data, max_decode) for name, data in source.splits.items()}
    return {
        "name": source.name,
        "origin": source.origin,
        "task": source.task,
        "spatial_dims": source.spatial_dims,
        "label_names": list(source.label_names),
        "num_classes": source.num_classes,
        "total": sum(len(d) for d in source.splits.values()),
        "splits": splits,
        "classes_without_training_samples": classes_without_training(source),
        "dtype_mix": dtype_mix_warning(splits),
        "notes": list(source.notes) + dark_16_bit_notes(splits) + one_class_test_notes(source),
    }


def one_class_test_notes(source: ImageSource) -> list[str]:
    """A note per held-out split (``test``; ``val`` has its own, :mod:`meddx.data.val_checks`) whose
    samples are all of one class while the source has more: AUC and AUPRC are undefined on it, which
    ``meddx train`` prints as "n/a" and ``meddx evaluate`` explains only once a model is trained; a
    split folder exported with one class folder is then found before training. Multi-label sources
    are left out (a label may well be absent from a small test set)."""
    notes = []
    for split, data in source.splits.items():
        labels = np.asarray(data.labels)
        if split in ("train", "val") or labels.ndim != 1 or not len(labels) or source.num_classes < 2:
            continue
        present = np.unique(labels)
        if len(present) != 1:
            continue
        k = int(present[0])
        only = source.label_names[k] if k < len(source.label_names) else str(k)
        binary = source.num_classes == 2
        measures = ("specificity" if k == 0 else "sensitivity") if binary else f"the recall of {only!r}"
        notes.append(f"{split} holds one class only ({only!r}, {len(labels)} samples): AUC and AUPRC will be "
                     f"undefined on it and it measures {measures} alone; add samples of the other class(es) to {split}")
    return notes


def dark_16_bit_notes(splits: dict[str, dict]) -> list[str]:
    """A note when decoded 16-bit files hold no value above 255 and record no smaller bit depth (PNG
    sBIT, TIFF MaxSampleValue): 8-bit pictures saved as 16 bits, or dark 16-bit ones, which nothing in
    the file tells apart, so reading divides them by 65535; a model scaling by bit depth (trained on
    8-bit images) then sees them near-black. Files such a tag covers are scaled by it and not counted."""
    files = [(split, f) for split, s in splits.items() for f in s.get("dark_16_bit", [])]
    if not files:
        return []
    shown = ", ".join(f"{split}: {f}" for split, f in files[:2])
    return [f"{len(files)} decoded 16-bit file(s) hold no value above 255 and record no bit depth (e.g. {shown}); "
            "they are divided by 65535, so a model trained on 8-bit images sees them near-black: if they are 8-bit "
            "pictures, save them as 8-bit, or record MaxSampleValue 255 (TIFF) / sBIT 8 (PNG)"]


def dtype_mix_warning(splits: dict[str, dict]) -> str | None:
    """A warning when the decoded files mix 8-bit and other pixel values (8-bit PNGs and a CT DICOM,
    whose modality values are floats in HU, or 16-bit PNGs): ``meddx train`` with the default scaling
    (``auto``) then scales every image by its own percentiles, the 8-bit ones too (it records why in
    ``plan.json``; ``transforms.image.MixedIntensities``); ``None`` when the files are of one kind.
    "8-bit" is training's own rule (:func:`meddx.data.bit_depth.eight_bit`, counted per decoded file in
    each split's ``eight_bit``): a 16-bit PNG whose sBIT says 8 counts as 8-bit, as training scales it."""
    counts: Counter = Counter()
    for s in splits.values():
        for dtype, inten in (s.get("intensity_by_dtype") or {}).items():
            counts[dtype] += int(inten.get("samples", 0))
    eight = sum(int(s.get("eight_bit", 0)) for s in splits.values())
    if not eight or sum(counts.values()) == eight:
        return None
    shown = ", ".join(f"{d} ({n})" for d, n in sorted(counts.items()))
    floats = any(np.issubdtype(np.dtype(d), np.floating) for d in counts)
    what = ("integer and floating-point pixel values" if floats else "8-bit and other integer pixel values")
    kinds = ("floating-point: modality values such as CT in HU, or NIfTI" if floats else
             "a 16-bit file may hold 12-bit values, which nothing in it may say")
    return (f"the decoded files mix {what} ({shown}; {kinds}); no one divisor serves both, so training with the "
            "default scaling scales each image by its own 0.5-99.5 percentiles (as 'scaling: percentile'), and 8-bit "
            "images lose their absolute brightness; convert the files to one kind to keep it")


def class_counts(source: ImageSource, data: SplitData) -> dict[str, int]:
    """Samples per class; for multi-label, positives per label."""
    names = source.label_names
    if data.labels.ndim == 2:
        pos = data.labels.sum(axis=0) if len(data) else np.zeros(len(names), dtype=np.int64)
        return {names[i]: int(pos[i]) for i in range(len(names))}
    counts = np.bincount(data.labels, minlength=len(names)) if len(data) else np.zeros(len(names), int)
    return {names[i] if i < len(names) else str(i): int(c) for i, c in enumerate(counts)}


def classes_without_training(source: ImageSource) -> dict[str, dict[str, int]]:
    """Classes with no sample in ``train`` (class -> samples per other split), which ``meddx train``
    refuses; for a multi-label source, labels never positive in ``train`` (class -> positives per
    other split). Empty for sources without a train split (an evaluation-only set)."""
    train = source.splits.get("train")
    if train is None or np.ndim(train.labels) not in (1, 2):
        return {}
    if np.ndim(train.labels) == 2:  # multi-label (0/1 per label): was skipped, so verify passed a label train refuses
        positive = np.asarray(train.labels).sum(axis=0) if len(train) else np.zeros(len(source.label_names))
        return {name: {split: int(np.asarray(data.labels)[:, k].sum()) for split, data in source.splits.items()
                       if split != "train" and len(data) and np.asarray(data.labels)[:, k].any()}
                for k, name in enumerate(source.label_names) if positive[k] == 0}
    present = set(np.asarray(train.labels).tolist())
    return {
        name: {split: int(np.sum(np.asarray(data.labels) == k)) for split, data in source.splits.items()
               if split != "train" and np.any(np.asarray(data.labels) == k)}
        for k, name in enumerate(source.label_names) if k not in present
    }


def _split_info(source: ImageSource, name: str, data: SplitData, max_decode: int) -> dict:
    info: dict = {"count": len(data), "class_counts": class_counts(source, data)}
    if data.images is not None:
        images = data.images
        whole = _intensity([images]) if len(data) else None
        info.update(
            decoded=len(data), sampled=False,
            shapes=[{"shape": list(images.shape[1:]), "count": len(data)}] if len(data) else [],
            channels=[int(images.shape[1])] if len(data) else [],
            dtypes=[str(images.dtype)],
            intensity=whole,
            intensity_by_dtype={str(images.dtype): {**whole, "samples": len(data)}} if whole else {},
            eight_bit=len(data) if eight_bit(images) else 0,
            spacing=None,  # arrays (MedMNIST) record no voxel spacing
        )
        return info
    paths = data.paths or []
    take = _sample_indices(len(paths), max_decode, data.labels)
    shapes: Counter = Counter()
    dtypes: set[str] = set()
    arrays, failures, spacings, decoded = [], [], [], []
    for i in take:
        try:
            loaded = source.get_loaded(name, int(i))
        except DataError as exc:
            failures.append({"id": data.ids[i], "reason": str(exc)})
            continue
        arr = loaded.array
        spacings.append(loaded.spacing)
        shapes[tuple(int(s) for s in arr.shape)] += 1
        dtypes.add(str(arr.dtype))
        arrays.append(arr)
        decoded.append(i)
    info.update(
        decoded=len(arrays), sampled=len(take) < len(paths),
        shapes=[{"shape": list(s), "count": c} for s, c in shapes.most_common()],
        channels=sorted({s[0] for s in shapes}),
        grey_rgb=sum(1 for a in arrays if _grey_rgb(a)),
        dtypes=sorted(dtypes),
        intensity=_intensity(arrays) if arrays else None,
        intensity_by_dtype=_intensity_by_dtype(arrays),
        eight_bit=sum(1 for a in arrays if eight_bit(a)),  # decoded files training's 'auto' divides by 255
        undecodable=failures,
        spacing=spacing_summary(spacings),
        dark_16_bit=[data.ids[int(i)] for i, a in zip(decoded, arrays) if _dark_16_bit(a)],
    )
    return info


def _dark_16_bit(a: np.ndarray) -> bool:
    """A uint16 array with no value above 255 and no recorded smaller bit depth (``value_max``)."""
    return a.dtype == np.uint16 and a.size > 0 and getattr(a, "value_max", None) is None and int(a.max()) <= 255


def spacing_summary(spacings: list[tuple[float, ...] | None]) -> dict | None:
    """Median, min and max voxel spacing (mm, array axis order: ``(dz, dy, dx)`` for volumes) over
    the files that record one, with how many did (``known`` of ``decoded``) and whether it
    ``varies`` (an axis more than 10% apart): classification resizes each voxel grid to the
    model's input without resampling, so volumes of other spacings show anatomy at other scales.
    ``None`` when no file records a spacing (PNG, in-memory arrays such as MedMNIST)."""
    known = [tuple(float(v) for v in sp) for sp in spacings if sp is not None]
    if not known:
        return None
    ndim = Counter(len(sp) for sp in known).most_common(1)[0][0]
    arr = np.array([sp for sp in known if len(sp) == ndim])
    lo, hi = arr.min(axis=0), arr.max(axis=0)
    return {"median": [round(float(v), 4) for v in np.median(arr, axis=0)], "min": [round(float(v), 4) for v in lo],
            "max": [round(float(v), 4) for v in hi], "known": len(known), "decoded": len(spacings),
            "varies": bool(np.any(hi > 1.1 * lo))}


def training_spacing(source: ImageSource, max_files: int = 20) -> dict | None:
    """``spacing_summary`` of up to ``max_files`` training volumes (evenly spread), for a 3D
    bundle's ``config.json``: ``meddx predict`` compares each file's spacing with it. ``None`` for
    2D sources, in-memory arrays and files without spacing; undecodable files are skipped."""
    data = source.splits.get("train")
    if source.spatial_dims != 3 or data is None or data.paths is None or not len(data):
        return None
    spacings = []
    for i in _sample_indices(len(data), max_files):
        try:
            spacings.append(source.get_loaded("train", int(i)).spacing)
        except DataError:
            continue
    return spacing_summary(spacings)


def _sample_indices(n: int, k: int, labels: np.ndarray | None = None) -> np.ndarray:
    """All of ``range(n)`` when ``n <= k``, else ``k`` evenly spaced indices (deterministic), and
    for single-label ``labels`` the middle sample of each class that no spaced index reached."""
    if n <= k:
        return np.arange(n)
    take = np.unique(np.linspace(0, n - 1, k).round().astype(np.int64))
    if labels is None or labels.ndim != 1:
        return take
    missed = [np.flatnonzero(labels == c) for c in np.setdiff1d(labels, labels[take])]
    return np.union1d(take, [m[len(m) // 2] for m in missed]).astype(np.int64)


def _grey_rgb(a: np.ndarray) -> bool:
    """Whether ``a`` (channel first) is a colour image whose channels are equal: grey content saved as
    RGB (the brain MRI JPEGs), which the planner trains as 1 channel, while ``channels`` shows 3."""
    return a.ndim >= 3 and a.shape[0] in (3, 4) and bool(np.array_equal(a[0], a[1]) and np.array_equal(a[0], a[2]))


def _intensity_by_dtype(arrays: list[np.ndarray]) -> dict[str, dict]:
    """``_intensity`` per stored dtype (uint8, uint16, float32...): 8-bit and 16-bit files in one
    folder have ranges on different scales, which one lumped range hides."""
    by_dtype: dict[str, list[np.ndarray]] = {}
    for a in arrays:
        by_dtype.setdefault(str(a.dtype), []).append(a)
    return {dtype: {**_intensity(group), "samples": len(group)} for dtype, group in sorted(by_dtype.items())}


def _intensity(arrays: list[np.ndarray]) -> dict:
    """Min, max and voxel-weighted mean over all arrays (float64 accumulation)."""
    lo = min(float(np.min(a)) for a in arrays)
    hi = max(float(np.max(a)) for a in arrays)
    total = sum(float(np.sum(a, dtype=np.float64)) for a in arrays)
    size = sum(a.size for a in arrays)
    return {"min": lo, "max": hi, "mean": total / size}
