"""Segmentation sources: images paired with label-map masks, split by patient.

``load_seg_source`` reads a folder of ``images/`` + ``labels/`` (MSD/nnU-Net style, optionally
under train/val/test folders), a flat folder of ``x.png`` + ``x_mask.png``, a CSV manifest
(``image,mask[,patient_id][,split]`` + numeric meta columns), or the HC18 layout (outline rings
turned into filled heads on load); see :mod:`meddx.data.seg_readers` for the exact names. It
returns a :class:`SegSource` holding paths only; :meth:`SegSource.load_case` decodes one case
into a channel-first image and an int64 mask of the same spatial shape.

Label names (index = mask value) come from the ``label_names`` argument, else ``dataset.json``
(MSD ``{"labels": {"0": "background", ...}}``) or ``labels.json`` in the source folder, else
the DICOM-SEG segment labels, else the values seen in the train masks, which must then be
consecutive (0..K-1). Missing val/test splits are carved from train with whole patients
(or cases) moving, test first; each decision is written to ``notes`` and each carve recorded
(``memberships``), to be read back rather than carved again (:mod:`meddx.data.seg_carve`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError, DataError
from meddx.data.masks import read_mask, write_mask
from meddx.data.seg_carve import carve_splits, none_carved_note  # noqa: F401 (imported from here by callers)

__all__ = ["SegCase", "SegSource", "SegSplit", "is_segmentation_source", "load_seg_source", "read_mask",
           "seg_source_info", "verify_seg_source", "write_mask"]


@dataclass
class SegSplit:
    """One split: case ``ids`` (file stems), ``images`` and ``masks`` paths in the same order
    (``masks`` None for an unlabelled split), optional ``patient_ids`` and per-case ``meta``
    columns (e.g. ``pixel_size_mm``)."""

    ids: list[str]
    images: list[str]
    masks: list[str] | None
    patient_ids: list[str] | None = None
    meta: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        """``(N,)`` zeros, so split helpers written for classification (strata) work unchanged."""
        return np.zeros(len(self.ids), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index: np.ndarray | list[int]) -> "SegSplit":
        """A new split holding the cases at ``index`` (in that order), meta columns included."""
        idx = [int(i) for i in np.asarray(index, dtype=np.int64)]
        return SegSplit(
            ids=[self.ids[i] for i in idx],
            images=[self.images[i] for i in idx],
            masks=None if self.masks is None else [self.masks[i] for i in idx],
            patient_ids=None if self.patient_ids is None else [self.patient_ids[i] for i in idx],
            meta={k: [v[i] for i in idx] for k, v in self.meta.items()},
        )


@dataclass
class SegCase:
    """One decoded case: ``image`` ``(C, *spatial)`` as ``read_image`` returns it, ``mask``
    ``(*spatial)`` int64, ``spacing`` in mm per array axis, the NIfTI ``affine`` when any."""

    id: str
    image: np.ndarray
    mask: np.ndarray | None
    spacing: tuple[float, ...] | None
    affine: np.ndarray | None
    image_path: str
    mask_path: str | None
    meta: dict[str, Any]


@dataclass
class SegSource:
    """A segmentation source: label names (index = mask value), splits of paths, notes."""

    name: str
    origin: str
    label_names: list[str]
    spatial_dims: int
    splits: dict[str, SegSplit]
    notes: list[str] = field(default_factory=list)
    mask_kind: str = "labels"
    task: str = "segmentation"
    label_origin: str = "given"  # where the names came from; "masks": inferred from the mask values
    value_map: list[int] | None = None  # mask value -> label index, when the names were mapped onto a bundle's
    # split carved from train -> the record of its cases (data.seg_carve), which data.json and the bundle keep
    memberships: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        """Number of classes, background included."""
        return len(self.label_names)

    def split(self, name: str) -> SegSplit:
        """The split called ``name``; a clear error listing the available ones otherwise."""
        if name not in self.splits:
            raise DataError(f"{self.origin}: no split {name!r}; available splits: {', '.join(self.splits)}")
        return self.splits[name]

    def load_case(self, split: str, index: int) -> SegCase:
        """Decode case ``index`` of ``split``: image, mask (outline rings filled), spacing.

        Raises ``DataError`` when a file cannot be decoded, the mask's shape or (NIfTI) affine
        differs from the image's, or the mask holds values outside ``0..num_classes-1``.
        """
        from meddx.data.io import read_image
        from meddx.data.masks import check_mask_affine, load_mask

        data = self.split(split)
        if not 0 <= index < len(data):
            raise DataError(f"{self.origin}: split {split!r} has {len(data)} cases; no case {index}")
        image = read_image(data.images[index])
        meta = {k: v[index] for k, v in data.meta.items()}
        mask, mask_path = None, None
        if data.masks is not None:
            mask_path = data.masks[index]
            loaded = load_mask(mask_path, reference=data.images[index])
            mask = loaded.array
            if self.value_map is not None:  # the source's own values, mapped onto the bundle's classes
                bad = sorted(int(v) for v in np.unique(mask) if not 0 <= v < len(self.value_map))
                if bad:
                    raise DataError(f"{mask_path}: mask values {bad[:10]} are outside the source's label set "
                                    f"0..{len(self.value_map) - 1}; expected one value per label name")
                mask = np.asarray(self.value_map, dtype=np.int64)[mask]
            check_mask(self, mask, mask_path, image.array.shape[1:], data.images[index])
            check_mask_affine(image.affine, loaded.affine, data.images[index], mask_path)
            if self.mask_kind == "outline":
                mask = fill_outline(mask, mask_path)
        spacing = image.spacing
        pixel = meta.get("pixel_size_mm")
        if spacing is None and isinstance(pixel, float) and pixel > 0:
            spacing = (pixel,) * (image.array.ndim - 1)
        return SegCase(id=data.ids[index], image=image.array, mask=mask, spacing=spacing, affine=image.affine,
                       image_path=data.images[index], mask_path=mask_path, meta=meta)


def check_mask(source: SegSource, mask: np.ndarray, mask_path: str, shape: tuple[int, ...], image_path: str) -> None:
    """``DataError`` for a mask whose shape differs from the image's or whose values fall
    outside the label set (naming both files, both shapes, the values and the label names)."""
    if tuple(mask.shape) != tuple(shape):
        raise DataError(f"{mask_path}: mask shape {tuple(mask.shape)} differs from image {image_path} spatial "
                        f"shape {tuple(shape)}; expected a mask the size of its image")
    values = np.unique(mask)
    bad = [int(v) for v in values if v >= source.num_classes]
    if bad:
        where = "--labels (label_names)" if source.label_origin == "given" else "labels.json"
        hint = "; a binary mask saved as 0/255? store it as 0/1" if set(values.tolist()) == {0, 255} else ""
        raise DataError(f"{mask_path}: mask values {bad} are outside the label set 0..{source.num_classes - 1} "
                        f"({', '.join(source.label_names)}); expected one value per label name: fix the mask or "
                        f"add the label to {where}{hint}")


def fill_outline(ring: np.ndarray, path: str) -> np.ndarray:
    """The region inside the ellipse fitted to an outline ring (HC18), as an int64 0/1 map."""
    from meddx.data.ellipse import outline_to_mask

    if not ring.any():
        raise DataError(f"{path}: outline annotation is empty; expected an ellipse ring to fill")
    try:
        return np.asarray(outline_to_mask(ring), dtype=np.int64)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from exc
    except Exception as exc:  # a degenerate ring the ellipse fit cannot handle
        raise DataError(f"{path}: cannot fit an ellipse to the outline ({exc}); expected an ellipse ring") from exc


def is_segmentation_source(spec: str | Path) -> bool:
    """True when ``spec`` looks like a segmentation source (folder layout or CSV header only;
    nothing is decoded), so the CLI can send it to the segmentation readers."""
    from meddx.data.seg_readers import detect_layout

    text = str(spec).strip()
    if text.lower().startswith("medmnist:"):
        return False
    return detect_layout(Path(text).expanduser()) is not None


def load_seg_source(spec: str | Path, *, val_fraction: float = 0.1, test_fraction: float = 0.2,
                    seed: int = 0, label_names: list[str] | None = None, lenient_labels: bool = False,
                    memberships: Mapping[str, Mapping[str, Any]] | None = None) -> SegSource:
    """Load the segmentation source at ``spec``; see the module docstring for layouts and names.

    A missing test split is carved from train (``test_fraction``; 0 carves none), then a
    missing val split from what remains (``val_fraction``; 0 carves none), deterministically for
    ``seed`` and never splitting a patient. ``label_names`` overrides any names file.
    ``lenient_labels`` (``data verify``): mask values that skip a label do not stop the load; the
    label set is the consecutive values from 0, and verify reports the masks beyond it.
    ``memberships``: the carve records of a run or bundle (:func:`meddx.data.seg_carve.recorded_memberships`),
    whose cases are taken instead of carving again while train holds the cases they were made on.
    """
    from meddx.data.imagefolder import guess_spatial_dims
    from meddx.data.seg_readers import read_layout

    for key, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"{key}: expected a number from 0 (carve nothing) to below 1; got {value}")
    path = Path(str(spec).strip()).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; expected a segmentation folder or CSV manifest")
    raw = read_layout(path)
    notes = list(raw.notes)
    names = _label_names(raw, label_names, notes, lenient_labels)
    first = [p for s in raw.splits.values() for p in s.images[:5]]
    source = SegSource(name=raw.name, origin=raw.origin, label_names=names,
                       spatial_dims=guess_spatial_dims(first, notes), splits=raw.splits, notes=notes,
                       mask_kind=raw.mask_kind, label_origin=_label_origin(raw, label_names, notes))
    check_pixel_sizes(source, lenient=lenient_labels)
    return carve_splits(source, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed,
                        memberships=memberships)


def check_pixel_sizes(source: SegSource, lenient: bool = False) -> None:
    """Refuse a source whose ``pixel_size_mm`` column gives some raster cases (PNG, JPEG, ...:
    no spacing in the file) a pixel size and leaves others empty or non-numeric: their distances
    and areas would be in pixels and the rest in mm, under one unit. ``lenient`` (``data
    verify``): a note instead."""
    from meddx.data.io import detect_kind

    missing, sized = [], 0
    for data in source.splits.values():
        for i, value in enumerate(data.meta.get("pixel_size_mm") or []):
            if detect_kind(data.images[i]) != "pil":
                continue  # NIfTI/DICOM: the spacing comes from the header
            if isinstance(value, float) and np.isfinite(value) and value > 0:
                sized += 1
            else:
                missing.append(data.ids[i])
    if not (missing and sized):
        return
    message = (f"{source.origin}: column pixel_size_mm is empty or not a positive number for {len(missing)} "
               f"case(s) ({', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}) but set for {sized}; "
               "their distances and sizes would be in pixels and the others' in mm: give every case a pixel "
               "size, or none")
    if not lenient:
        raise DataError(message)
    source.notes.append(message)


def _label_origin(raw: Any, given: list[str] | None, notes: list[str]) -> str:
    """Where ``_label_names`` took the names from: ``given``, ``reader``, a names file, or
    ``masks`` (inferred from the mask values: they carry no meaning beyond their order)."""
    if given is not None:
        return "given"
    if raw.label_names is not None:
        return "reader"
    last = notes[-1] if notes else ""
    return "masks" if last.startswith("label names inferred") else "file"


# --------------------------------------------------------------------------- label names
def _label_names(raw: Any, given: list[str] | None, notes: list[str], lenient: bool = False) -> list[str]:
    if given is not None:
        names = [str(n) for n in given]
        if len(names) < 2:
            raise ConfigError(f"label_names: expected at least 2 names (background first); got {names}")
        notes.append("label names from --labels (label_names)")
        return names
    if raw.label_names is not None:
        return list(raw.label_names)
    for file in ("dataset.json", "labels.json"):
        path = raw.folder / file
        if path.is_file():
            names = _names_from_json(path)
            notes.append(f"label names from {file}")
            return names
    splits = {"train": raw.splits["train"]} if "train" in raw.splits else raw.splits
    return _names_from_masks(splits, notes, lenient)


def _names_from_json(path: Path) -> list[str]:
    """MSD ``{"labels": {"0": "background"}}``, nnU-Net v2 ``{"labels": {"background": 0}}``,
    a plain ``{"0": "background"}`` mapping or a list."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read label names ({exc}); expected JSON") from None
    labels = data.get("labels", data) if isinstance(data, dict) else data
    if isinstance(labels, list):
        names = [str(n) for n in labels]
    elif isinstance(labels, dict) and all(str(k).strip().isdigit() for k in labels):
        pairs = {int(k): str(v) for k, v in labels.items()}
        names = [pairs.get(i, "") for i in range(max(pairs) + 1)] if pairs else []
    elif isinstance(labels, dict) and all(isinstance(v, int) for v in labels.values()):
        pairs = {int(v): str(k) for k, v in labels.items()}
        names = [pairs.get(i, "") for i in range(max(pairs) + 1)] if pairs else []
    else:
        names = []
    if len(names) < 2 or "" in names:
        raise DataError(f"{path}: label names {labels!r} do not cover consecutive values 0..K-1 (K >= 2); expected "
                        '{"labels": {"0": "background", "1": "..."}} or a list with background first')
    return names


def _names_from_masks(splits: dict[str, SegSplit], notes: list[str], lenient: bool = False) -> list[str]:
    """Names for the values seen in ``splits``' masks (DICOM-SEG: its segment labels); ``lenient``:
    a skipped value ends the label set instead of raising."""
    from meddx.data.masks import load_mask

    where: dict[int, str] = {}
    count = 0
    for data in splits.values():
        for img, msk in zip(data.images, data.masks or []):
            m = load_mask(msk, reference=img)
            if m.names is not None:
                notes.append(f"label names from the DICOM-SEG segment labels of {Path(msk).name}")
                return ["background", *m.names]
            count += 1
            for v in np.unique(m.array).tolist():
                where.setdefault(int(v), msk)
    if not where:
        raise DataError("no masks to infer label names from; expected masks, labels.json or label_names")
    top = max(where)
    if top == 0 and not lenient:  # verify reports the empty masks instead
        raise DataError(f"{Path(where[0]).parent}: all {count} training mask(s) are 0 everywhere, so there is no "
                        "structure to learn; expected label values 1..K-1 on the structures")
    missing = [v for v in range(1, top + 1) if v not in where]
    if missing and lenient and missing[0] > 1:
        notes.append(f"mask values {sorted(where)[:20]} skip {missing[:10]}: label set taken as 0..{missing[0] - 1}")
        top, missing = missing[0] - 1, []
    if missing:
        raise DataError(f"{where[top]}: mask value {top} but no mask holds value(s) {missing[:10]} (values seen "
                        f"{sorted(where)[:20]}); expected consecutive labels 0..K-1: relabel, or name the labels "
                        "in labels.json / label_names")
    names = ["background", "foreground"] if top == 1 else ["background", *(f"label_{v}" for v in range(1, top + 1))]
    notes.append(f"label names inferred from the values {sorted(where)} seen in {count} mask(s)")
    return names


def seg_source_info(source: SegSource, *, max_decode: int = 200) -> dict:
    """Counts, shapes, spacings, intensities and class fractions; see :mod:`meddx.data.seg_verify`."""
    from meddx.data.seg_verify import seg_source_info as info

    return info(source, max_decode=max_decode)


def verify_seg_source(source: SegSource, **kwargs: Any) -> Any:
    """Integrity and leakage report; see :func:`meddx.data.seg_verify.verify_seg_source`."""
    from meddx.data.seg_verify import verify_seg_source as verify

    return verify(source, **kwargs)
