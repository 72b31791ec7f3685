"""A folder with one sub-folder per class, optionally under split folders.

Accepted layouts (split folder names compared in lower case: train/training, val/valid/
validation, test/testing)::

    root/<class>/<image>                      every image goes to train
    root/<split>/<class>/<image>              e.g. Training/glioma_tumor/gg (1).jpg

Images are PNG/JPEG/BMP/TIFF/DICOM/NIfTI files directly inside a class folder; sub-folders of a
class folder, images lying outside any class folder, DICOM files that hold no image (a CD export's
DICOMDIR, dose reports, key objects, presentation states) and class folders without images are
left out and named or counted in the notes. Paths are sorted, ids are paths relative to
the root with ``/`` separators, and classes are sorted by name, so the same folder always gives
the same source. When every image is a DICOM file carrying a usable PatientID, those are the
patient ids (:mod:`meddx.data.dicom_patients`; a constant or placeholder id of an anonymised export
is not used), so a carved validation split is grouped by patient and ``data verify`` checks patients.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import (SPLITS, ImageSource, SplitData, TaskType, case_clash_notes, order_label_names,
                             too_few_classes)
from meddx.data.io import UNREAD_FORMATS, detect_kind, is_image_file, read_image
from meddx.data.splits import split_alias


_MASK_FOLDERS = {"labels", "labelstr", "labelsts", "masks", "segmentations", "annotations"}


def split_folders(root: Path) -> dict[str, Path]:
    """Map split name -> folder for the split-named sub-folders of ``root`` (may be empty).

    Raises ``DataError`` when two folders name the same split or when split folders sit next
    to folders that are not split names (ambiguous layout).
    """
    found: dict[str, Path] = {}
    others = []
    for sub in _subdirs(root):
        split = split_alias(sub.name)
        if split is None:
            others.append(sub.name)
            continue
        if split in found:
            raise DataError(
                f"{root}: folders {found[split].name!r} and {sub.name!r} both mean split {split!r}; "
                "expected one folder per split: merge or rename one"
            )
        found[split] = sub
    if found and others:
        raise DataError(
            f"{root}: mixes split folders ({', '.join(p.name for p in found.values())}) with other folders "
            f"({', '.join(others)}); expected either split folders (train/val/test) or class folders"
        )
    return found


def looks_like_imagefolder(root: Path) -> bool:
    """True when ``root`` has at least one sub-folder (class or split folder)."""
    return root.is_dir() and any(True for _ in _subdirs(root))


def load_imagefolder(root: str | Path) -> ImageSource:
    """Read a class-per-folder image tree into an :class:`ImageSource` holding file paths.

    Raises ``DataError`` for fewer than two classes or a split without images. A class with
    images in val/test but none in train loads (``data info|verify`` report it, ``train`` refuses it).
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder; expected a folder with one sub-folder per class")
    by_split = split_folders(root)
    notes: list[str] = []
    if not by_split:
        by_split = {"train": root}
        notes.append(f"{root.name}: no train/val/test folders; every image is in train")

    files: dict[str, dict[str, list[Path]]] = {}
    ignored_files = ignored_dirs = 0
    empty: list[str] = []
    objects: list[Path] = []  # DICOM files without an image (DICOMDIR, SR, KO, PR)
    unread: list[Path] = []  # pictures in a format read_image does not read (GIF, WebP...)
    broken: list[Path] = []  # symbolic links whose target is gone (an unmounted share)
    patient_ids: dict[str, str | None] = {}  # DICOM PatientIDs read with the SOP class (one header read a file)
    stray = _stray_images(root) if root not in by_split.values() else []
    for split, folder in by_split.items():
        stray += _stray_images(folder)
        classes: dict[str, list[Path]] = {}
        nested: list[Path] = []  # sub-folders of class folders (a DICOM series per folder, say)
        for cls_dir in _subdirs(folder):
            images, skipped, subdirs = _class_images(cls_dir, objects, unread, broken, patient_ids)
            ignored_files += skipped
            ignored_dirs += subdirs
            nested += _subdirs(cls_dir) if subdirs else []
            if images:
                classes[cls_dir.name] = images
            else:
                empty.append(_rel(cls_dir, root))
        if not classes:
            found = f"; found {_unread_hint(unread, root)}" if unread else ""
            raise DataError(f"{folder}: no class sub-folders with images; expected {folder}/<class>/<image> "
                            f"(PNG, JPEG, BMP, TIFF, DICOM or NIfTI){found}{_nested_hint(nested, root)}")
        files[split] = classes
    if stray:
        notes.append(f"ignored {len(stray)} image(s) outside class folders (first: {_rel(stray[0], root)}); "
                     "expected every image inside a class folder")
    if empty:
        notes.append(f"ignored {len(empty)} class folder(s) without images: {', '.join(empty)}")
    if objects:
        notes.append(f"ignored {len(objects)} DICOM file(s) without an image (DICOMDIR, reports, key objects, "
                     f"presentation states...) inside class folders (first: {_rel(objects[0], root)})")
    if unread:
        notes.append(f"ignored {_unread_hint(unread, root)}")
    if broken:
        notes.append(f"ignored {len(broken)} symbolic link(s) whose target does not exist (first: "
                     f"{_rel(broken[0], root)} -> {os.readlink(broken[0])}): mount or copy what they point to")
    ignored = [f"{n} {what}" for n, what in ((ignored_files, "non-image file(s)"), (ignored_dirs, "sub-folder(s)"))
               if n]
    if ignored:  # only what was ignored: "0 non-image file(s) and 2 sub-folder(s)" read as a count of nothing
        notes.append(f"ignored {' and '.join(ignored)} inside class folders")

    label_names = order_label_names({c for classes in files.values() for c in classes})
    notes += case_clash_notes(label_names, "class folders")
    notes += _typo_notes(files)
    # A class with images only in val/test loads (as from a CSV manifest): `data info|verify` report it
    # and `meddx train` refuses it by name (training.plan.check_classes_present).
    mask_dirs = [c for c in label_names if c.lower() in _MASK_FOLDERS]
    if mask_dirs and any(c.lower().startswith("image") for c in label_names):
        raise DataError(
            f"{root}: folders {', '.join(label_names)} look like a segmentation layout (images + "
            f"{mask_dirs[0]}), not classes; expected one sub-folder per class"
        )
    if too_few_classes(len(label_names)):
        raise DataError(
            f"{root}: found {len(label_names)} class folder(s) ({', '.join(label_names)}); "
            "expected at least 2 class sub-folders"
        )
    index = {c: i for i, c in enumerate(label_names)}

    splits: dict[str, SplitData] = {}
    for split in [s for s in SPLITS if s in files]:
        pairs = sorted(
            (_rel(p, root), p, index[c]) for c, paths in files[split].items() for p in paths
        )
        splits[split] = SplitData(
            ids=[r for r, _, _ in pairs],
            labels=np.asarray([y for _, _, y in pairs], dtype=np.int64),
            paths=[str(p) for _, p, _ in pairs],
        )
    _dicom_patients(splits, notes, patient_ids)
    task: TaskType = "binary" if len(label_names) == 2 else "multiclass"
    spatial_dims = guess_spatial_dims([p for d in splits.values() for p in d.paths or []], notes, one_slice_2d=True)
    return ImageSource(name=root.name, origin=str(root), task=task, label_names=label_names,
                       spatial_dims=spatial_dims, splits=splits, notes=notes)


def guess_spatial_dims(paths: list[str], notes: list[str], tries: int = 5, *, one_slice_2d: bool = False) -> int:
    """2 or 3, from the first of ``paths`` that decodes; a broken first file must not stop
    ``verify`` from reporting it, so after ``tries`` failures assume 2D and say so.

    ``one_slice_2d`` (classification sources): a one-slice volume (NIfTI ``x*y*1``) is 2D, as
    ``ImageSource.get_image`` and a 2D bundle read it (a 3D bundle refuses single slices). These
    sources also confirm the first file with the last one that decodes (one more read): one cine
    clip or multi-page TIFF sorted first among X-rays used to make the whole folder 3D and every
    X-ray undecodable. When the two disagree, the majority of up to ``4 * tries`` files spread over
    ``paths`` decides, and a note names the first file of each kind."""
    def dims(path: str) -> int | None:
        try:
            shape = read_image(path).array.shape
        except DataError:
            return None
        return 3 if len(shape) == 4 and (shape[1] > 1 or not one_slice_2d) else 2

    first = next(((p, d) for p in paths[:tries] if (d := dims(p)) is not None), None)
    if first is None:
        if paths:
            notes.append(f"could not decode any of the first {min(tries, len(paths))} images; assuming 2D")
        return 2
    if not one_slice_2d or len(paths) < 2:
        return first[1]
    last = next(((p, d) for p in reversed(paths[-tries:]) if (d := dims(p)) is not None), None)
    if last is None or last[1] == first[1]:
        return first[1]
    picks = sorted({round(i * (len(paths) - 1) / (4 * tries - 1)) for i in range(4 * tries)})
    seen = [(p, d) for p in (paths[i] for i in picks) if (d := dims(p)) is not None]
    counts = {k: sum(d == k for _, d in seen) for k in (2, 3)}
    chosen = first[1] if counts[2] == counts[3] else max(counts, key=counts.__getitem__)
    firsts = {k: next(p for p, d in seen if d == k) for k in (2, 3) if counts[k]}
    named = ", ".join(f"{k}D: {counts[k]} (first {firsts[k]})" for k in (2, 3) if counts[k])
    why = "as the first file (a tie)" if counts[2] == counts[3] else "the majority"
    notes.append(f"images of both kinds among {len(seen)} sampled files: {named}; reading {chosen}D, {why}: the "
                 f"{5 - chosen}D files are named as undecodable by `data info`/`verify` and refused by `train`: "
                 "remove them, or export the single frame or whole volume meant")
    return chosen


def _dicom_patients(splits: dict[str, SplitData], notes: list[str], known: dict[str, str | None]) -> None:
    """Give every split patient ids from the images' DICOM PatientID when all images carry a usable one
    (:mod:`meddx.data.dicom_patients`): the carved validation split is then grouped by patient and
    ``data verify`` checks patients across splits; a note says what was read or why it was not used.
    ``known``: the PatientIDs read with each file's SOP class (``_class_images``), not read again."""
    from meddx.data.dicom_patients import dicom_patient_ids

    paths = [p for d in splits.values() for p in d.paths or []]
    ids, note = dicom_patient_ids(paths, known)
    if note:
        notes.append(note)
    if ids is None:
        return
    start = 0
    for data in splits.values():
        data.patient_ids = ids[start:start + len(data)]
        start += len(data)


def _nested_hint(nested: list[Path], root: Path) -> str:
    """What to do when the class folders hold only sub-folders: a folder of one sample's files
    (a DICOM series) is no sample of an image folder, but a CSV manifest row may name it."""
    if not nested:
        return ""
    first = ", ".join(_rel(p, root) for p in nested[:2]) + (f" and {len(nested) - 2} more" if len(nested) > 2 else "")
    return (f"; found only sub-folders inside the class folders ({first}), which an image folder does not read: "
            "for one volume per DICOM series folder, list each folder in a CSV manifest (path,label[,split])")


def _subdirs(folder: Path) -> list[Path]:
    """Visible sub-folders (skips ``.git``, ``.ipynb_checkpoints``, ``__MACOSX``), sorted."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_dir() and not p.name.startswith((".", "__"))
    )


def _class_images(folder: Path, objects: list[Path], unread: list[Path], broken: list[Path],
                  patient_ids: dict[str, str | None]) -> tuple[list[Path], int, int]:
    """Image files directly in ``folder``, and how many other files / sub-folders were skipped;
    DICOM files without an image are appended to ``objects``, pictures in formats that are not
    read (``UNREAD_SUFFIXES``) to ``unread``, symbolic links to nothing to ``broken``; the PatientID of each
    DICOM file, read with its SOP class, to ``patient_ids`` (path -> id)."""
    images, skipped, subdirs = [], 0, 0
    for p in sorted(folder.iterdir()):
        if p.is_symlink() and not p.exists() and not p.name.startswith("."):
            broken.append(p)
        elif p.is_dir():
            subdirs += 0 if p.name.startswith(".") else 1
        elif is_image_file(p):
            (objects if _dicom_without_image(p, patient_ids) else images).append(p)
        elif p.suffix.lower() in UNREAD_SUFFIXES and not p.name.startswith("."):
            unread.append(p)
        elif not p.name.startswith("."):
            skipped += 1
    return images, skipped, subdirs


UNREAD_SUFFIXES = frozenset(UNREAD_FORMATS)
"""Picture formats found in exported image folders that ``read_image`` does not read: named in the
notes as images left out (with their formats and the first file), not counted as "non-image files"."""


def _unread_hint(unread: list[Path], root: Path) -> str:
    """``"N image(s) in a format meddx does not read (.gif: 2) inside class folders (first: a/x.gif):
    convert ..."``, or "" when there are none."""
    if not unread:
        return ""
    from collections import Counter

    kinds = ", ".join(f"{k}: {n}" for k, n in sorted(Counter(p.suffix.lower() for p in unread).items()))
    return (f"{len(unread)} image(s) in a format meddx does not read ({kinds}) inside class folders "
            f"(first: {_rel(unread[0], root)}): convert them to PNG to use them")


def _stray_images(folder: Path) -> list[Path]:
    """Image files lying directly in a root or split folder, where no class applies (sorted); a
    DICOM file without an image (a CD export's DICOMDIR at the root) is none."""
    return sorted(p for p in folder.iterdir() if is_image_file(p) and not _dicom_without_image(p))


def _dicom_without_image(path: Path, patient_ids: dict[str, str | None] | None = None) -> bool:
    """Whether ``path`` is a DICOM file that holds no image (a DICOMDIR, a structured report, a key
    object or presentation state: :func:`~meddx.data.dicom_checks.dicom_frames`). Such files sit
    beside the images of a PACS or CD export; taken as samples, each would fail to decode and stop
    ``train``. DICOM is told by content, whatever the name (a PACS export's ``scan.png``; a real PNG costs
    one 544-byte read, about 0.02 ms); its file meta is read; given
    ``patient_ids``, the header up to PatientID is read instead and the id kept there (path -> id) for
    :func:`_dicom_patients`: one read a file where the file meta and then the header were read."""
    from meddx.data.dicom_checks import holds_no_image
    from meddx.data.dicom_patients import header_facts

    if detect_kind(path) != "dicom":
        return False
    if patient_ids is None:
        return holds_no_image(path)
    no_image, patient_ids[str(path)] = header_facts(path)
    return no_image


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _typo_notes(files: dict[str, dict[str, list[Path]]]) -> list[str]:
    """Notes naming a class folder with few images one typing slip from a common one
    (``Pnuemonia/`` beside ``Pneumonia/``: ``label_typos``)."""
    from collections import Counter

    from meddx.data.label_typos import label_typo_notes

    counts: Counter[str] = Counter()
    for classes in files.values():
        for name, paths in classes.items():
            counts[name] += len(paths)
    return label_typo_notes(counts, "class folder", unit="image")
