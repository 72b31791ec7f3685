"""A CSV manifest: one row per image with ``path,label[,patient_id][,split]``.

Paths are relative to the CSV's folder (or absolute). Labels are strings; a label holding
``|`` (``effusion|mass``) makes the source multi-label, and an empty label there means "no
finding". A manifest whose rows all hold one label is read as single-label unless it is declared
multi-label as documents are, with ``label_delimiter`` (``--label-delimiter '|'``, or the config
field): its cells are then split on that delimiter whatever they hold. Labels that are all
integers are ordered numerically ("2" before "10"), others alphabetically. Rows without a
``split`` column all go to train. Without a ``patient_id`` column, a manifest of DICOM files (or series
folders) takes each file's PatientID as its patient, as an image folder does
(:mod:`meddx.data.dicom_patients`); with one, the column is used, and a note says when it gives one
DICOM patient several ids. Line numbers in errors count the header as line 1, as a
spreadsheet shows them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import (SPLITS, ImageSource, SplitData, TaskType, case_clash_notes, order_label_names,
                             too_few_classes)
from meddx.data.imagefolder import guess_spatial_dims
from meddx.data.splits import SPLIT_ALIASES, split_alias

COLUMNS = "path,label[,patient_id][,split]"
MULTILABEL_SEP = "|"


def load_manifest(csv_path: str | Path, label_delimiter: str | None = None) -> ImageSource:
    """Read a CSV manifest into an :class:`ImageSource` holding file paths.

    ``label_delimiter`` declares the manifest multi-label, its cells joined by it (even when every
    row holds one label); ``None``: multi-label when a label holds ``|``. Raises ``DataError`` for a
    missing ``path``/``label`` column, a row whose file does not exist, a duplicated path, an empty
    single-label value or an unknown split value, naming the CSV line.
    """
    import pandas as pd

    csv_path = Path(csv_path)
    if label_delimiter == "":
        raise DataError(f"{csv_path}: label_delimiter {label_delimiter!r}: expected the character(s) joining the "
                        f"labels of a multi-label cell, e.g. '{MULTILABEL_SEP}'")
    if not csv_path.is_file():
        raise DataError(f"{csv_path}: no such file; expected a CSV manifest with columns {COLUMNS}")
    from meddx.data.csv_rows import check_field_counts

    check_field_counts(csv_path, skipinitialspace=True)
    _check_utf8(csv_path)
    try:
        df = pd.read_csv(csv_path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # empty file, bad quoting, binary content
        raise DataError(f"{csv_path}: cannot read as CSV ({exc}); expected columns {COLUMNS}") from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    for column in ("path", "label"):
        if column not in df.columns:
            raise DataError(
                f"{csv_path}: no {column!r} column; found columns: {', '.join(df.columns)}; expected {COLUMNS}"
            )
    if len(df) == 0:
        raise DataError(f"{csv_path}: no rows; expected one row per image with columns {COLUMNS}")

    base = csv_path.parent
    raw_paths = [p.strip() for p in df["path"]]
    lines = list(range(2, len(df) + 2))
    paths = _resolve_paths(raw_paths, lines, base, csv_path)
    labels_raw = [lbl.strip() for lbl in df["label"]]
    sep = label_delimiter if label_delimiter is not None else MULTILABEL_SEP
    multilabel = label_delimiter is not None or any(MULTILABEL_SEP in lbl for lbl in labels_raw)
    splits_col = _split_values(df, lines, csv_path)
    patients, notes = _patients(df, raw_paths, lines, csv_path)
    patients = _dicom_patients(patients, paths, splits_col, csv_path, notes)

    if multilabel:
        sets = [[x.strip() for x in lbl.split(sep) if x.strip()] for lbl in labels_raw]
        label_names = order_label_names({x for s in sets for x in s})
        index = {n: i for i, n in enumerate(label_names)}
        labels = np.zeros((len(df), len(label_names)), dtype=np.int64)
        for row, names in enumerate(sets):
            labels[row, [index[n] for n in names]] = 1
        task: TaskType = "multilabel"
    else:
        empty = [line for line, lbl in zip(lines, labels_raw) if not lbl]
        if empty:
            raise DataError(
                f"{csv_path}: line {empty[0]}: empty label ({len(empty)} row(s) in all); expected a class "
                "name in every row (use a|b for multi-label rows)"
            )
        label_names = order_label_names(set(labels_raw))
        index = {n: i for i, n in enumerate(label_names)}
        labels = np.asarray([index[lbl] for lbl in labels_raw], dtype=np.int64)
        task = "binary" if len(label_names) == 2 else "multiclass"
    notes += case_clash_notes(label_names, f"{csv_path.name}: labels")
    notes += _typo_notes(labels_raw, lines, sep if multilabel else None, f"{csv_path.name}: label")
    if too_few_classes(len(label_names)):
        raise DataError(
            f"{csv_path}: found {len(label_names)} label value(s) ({', '.join(label_names)}); expected at least 2"
        )

    splits: dict[str, SplitData] = {}
    for split in SPLITS:
        rows = [i for i, s in enumerate(splits_col) if s == split]
        if not rows:
            continue
        splits[split] = SplitData(
            ids=[raw_paths[i] for i in rows],
            labels=labels[rows],
            patient_ids=None if patients is None else [patients[i] for i in rows],
            paths=[paths[i] for i in rows],
        )
    if "train" not in splits:
        notes.append(f"{csv_path.name}: no train rows")
    spatial_dims = guess_spatial_dims(paths, notes, one_slice_2d=True)
    return ImageSource(name=csv_path.stem, origin=str(csv_path), task=task, label_names=label_names,
                       spatial_dims=spatial_dims, splits=splits, notes=notes)


def _typo_notes(labels_raw: list[str], lines: list[int], sep: str | None, what: str) -> list[str]:
    """Notes naming a rare label one typing slip from a common one (``label_typos``); ``sep``: the
    delimiter of a multi-label manifest's cells (``None``: single-label)."""
    from collections import Counter

    from meddx.data.label_typos import label_typo_notes

    counts: Counter[str] = Counter()
    first_line: dict[str, int] = {}
    for line, value in zip(lines, labels_raw):
        names = [x.strip() for x in value.split(sep) if x.strip()] if sep is not None else [value]
        for name in names:
            counts[name] += 1
            first_line.setdefault(name, line)
    return label_typo_notes(counts, what, first_line)


def _resolve_paths(raw: list[str], lines: list[int], base: Path, csv_path: Path) -> list[str]:
    """Absolute paths; the first missing file, empty cell or repeated path raises."""
    seen: dict[str, int] = {}
    out = []
    missing = []
    for line, p in zip(lines, raw):
        if not p:
            raise DataError(f"{csv_path}: line {line}: empty path; expected a file path relative to {base}")
        full = manifest_path(p, base)
        key = str(full.resolve())
        if key in seen:
            raise DataError(
                f"{csv_path}: line {line}: path {p!r} already listed on line {seen[key]}; expected one row "
                "per image (join multi-label names with '|')"
            )
        seen[key] = line
        if not full.exists():
            missing.append((line, p, full))
        out.append(str(full))
    if missing:
        line, p, full = missing[0]
        raise DataError(
            f"{csv_path}: line {line}: file {p!r} not found (looked for {full}); {len(missing)} missing "
            f"file(s) in all; expected paths relative to {base} or absolute{missing_path_hint(p, base)}"
        )
    return out


def missing_path_hint(path: str, base: Path) -> str:
    """Why a manifest path may be missing, when that can be seen: a Windows drive path (``C:\\x.png``,
    a manifest written on the PACS workstation), or a path written from the current folder rather
    than the CSV's (a manifest in ``lists/`` naming ``data/a.png``, which sits in ``./data``). Shared by
    the image manifest and the segmentation one (``seg_readers``); ``""`` when nothing can be seen."""
    if _WINDOWS_ABSOLUTE.match(path):
        return (": it is a Windows drive or network path, which this machine cannot open; write the paths relative "
                "to the CSV")
    here = Path.cwd()
    if Path(path).is_absolute() or base.resolve() == here.resolve():
        return ""
    if (here / path).exists() or ("\\" in path and (here / path.replace("\\", "/")).exists()):
        return (f": the file is there relative to the current folder ({here}), but paths are read relative to the "
                f"CSV's folder, not the one meddx runs in: write them relative to {base}, or move the CSV")
    return ""


def _check_utf8(csv_path: Path) -> None:
    """``DataError`` naming the line of the first byte that is not UTF-8: Excel's plain "CSV" is
    written in the Windows code page, and pandas' own error counts bytes within its read chunk."""
    raw = csv_path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{csv_path}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); expected a UTF-8 "
                        "CSV: save it as 'CSV UTF-8' (Excel) or convert it (iconv -f cp1252 -t utf-8)") from None


_WINDOWS_ABSOLUTE = re.compile(r"^([A-Za-z]:[\\/]|\\\\)")  # C:\x, C:/x, \\server\share


def manifest_path(path: str, base: Path) -> Path:
    """``path`` made absolute against ``base``; a relative path written with Windows separators
    (``images\\a.png``, from a manifest made on Windows) is read with ``/`` when no file has the
    literal name (a backslash is a legal, but rare, character of a POSIX file name). Shared by the
    image and the segmentation manifests."""
    full = Path(path) if Path(path).is_absolute() else base / path
    if "\\" in path and not full.exists():
        posix = base / path.replace("\\", "/")
        return posix if posix.exists() else full
    return full


def _split_values(df, lines: list[int], csv_path: Path) -> list[str]:  # type: ignore[no-untyped-def]
    if "split" not in df.columns:
        return ["train"] * len(df)
    out = []
    for line, value in zip(lines, df["split"]):
        split = split_alias(value)
        if split is None and not str(value).strip():  # a row left blank in the spreadsheet: say so, not "unknown ''"
            empty = sum(not str(v).strip() for v in df["split"])
            raise DataError(
                f"{csv_path}: line {line}: empty split ({empty} row(s) in all); expected one of "
                f"{', '.join(sorted(set(SPLIT_ALIASES)))} in every row (or no split column: all rows train)"
            )
        if split is None:
            raise DataError(
                f"{csv_path}: line {line}: unknown split {value!r}; expected one of "
                f"{', '.join(sorted(set(SPLIT_ALIASES)))}"
            )
        out.append(split)
    return out


def _patients(df, raw_paths: list[str], lines: list[int],  # type: ignore[no-untyped-def]
              csv_path: Path) -> tuple[list[str] | None, list[str]]:
    """Patient ids, with an empty cell replaced by the sample's own path (its own group)."""
    if "patient_id" not in df.columns:
        return None, []
    values = [v.strip() for v in df["patient_id"]]
    empty = [line for line, v in zip(lines, values) if not v]
    notes = []
    if empty:
        notes.append(
            f"{csv_path.name}: {len(empty)} row(s) with an empty patient_id (first on line {empty[0]}) "
            "are treated as separate patients"
        )
    notes += _leading_zero_note(values, csv_path)
    return [v or f"path:{p}" for v, p in zip(values, raw_paths)], notes


def _dicom_patients(patients: list[str] | None, paths: list[str], splits: list[str], csv_path: Path,
                    notes: list[str]) -> list[str] | None:
    """Patient ids of a manifest listing DICOM files (or series folders): without a ``patient_id`` column, their
    PatientID, as an image folder's (:func:`meddx.data.dicom_patients.dicom_patient_ids`: placeholder and constant
    ids of anonymised exports are not used, a note says why); with one, the column, and a note when it gives one
    DICOM patient several ids (:func:`~meddx.data.dicom_patients.column_split_note`)."""
    from meddx.data.dicom_patients import column_split_note, dicom_patient_ids

    if patients is not None:
        note = column_split_note(patients, paths, splits, csv_path.name)
        notes += [note] if note else []
        return patients
    ids, note = dicom_patient_ids(paths)
    notes += [note] if note else []
    return ids


def _leading_zero_note(values: list[str], csv_path: Path) -> list[str]:
    """A note when numeric patient ids differ only in leading zeros ("007" and "7"): ids are
    compared as text, as written, but a spreadsheet that stored them as numbers drops the zeros in
    one export and not another, and the two would then hide one patient on two sides of a split."""
    spellings: dict[int, set[str]] = {}
    for v in values:
        if v.isascii() and v.isdigit():
            spellings.setdefault(int(v), set()).add(v)
    clashes = [sorted(s, key=len, reverse=True) for s in spellings.values() if len(s) > 1]
    if not clashes:
        return []
    shown = ", ".join(" and ".join(repr(x) for x in c) for c in clashes[:3])
    return [f"{csv_path.name}: {len(clashes)} patient id(s) differ only in leading zeros ({shown}); they are read "
            "as different patients: write each patient's id one way if they are one patient"]


