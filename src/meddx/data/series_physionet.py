"""PhysioNet/Computing in Cardiology Challenge 2012 (ICU mortality): per-patient text files.

Each record file (``set-a/132539.txt``) starts with ``Time,Parameter,Value``; rows are
``hh:mm`` since ICU admission, a parameter name and a number. The general descriptors
(``RecordID``, ``Age``, ``Gender``, ``Height``, ``ICUType`` and the first ``Weight`` at 00:00)
become the record's static features; every other row is an observation of one of the 37
time-series variables in :data:`VARIABLES` (``Weight`` rows after the descriptor one are a time
series). Outcomes come from ``Outcomes-a.txt`` (``RecordID`` and ``In-hospital_death``).

Cleaning (counted per variable in ``source.cleaning``, never zero-filled): ``-1`` is the
challenge's "missing" marker and is dropped; a value outside :data:`VALID_RANGES` is
physiologically impossible (a unit or typing error such as pH 735 or a temperature of
-17.8 degC, i.e. 0 degF) and is dropped, not rescaled; rows after ``window_hours`` are dropped.
Static ``-1`` and out-of-range values (:data:`STATIC_RANGES`) become NaN.

Speed: every file's text is split with ``str`` methods and converted to numbers in bulk (no
pandas per file): set A's 4,000 files / 1.76 M rows load in a few seconds. Nothing is cached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from meddx.core.errors import DataError
from meddx.data.csv_rows import shown_cell
from meddx.data.base import SplitData
from meddx.data.series import (
    MORTALITY_LABELS, PHYSIONET_HEADER, SeriesSource, build_records, cleaning_counts, cleaning_table,
    empty_record_note, in_range, range_table,
)

VARIABLES = ["Albumin", "ALP", "ALT", "AST", "Bilirubin", "BUN", "Cholesterol", "Creatinine", "DiasABP", "FiO2",
             "GCS", "Glucose", "HCO3", "HCT", "HR", "K", "Lactate", "Mg", "MAP", "MechVent", "Na", "NIDiasABP",
             "NIMAP", "NISysABP", "PaCO2", "PaO2", "pH", "Platelets", "RespRate", "SaO2", "SysABP", "Temp",
             "TroponinI", "TroponinT", "Urine", "WBC", "Weight"]
"""The 37 time-series variables, in the challenge's documented (alphabetical) order."""
DESCRIPTORS = ["RecordID", "Age", "Gender", "Height", "ICUType"]  # plus the first Weight at 00:00
ICU_TYPES = {1: "CCU", 2: "CSRU", 3: "MICU", 4: "SICU"}
STATIC_NAMES = ["Age", "Gender", "Height", *(f"ICUType:{v}" for v in ICU_TYPES.values()), "Weight"]
"""Static features: Age (years, 90 = 90 or older), Gender (0 female, 1 male), Height (cm), ICU type
one-hot (1 Coronary Care, 2 Cardiac Surgery Recovery, 3 Medical, 4 Surgical ICU), Weight (kg)."""

VALID_RANGES: dict[str, tuple[float, float, bool]] = {
    # name: (low, high, low is open); units as in the challenge's documentation
    "Albumin": (0, 10, True), "ALP": (0, 10000, True), "ALT": (0, 20000, True), "AST": (0, 30000, True),
    "Bilirubin": (0, 100, True), "BUN": (0, 300, True), "Cholesterol": (0, 1000, True),
    "Creatinine": (0, 30, True), "DiasABP": (0, 250, True), "FiO2": (0.21, 1.0, False), "GCS": (3, 15, False),
    "Glucose": (0, 2000, True), "HCO3": (0, 60, True), "HCT": (0, 100, True), "HR": (0, 300, True),
    "K": (0, 15, True), "Lactate": (0, 40, True), "Mg": (0, 20, True), "MAP": (0, 300, True),
    "MechVent": (0, 1, False), "Na": (80, 200, False), "NIDiasABP": (0, 250, True), "NIMAP": (0, 300, True),
    "NISysABP": (0, 300, True), "PaCO2": (5, 200, False), "PaO2": (0, 800, True), "pH": (6.5, 8.0, False),
    "Platelets": (0, 2000, True), "RespRate": (0, 100, False), "SaO2": (0, 100, True),
    "SysABP": (0, 300, True), "Temp": (25, 45, False), "TroponinI": (0, 100, True),
    "TroponinT": (0, 100, True), "Urine": (0, 10000, False), "WBC": (0, 500, True), "Weight": (20, 400, False),
}
"""Physiologically possible values per variable; a value outside is dropped and counted."""
STATIC_RANGES: dict[str, tuple[float, float, bool]] = {
    "Age": (0, 120, False), "Gender": (0, 1, False), "Height": (100, 250, False), "ICUType": (1, 4, False),
    "Weight": (20, 400, False),
}
INVALID_MARKER = -1.0
_PARAMS = DESCRIPTORS + VARIABLES  # parameter index: descriptors first, then variable index + len(DESCRIPTORS)
_N_DESC = len(DESCRIPTORS)
_WEIGHT = _PARAMS.index("Weight")


def load_physionet2012(path: str | Path, *, labels_file: str | Path | None = None,
                       label_column: str = "In-hospital_death", window_hours: float = 48.0) -> SeriesSource:
    """Read PhysioNet 2012 record files (``path``: the ``set-a`` folder or its parent) and their
    outcomes (``labels_file``, default ``Outcomes-<set>.txt`` beside the folder) into one
    ``train`` split (set A has no official validation or test split).

    ``label_column`` names the 0/1 outcome column (``In-hospital_death``); records are kept within
    ``[0, window_hours]``. Raises :class:`DataError` naming the file and line for a missing
    header, a bad ``hh:mm`` time, an unknown parameter, a non-numeric value or an empty file.
    """
    folder = _records_folder(Path(path).expanduser())
    files = sorted(p for p in folder.glob("*.txt") if not p.name.lower().startswith("outcomes"))
    if not files:
        raise DataError(f"{folder}: no record files (*.txt starting with {PHYSIONET_HEADER!r})")
    if not window_hours > 0:
        raise DataError(f"window_hours: expected a positive number of hours; got {window_hours}")
    rows = _parse_files(files)
    ids, static, counts_static = _statics(rows, files)
    rec, times, var, values, counts, keep = _series(rows, window_hours)
    records = build_records(ids, rec[keep], times[keep], var[keep], values[keep], static)
    outcomes = _find_outcomes(folder, labels_file)
    labels, notes = _labels(outcomes, label_column, ids, folder)
    notes = [f"PhysioNet 2012 records from {folder} ({len(files)} files, {rows['n_rows']} rows); labels: "
             f"{label_column} from {outcomes.name}", *notes]
    note = empty_record_note(ids, records)
    if note:
        notes.append(note)
    dropped = {k: int(v.sum()) for k, v in counts.items() if k != "n_kept"}
    notes.append("cleaning: dropped " + ", ".join(f"{v} {k[2:].replace('_', ' ')}" for k, v in dropped.items())
                 + " observations (see cleaning; ranges in the module docs)")
    cleaning = {"variables": cleaning_table(VARIABLES, counts), "static": counts_static,
                "ranges": range_table(VALID_RANGES), "static_ranges": range_table(STATIC_RANGES),
                "invalid_marker": INVALID_MARKER}
    split = SplitData(ids=ids, labels=labels, patient_ids=list(ids), records=records)
    return SeriesSource(
        name=f"physionet2012-{folder.name}", origin=str(folder), task="binary", label_names=list(MORTALITY_LABELS),
        spatial_dims=0, splits={"train": split}, notes=notes, variables=list(VARIABLES),
        static_names=list(STATIC_NAMES), window_hours=float(window_hours), cleaning=cleaning,
        options={"kind": "physionet2012", "labels_file": str(outcomes.resolve()), "label_column": label_column,
                 "window_hours": float(window_hours)},
    )


def _records_folder(path: Path) -> Path:
    """``path`` itself when it holds record files, else its single ``set-*`` sub-folder."""
    if not path.is_dir():
        raise DataError(f"{path}: expected the PhysioNet 2012 folder of record files (e.g. set-a/) or its parent")
    if any(p for p in path.glob("*.txt") if not p.name.lower().startswith("outcomes")):
        return path
    sets = sorted(p for p in path.glob("set-*") if p.is_dir())
    if len(sets) == 1:
        return sets[0]
    if sets:
        raise DataError(f"{path}: holds several record folders ({', '.join(p.name for p in sets)}); "
                        "pass one of them (e.g. physionet2012:" + str(sets[0]) + ")")
    raise DataError(f"{path}: no PhysioNet record files (*.txt starting with {PHYSIONET_HEADER!r}) or set-* folder")


def _parse_files(files: list[Path]) -> dict:
    """Flat arrays over all files: ``file`` index, ``minute``, ``param`` index, ``value``, and the
    1-based line number of each row (for messages)."""
    param_index = {p: i for i, p in enumerate(_PARAMS)}
    minute_cache: dict[str, int] = {}
    file_idx: list[int] = []
    minutes: list[int] = []
    params: list[int] = []
    raw_values: list[str] = []
    for f_i, path in enumerate(files):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot read ({exc})") from None
        lines = text.rstrip().splitlines()
        if not lines or not any(line.strip() for line in lines):
            raise DataError(f"{path}: empty file; expected the header {PHYSIONET_HEADER!r} and rows hh:mm,Parameter,Value")
        if lines[0].strip() != PHYSIONET_HEADER:
            raise DataError(f"{path}, line 1: missing header; expected {PHYSIONET_HEADER!r}, "
                            f"found {shown_cell(lines[0][:60])}")
        rows = [line.split(",") for line in lines[1:] if line]
        if len(rows) != len(lines) - 1:  # blank lines: keep line numbers exact by refusing them
            bad = next(i for i, line in enumerate(lines[1:], start=2) if not line)
            raise DataError(f"{path}, line {bad}: empty line; expected hh:mm,Parameter,Value")
        for line_no, row in enumerate(rows, start=2):
            if len(row) != 3:
                raise DataError(f"{path}, line {line_no}: expected 3 comma-separated fields (hh:mm,Parameter,Value); "
                                f"found {len(row)}")
            minute = minute_cache.get(row[0])
            if minute is None:
                minute = minute_cache[row[0]] = _minutes(row[0], path, line_no)
            index = param_index.get(row[1])
            if index is None:
                raise DataError(f"{path}, line {line_no}: unknown parameter {row[1]!r}; expected one of "
                                f"{', '.join(_PARAMS)}")
            minutes.append(minute)
            params.append(index)
            raw_values.append(row[2])
        file_idx.extend([f_i] * len(rows))
    return {"file": np.asarray(file_idx, dtype=np.int64), "minute": np.asarray(minutes, dtype=np.int64),
            "param": np.asarray(params, dtype=np.int64), "value": _numbers(raw_values, files, file_idx),
            "n_rows": len(raw_values)}


def _minutes(text: str, path: Path, line_no: int) -> int:
    hours, sep, mins = text.strip().partition(":")
    if sep and hours.isdigit() and mins.isdigit() and len(mins) == 2 and int(mins) < 60:
        return int(hours) * 60 + int(mins)
    raise DataError(f"{path}, line {line_no}: bad time {text!r}; expected hh:mm since ICU admission (e.g. 07:35)")


def _numbers(raw: list[str], files: list[Path], file_idx: list[int]) -> np.ndarray:
    """All values as float64; the first non-numeric one raises naming its file and line."""
    try:
        values = np.asarray(raw, dtype=np.float64)
        if np.isfinite(values).all():
            return values
    except ValueError:
        pass
    for i, text in enumerate(raw):
        try:
            ok = np.isfinite(float(text))
        except ValueError:
            ok = False
        if not ok:
            path = files[file_idx[i]]
            line_no = i - file_idx.index(file_idx[i]) + 2
            raise DataError(f"{path}, line {line_no}: value {shown_cell(text)} is not a finite number")
    raise AssertionError("unreachable")  # pragma: no cover


def _statics(rows: dict, files: list[Path]) -> tuple[list[str], np.ndarray, dict]:
    """Record ids (RecordID, else the file name) and the static matrix (NaN where missing)."""
    n = len(files)
    file, param, value, minute = rows["file"], rows["param"], rows["value"], rows["minute"]
    desc = {}
    for name in [*DESCRIPTORS, "Weight"]:
        p = _PARAMS.index(name)
        sel = (param == p) & (minute == 0) if name == "Weight" else param == p
        col = np.full(n, np.nan)
        idx = np.flatnonzero(sel)
        first = np.unique(file[idx], return_index=True)  # first occurrence per file
        col[first[0]] = value[idx[first[1]]]
        desc[name] = col
    ids = [str(int(r)) if np.isfinite(r) else f.stem for r, f in zip(desc["RecordID"], files)]
    counts: dict[str, dict[str, int]] = {}
    for name, (lo, hi, open_) in STATIC_RANGES.items():
        col = desc[name]
        marker = col == INVALID_MARKER
        bad = np.isfinite(col) & ~marker & ~in_range(col, lo, hi, open_)
        col[marker | bad] = np.nan
        counts[name] = {"n_kept": int(np.isfinite(col).sum()), "n_invalid_marker": int(marker.sum()),
                        "n_out_of_range": int(bad.sum()), "n_missing_row": int(np.isnan(col).sum() - marker.sum()
                                                                               - bad.sum())}
    icu = desc["ICUType"]
    onehot = [np.where(np.isnan(icu), np.nan, (icu == code).astype(np.float64)) for code in ICU_TYPES]
    static = np.stack([desc["Age"], desc["Gender"], desc["Height"], *onehot, desc["Weight"]], axis=1)
    return ids, static, counts


def _series(rows: dict, window_hours: float) -> tuple:
    """Time-series rows (descriptors and the static Weight removed), their cleaning flags and the
    boolean ``keep``."""
    file, param, value, minute = rows["file"], rows["param"], rows["value"], rows["minute"]
    is_var = param >= _N_DESC
    weight_rows = np.flatnonzero((param == _WEIGHT) & (minute == 0))
    static_weight = weight_rows[np.unique(file[weight_rows], return_index=True)[1]]
    is_var[static_weight] = False
    rec, times = file[is_var], minute[is_var] / 60.0
    var, values = param[is_var] - _N_DESC, value[is_var]
    low = np.asarray([VALID_RANGES[v][0] for v in VARIABLES])[var]
    high = np.asarray([VALID_RANGES[v][1] for v in VARIABLES])[var]
    open_ = np.asarray([VALID_RANGES[v][2] for v in VARIABLES])[var]
    marker = values == INVALID_MARKER
    valid = np.where(open_, values > low, values >= low) & (values <= high)
    out_of_range = ~marker & ~valid
    after = ~marker & ~out_of_range & (times > window_hours)
    keep = ~(marker | out_of_range | after)
    counts = cleaning_counts(var, len(VARIABLES), n_kept=keep, n_invalid_marker=marker,
                             n_out_of_range=out_of_range, n_after_window=after)
    return rec, times, var, values, counts, keep


def _find_outcomes(folder: Path, labels_file: str | Path | None) -> Path:
    if labels_file is not None:
        path = Path(labels_file).expanduser()
        if not path.is_file():
            raise DataError(f"{path}: labels file not found (--labels-file / labels_file)")
        return path
    suffix = folder.name.split("-")[-1] if folder.name.lower().startswith("set-") else None
    places = [folder.parent, folder]
    for place in places:
        if suffix and (place / f"Outcomes-{suffix}.txt").is_file():
            return place / f"Outcomes-{suffix}.txt"
    found = sorted({p for place in places for p in place.glob("Outcomes*.txt")})
    if len(found) == 1:
        return found[0]
    want = f"Outcomes-{suffix}.txt" if suffix else "Outcomes-a.txt"
    raise DataError(f"{folder}: no outcomes file found ({'several' if found else 'none'} beside it); put {want} next "
                    f"to the folder ({folder.parent / want}) or pass --labels-file")


def _labels(outcomes: Path, label_column: str, ids: list[str], folder: Path) -> tuple[np.ndarray, list[str]]:
    """0/1 labels in ``ids`` order; every record needs an outcome row."""
    import csv

    with outcomes.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise DataError(f"{outcomes}: empty file; expected a header RecordID,...,{label_column}")
    header = [h.strip() for h in rows[0]]
    if "RecordID" not in header or label_column not in header:
        raise DataError(f"{outcomes}, line 1: expected columns RecordID and {label_column!r} (label_column); "
                        f"found {', '.join(header)}")
    i_id, i_label = header.index("RecordID"), header.index(label_column)
    outcome: dict[str, int] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        cell = row[i_label].strip() if len(row) > i_label else ""
        if cell not in ("0", "1"):
            raise DataError(f"{outcomes}, line {line_no}: {label_column} must be 0 or 1; found {cell!r}")
        outcome[row[i_id].strip()] = int(cell)
    missing = [i for i in ids if i not in outcome]
    if missing:
        raise DataError(f"{outcomes}: {len(missing)} record(s) of {folder} have no outcome row, e.g. "
                        f"{', '.join(missing[:5])}; every record needs a label")
    extra = len(set(outcome) - set(ids))
    notes = [f"{extra} outcome row(s) have no record file in {folder} (ignored)"] if extra else []
    return np.asarray([outcome[i] for i in ids], dtype=np.int64), notes
