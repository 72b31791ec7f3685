"""Find image/mask pairs on disk for the segmentation readers.

Four layouts, recognised from names alone (no file is decoded):

- **folder pairs**: ``images/`` + ``labels/`` (or ``masks/``, ``segmentations/``,
  ``annotations/``), ``imagesTr/`` + ``labelsTr/`` (train) and ``imagesTs/`` + ``labelsTs/``
  (test), at the top or under split folders (``train/images``, ``Testing/labels``, ...);
- **flat folder**: images with their masks beside them (``x.png`` + ``x_mask.png``);
- **CSV manifest**: ``image,mask[,patient_id][,split]`` and extra columns kept as per-case meta;
- **HC18**: ``training_set/`` with ``NNN_HC.png`` + ``NNN_HC_Annotation.png`` outline rings and
  ``training_set_pixel_size_and_HC.csv``.

A mask matches an image with the same file name, the same stem (``case.nii.gz`` for
``case.nii.gz``, ``case_0000.nii.gz`` as nnU-Net names channel 0), or the stem plus ``_mask``,
``_seg``, ``_label``, ``_labels`` or ``_Annotation``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meddx.core.errors import DataError
from meddx.data.io import is_image_file
from meddx.data.manifest import manifest_path, missing_path_hint
from meddx.data.segmentation import SegSplit
from meddx.data.splits import SPLIT_ALIASES, split_alias

MASK_SUFFIXES = ("_mask", "_seg", "_label", "_labels", "_annotation")
IMAGE_DIRS = {"images": None, "imagestr": "train", "imagests": "test"}
MASK_DIRS = {"images": ("labels", "masks", "segmentations", "annotations"),
             "imagestr": ("labelstr", "labels", "masks"), "imagests": ("labelsts",)}
MANIFEST_COLUMNS = "image,mask[,patient_id][,split][,numeric extra columns]"
META_ALIASES = {"pixel size(mm)": "pixel_size_mm", "pixel size (mm)": "pixel_size_mm", "pixel_size": "pixel_size_mm",
                "head circumference (mm)": "reference_hc_mm", "head circumference(mm)": "reference_hc_mm",
                "hc_mm": "reference_hc_mm"}
_ORDER = ("train", "val", "test")


@dataclass
class RawSeg:
    """What a layout reader found, before label names and carving."""

    name: str
    origin: str
    folder: Path
    splits: dict[str, SegSplit]
    notes: list[str] = field(default_factory=list)
    mask_kind: str = "labels"
    label_names: list[str] | None = None


def detect_layout(path: Path) -> str | None:
    """``"hc18"``, ``"pairs"``, ``"flat"``, ``"manifest"`` or None, from names and a CSV header."""
    if path.is_file():
        return "manifest" if path.suffix.lower() == ".csv" and _is_seg_header(path) else None
    if not path.is_dir():
        return None
    if _hc18_root(path) is not None:
        return "hc18"
    if _pair_dirs(path) or any(_pair_dirs(sub) for sub in _subdirs(path) if split_alias(sub.name)):
        return "pairs"
    files = [p for p in path.iterdir() if p.is_file() and is_image_file(p)]
    stems = {stem(p).lower() for p in files}
    if any(stem(p).lower().endswith(MASK_SUFFIXES) and _base(stem(p).lower()) in stems for p in files):
        return "flat"
    return None


def read_layout(path: Path) -> RawSeg:
    """Read ``path`` with the reader its layout calls for; ``DataError`` when none fits."""
    layout = detect_layout(path)
    if layout == "manifest":
        return _read_manifest(path)
    if layout == "hc18":
        return _read_hc18(_hc18_root(path))  # type: ignore[arg-type]
    if layout == "pairs":
        return _read_pairs(path)
    if layout == "flat":
        files = _images_in(path, series=False)
        images = [p for p in files if not stem(p).lower().endswith(MASK_SUFFIXES)]
        masks = [p for p in files if stem(p).lower().endswith(MASK_SUFFIXES)]
        split = _match(images, masks, path, "train")
        return RawSeg(path.name, str(path), path, {"train": split},
                      [f"{path.name}: flat folder of images with masks beside them; every case is in train"])
    raise DataError(f"{path}: not a segmentation source; expected images/ + labels/ (or masks/, imagesTr/ + "
                    "labelsTr/) folders, images with <stem>_mask.png beside them, a CSV with columns "
                    f"{MANIFEST_COLUMNS}, or the HC18 training_set/ layout")


def stem(path: Path) -> str:
    """File name without its image extension (``.nii.gz`` counted as one); a folder's name."""
    from meddx.data.io import image_suffix

    if path.is_dir():
        return path.name
    suffix = image_suffix(path)
    return path.name[: -len(suffix)] if suffix and path.name.lower().endswith(suffix) else path.name


# ------------------------------------------------------------------------- folder pairs
def _read_pairs(root: Path) -> RawSeg:
    notes: list[str] = []
    found = _pair_dirs(root)
    if not found:
        found = [(split_alias(sub.name), img, msk) for sub in _subdirs(root) if split_alias(sub.name)
                 for _, img, msk in _pair_dirs(sub)]
    splits: dict[str, SegSplit] = {}
    for split, img_dir, mask_dir in found:
        split = split or "train"
        if mask_dir is None:
            notes.append(f"{img_dir}: images without a label folder are not loaded (no masks to learn from)")
            continue
        if split in splits:
            raise DataError(f"{img_dir}: a second image folder for split {split!r}; expected one image folder "
                            "per split")
        splits[split] = _match(_images_in(img_dir), _images_in(mask_dir), img_dir, split, mask_dir)
    if not splits:
        raise DataError(f"{root}: no image folder with a matching label folder; expected e.g. images/ + labels/")
    return RawSeg(root.name, str(root), root, {s: splits[s] for s in _ORDER if s in splits}, notes)


def _pair_dirs(folder: Path) -> list[tuple[str | None, Path, Path | None]]:
    """(split or None, image folder, mask folder or None) for the image folders in ``folder``."""
    subs = {p.name.lower(): p for p in _subdirs(folder)}
    out = []
    for name, split in IMAGE_DIRS.items():
        if name in subs:
            mask = next((subs[m] for m in MASK_DIRS[name] if m in subs), None)
            if mask is not None or name == "imagests":
                out.append((split, subs[name], mask))
    return out


def _match(images: list[Path], masks: list[Path], where: Path, split: str, mask_dir: Path | None = None) -> SegSplit:
    """Pair every image with its mask; a DataError lists images that have none."""
    by_stem: dict[str, list[Path]] = {}
    for m in masks:
        by_stem.setdefault(stem(m).lower(), []).append(m)
    pairs, missing = [], []
    for img in images:
        s = stem(img).lower()
        keys = [s, *(s + suffix for suffix in MASK_SUFFIXES)]
        if s.endswith("_0000"):
            keys.append(s[:-5])
        hits = next((by_stem[k] for k in keys if k in by_stem), None)
        if hits is None:
            missing.append(img.name)
            continue
        same = [h for h in hits if h.name.lower() == img.name.lower()]
        pairs.append((img, (same or sorted(hits))[0]))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        looked = mask_dir or where
        raise DataError(f"{where}: {len(missing)} image(s) without a mask in {looked}: {shown}; expected a mask "
                        f"with the same name or <stem>{'|'.join(MASK_SUFFIXES)} beside each image")
    if not pairs:
        raise DataError(f"{where}: no images found; expected PNG/JPEG/DICOM/NIfTI images with masks")
    return _split_from(pairs, split, where)


def _split_from(pairs: list[tuple[Path, Path]], split: str, where: Path,
                patients: list[str] | None = None, meta: dict[str, list[Any]] | None = None) -> SegSplit:
    ids = [stem(img) for img, _ in pairs]
    seen: dict[str, Path] = {}
    for (img, _), i in zip(pairs, ids):
        if i in seen:
            raise DataError(f"{where}: case id {i!r} is used by {seen[i]} and {img}; expected unique file stems "
                            f"within split {split!r}: rename one")
        seen[i] = img
    return SegSplit(ids=ids, images=[str(i) for i, _ in pairs], masks=[str(m) for _, m in pairs],
                    patient_ids=patients, meta=meta or {})


def _images_in(folder: Path, series: bool = True) -> list[Path]:
    """Image files (and, with ``series``, DICOM series sub-folders) directly in ``folder``, sorted."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "__"))
                  and (is_image_file(p) or (series and p.is_dir())))


def _subdirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _base(s: str) -> str:
    for suffix in MASK_SUFFIXES:
        if s.endswith(suffix):
            return s[: -len(suffix)]
    return s


# ------------------------------------------------------------------------------- HC18
def _hc18_root(path: Path) -> Path | None:
    """The folder holding ``training_set/`` when ``path`` is it or its ``training_set/``; the
    pixel-size CSV or ``NNN_HC_Annotation.png`` files mark the layout."""
    for root in (path, path.parent):
        folder = root / "training_set"
        if (root == path or path.name == "training_set") and folder.is_dir():
            if _hc18_csv(root) is not None or next(folder.glob("*HC_Annotation.png"), None) is not None:
                return root
    return None


def _hc18_csv(root: Path) -> Path | None:
    found = sorted(root.glob("training_set*pixel*size*.csv"))
    return found[0] if found else None


def _read_hc18(root: Path) -> RawSeg:
    folder = root / "training_set"
    csv_path = _hc18_csv(root)
    table = _hc18_table(csv_path) if csv_path is not None else {}
    files = _images_in(folder, series=False)
    images = [p for p in files if not stem(p).lower().endswith("_annotation")]
    split = _match(images, [p for p in files if stem(p).lower().endswith("_annotation")], folder, "train")
    names = [Path(p).name for p in split.images]
    missing = [n for n in names if n not in table]
    split.patient_ids = [_subject(i) for i in split.ids]
    split.meta = {"pixel_size_mm": [table.get(n, (None, None))[0] for n in names],
                  "reference_hc_mm": [table.get(n, (None, None))[1] for n in names]}
    notes = [f"HC18: {len(names)} training images of {len(set(split.patient_ids))} subjects; outline rings "
             "are filled with the ellipse fitted to them when a case is loaded"]
    csv_name = csv_path.name if csv_path is not None else "training_set_pixel_size_and_HC.csv (absent)"
    if missing:
        notes.append(f"{csv_name}: no pixel size for {len(missing)} image(s) (first {missing[0]}); "
                     "their spacing and reference HC are unknown")
    extra = len(set(table) - set(names))
    if extra:
        notes.append(f"{csv_name}: {extra} row(s) name images that are not in {folder.name}/")
    if (root / "test_set").is_dir():
        notes.append("test_set/ has no annotations and is not loaded")
    return RawSeg(root.name, str(root), root, {"train": split}, notes, mask_kind="outline",
                  label_names=["background", "head"])


def _hc18_table(csv_path: Path) -> dict[str, tuple[float | None, float | None]]:
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "filename" not in header:
        raise DataError(f"{csv_path}: no 'filename' column; expected filename, pixel size(mm), "
                        "head circumference (mm)")
    cols = {META_ALIASES.get(h, h): i for i, h in enumerate(header)}
    out = {}
    for row in rows[1:]:
        if row:
            out[row[cols["filename"]].strip()] = (_float(row, cols.get("pixel_size_mm")),
                                                  _float(row, cols.get("reference_hc_mm")))
    return out


def _subject(case_id: str) -> str:
    """``010_2HC`` -> ``010``: frames of one examination share the subject number."""
    m = re.match(r"^(\d+)_", case_id)
    return m.group(1) if m else case_id


def _float(row: list[str], i: int | None) -> float | None:
    try:
        return float(row[i]) if i is not None and row[i].strip() else None
    except (ValueError, IndexError):
        return None


# ---------------------------------------------------------------------------- manifest
def _is_seg_header(path: Path) -> bool:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    names = {h.strip().lower() for h in header}
    return "mask" in names and bool(names & {"image", "path"})


def _read_manifest(csv_path: Path) -> RawSeg:
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    header = [h.strip().lower() for h in rows[0]]
    header = [META_ALIASES.get(h, h) for h in header]
    col = {h: i for i, h in enumerate(header)}
    image_col = col.get("image", col.get("path"))
    body = [(line, r) for line, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    if not body:
        raise DataError(f"{csv_path}: no rows; expected one row per case with columns {MANIFEST_COLUMNS}")
    base = csv_path.parent
    extra = [h for h in header if h not in {"image", "path", "mask", "patient_id", "split"}]
    by_split: dict[str, list[tuple[int, list[str]]]] = {}
    for line, r in body:
        r = [c.strip() for c in r] + [""] * (len(header) - len(r))
        value = r[col["split"]] if "split" in col else "train"
        split = split_alias(value)
        if split is None:
            raise DataError(f"{csv_path}: line {line}: unknown split {value!r}; expected one of "
                            f"{', '.join(sorted(set(SPLIT_ALIASES)))}")
        by_split.setdefault(split, []).append((line, r))
    splits = {}
    for split in [s for s in _ORDER if s in by_split]:
        pairs = []
        for line, r in by_split[split]:
            paths = []
            for column, i in (("image", image_col), ("mask", col["mask"])):
                if not r[i]:
                    raise DataError(f"{csv_path}: line {line}: empty {column} path; expected a path relative to {base}")
                full = manifest_path(r[i], base)  # Windows separators too, as the image manifest reads them
                if not full.exists():
                    raise DataError(f"{csv_path}: line {line}: {column} {r[i]!r} not found (looked for {full}); "
                                    f"expected paths relative to {base} or absolute{missing_path_hint(r[i], base)}")
                paths.append(full)
            pairs.append((paths[0], paths[1]))
        rows_here = [r for _, r in by_split[split]]
        patients = None
        if "patient_id" in col:
            patients = [r[col["patient_id"]] or f"case:{stem(p)}" for r, (p, _) in zip(rows_here, pairs)]
        meta = {h: [_meta_value(r[col[h]]) for r in rows_here] for h in extra}
        splits[split] = _split_from(pairs, split, csv_path, patients, meta)
    notes = [] if "split" in col else [f"{csv_path.name}: no split column; every case is in train"]
    return RawSeg(csv_path.stem, str(csv_path), base, splits, notes)


def _meta_value(text: str) -> Any:
    """A number when the cell is numeric, None when empty, else the text itself."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text
