"""Time series in long format: one observation per row, labels in a second file.

Series file (CSV, header required): ``patient_id,time,variable,value`` (the id column's name is
set with ``id_column`` / ``--id-column``; the others are matched case-insensitively). ``time`` is

- a number of hours since admission (``3.5``), or ``hh:mm`` since admission (``03:30``), or
- an ISO timestamp (``2101-10-20 19:08:44``), made relative to that patient's first timestamped
  observation (a file mixes no absolute with relative times);

a row with an *empty* time is a static feature of the patient (age, sex, ...). ``value`` must be
a finite number. There is no range table for free-form variables: clean impossible values before
(or use the PhysioNet/MIMIC readers, which have one); rows before 0 h or after ``window_hours``
are dropped and counted (``window_hours=None`` keeps all and sets the window to the last
observation, rounded up to an hour; ``options["window_hours"]`` records the window used, so a
bundle's evaluation re-reads other files with the training window).

Labels file (CSV): the id column, ``label_column`` (0/1, or two class names: a "no finding" name
such as ``survived``/``negative`` is class 0, else alphabetical; more names make a multi-class
source), optionally ``split`` (train/val/test) and ``patient_column`` (patients stay on one side
of every split; default: the id). Variables and static names are sorted alphabetically.
Messages give the file's line number (the header is line 1).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.data.csv_rows import shown_cell
from meddx.data.base import SPLITS, SplitData, order_label_names
from meddx.data.series import SeriesSource, build_records, cleaning_counts, cleaning_table, empty_record_note
from meddx.data.splits import split_alias

_HHMM = re.compile(r"^\s*(\d+):([0-5]\d)\s*$")
_SHOW = 5
_NEGATIVE_OUTCOMES = {"survived", "alive", "survivor", "discharged", "false", "0"}


def load_long_csv(path: str | Path, *, labels_file: str | Path, label_column: str = "label",
                  id_column: str = "patient_id", patient_column: str | None = None,
                  window_hours: float | None = None, variables: list[str] | None = None,
                  static_names: list[str] | None = None) -> SeriesSource:
    """Read a long-format series CSV and its labels file into a :class:`SeriesSource` (see the
    module docstring for the formats; splits come from the labels file's ``split`` column, else
    everything is ``train``).

    ``variables`` / ``static_names`` fix the names and their order (a bundle's, recorded in
    ``options``): a file read for evaluation indexes its observations as training did even when it
    lacks a variable, and a name outside the lists is an error naming its line."""
    path, labels_path = Path(path).expanduser(), Path(labels_file).expanduser()
    if window_hours is not None and not window_hours > 0:
        raise DataError(f"window_hours: expected a positive number of hours; got {window_hours}")
    table = _read_csv(path, [id_column, "time", "variable", "value"], "series")
    ids_col, time_col, var_col, value_col = (table.pop(k) for k in ("__0", "__1", "__2", "__3"))
    blank = np.flatnonzero((ids_col == "").to_numpy() | (var_col == "").to_numpy())
    if blank.size:
        raise DataError(f"{path}, line {int(blank[0]) + 2}: empty {id_column!r} or 'variable' cell")
    values = _numbers(value_col, path)
    is_static = time_col.str.strip() == ""
    hours = _hours(time_col, ids_col, is_static, path)
    labels = _read_labels(labels_path, id_column, label_column, patient_column)
    index = {sid: i for i, sid in enumerate(labels["ids"])}
    _check_ids(path, labels_path, set(ids_col.unique()), index)
    rec = ids_col.map(index).to_numpy(np.int64)
    static_names = _names(path, var_col, is_static, static_names, "static descriptor")
    variables = _names(path, var_col, ~is_static, variables, "variable")
    static = np.full((len(index), len(static_names)), np.nan)
    sel = is_static.to_numpy()
    s_idx = var_col[is_static].map({n: j for j, n in enumerate(static_names)}).to_numpy(np.int64)
    static[rec[sel], s_idx] = values[sel]  # a repeated static row: the last one wins
    ts = ~sel
    var = var_col[~is_static].map({n: j for j, n in enumerate(variables)}).to_numpy(np.int64)
    t, x, r = hours[ts], values[ts], rec[ts]
    window = float(window_hours) if window_hours is not None else float(max(1, math.ceil(t.max(initial=0.0))))
    before, after = t < 0, t > window
    copies = exact_copies(r, t, var, x)  # a repeated extract row would count twice in the aggregates
    keep = ~(before | after | copies)
    counts = cleaning_counts(var, len(variables), n_kept=keep, n_invalid_marker=np.zeros_like(keep),
                             n_out_of_range=np.zeros_like(keep), n_after_window=after, n_before_window=before)
    records = build_records(labels["ids"], r[keep], t[keep], var[keep], x[keep], static)
    notes = [f"long-format series {path.name}: {len(ids_col)} rows, {len(variables)} variables, "
             f"{len(static_names)} static; labels {label_column!r} from {labels_path.name}",
             *labels["notes"]]
    if before.any() or after.any():
        notes.append(f"dropped {int(before.sum())} observation(s) before 0 h and {int(after.sum())} after "
                     f"{window:g} h (window)")
    copied = copies_note(labels["ids"], variables, copies, r, t, var)
    if copied:
        notes.append(copied)
    conflict = _conflict_note(labels["ids"], variables, r[keep], t[keep], var[keep], x[keep])
    if conflict:
        notes.append(conflict)
    note = empty_record_note(labels["ids"], records)
    if note:
        notes.append(note)
    splits = {}
    for name in [s for s in SPLITS if s in set(labels["split"])]:
        idx = [i for i, s in enumerate(labels["split"]) if s == name]
        splits[name] = SplitData(ids=[labels["ids"][i] for i in idx], labels=labels["y"][idx],
                                 patient_ids=[labels["patients"][i] for i in idx], records=[records[i] for i in idx])
    names = labels["names"]
    return SeriesSource(
        name=path.stem, origin=str(path), task="binary" if len(names) == 2 else "multiclass", label_names=names,
        spatial_dims=0, splits=splits, notes=notes, variables=variables, static_names=static_names,
        window_hours=window, cleaning={"variables": cleaning_table(variables, counts), "ranges": {},
                                       # what predict notes of such rows, for evaluate to say too
                                       "row_notes": [n for n in (copied, conflict) if n]},
        # The labels file absolute (evaluation from another folder reads the same file) and the window
        # actually used (the last observation when none was given), so a re-read matches this one.
        options={"kind": "long", "labels_file": str(labels_path.resolve()), "label_column": label_column,
                 "id_column": id_column, "patient_column": patient_column, "window_hours": window,
                 "variables": variables, "static_names": static_names},
    )


def _conflict_note(ids: list[str], variables: list[str], rec: np.ndarray, t: np.ndarray, var: np.ndarray,
                   x: np.ndarray) -> str | None:
    """A note counting (stay, variable, time) triples with two different values (a re-charted or
    mis-merged row): sequence models keep the later row, the aggregates use both, so say so."""
    order = np.lexsort((var, t, rec))
    r, tt, v, xx = rec[order], t[order], var[order], x[order]
    clash = np.flatnonzero((r[1:] == r[:-1]) & (tt[1:] == tt[:-1]) & (v[1:] == v[:-1]) & (xx[1:] != xx[:-1]))
    if not clash.size:
        return None
    n = np.unique(np.stack([r[clash], tt[clash], v[clash]]), axis=1).shape[1]
    i = int(clash[0])
    return (f"{n} time(s) where a stay has two different values of one variable, e.g. {ids[r[i]]} "
            f"{variables[v[i]]} at {tt[i]:g} h: {xx[i]:g} and {xx[i + 1]:g} (sequence models keep the later row, "
            "the first/last/min/max/mean aggregates use every row); deduplicate the file if that is not intended")


def exact_copies(rec: np.ndarray, t: np.ndarray, var: np.ndarray, x: np.ndarray) -> np.ndarray:
    """True for each row repeating an earlier one exactly (stay, time, variable and value): a file
    appended twice or a join that fanned out. Kept, such copies doubled the ``count`` aggregate and
    moved the risk (0.0054 to 0.0070 for a stay whose rows were all given twice) with no word."""
    order = np.lexsort((x, var, t, rec))
    same = np.zeros(len(rec), dtype=bool)
    if len(rec) > 1:
        a, b = order[1:], order[:-1]
        same[a] = (rec[a] == rec[b]) & (t[a] == t[b]) & (var[a] == var[b]) & (x[a] == x[b])
    return same


def copies_note(ids: list[str], variables: list[str], copies: np.ndarray, rec: np.ndarray, t: np.ndarray,
                var: np.ndarray) -> str | None:
    """A note counting the exact copies :func:`exact_copies` found (dropped), with the first one."""
    if not copies.any():
        return None
    i = int(np.flatnonzero(copies)[0])
    return (f"dropped {int(copies.sum())} row(s) repeating another exactly (same stay, time, variable and value; "
            f"e.g. {ids[rec[i]]} {variables[var[i]]} at {t[i]:g} h): a repeated row is not a second measurement")


def _names(path: Path, names: Any, rows: Any, given: list[str] | None, kind: str) -> list[str]:
    """The variable (or static) names of ``rows``: sorted, or ``given`` in its order when every
    name of the file is in it. Without this, a file lacking one training variable would shift
    every later index onto the wrong variable (sorted names of another file)."""
    found = sorted(names[rows].unique())
    if given is None:
        return found
    unknown = [n for n in found if n not in set(given)]
    if unknown:
        line = int(np.flatnonzero((rows & names.isin(unknown)).to_numpy())[0]) + 2
        raise DataError(f"{path}, line {line}: {kind} {unknown[0]!r} is not one of the {len(given)} the model was "
                        f"trained on ({', '.join(given) or 'none'}); {len(unknown)} unknown name(s): "
                        f"{', '.join(unknown[:_SHOW])}; remove those rows or rename them")
    return list(given)


def _read_csv(path: Path, wanted: list[str], what: str, optional: tuple[str, ...] = ()) -> Any:
    """The file as strings; ``wanted`` columns (case-insensitive) renamed ``__0``, ``__1``, ...; separated by
    commas, or by the ``;``, tab or ``|`` of its header line (:func:`meddx.data.series.csv_separator`)."""
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: {what} file not found")
    if not path.read_bytes()[:4096].strip():
        raise DataError(f"{path}: empty file; expected a header line ({','.join(wanted)}) and rows")
    from meddx.data.csv_rows import check_field_counts
    from meddx.data.series import csv_separator

    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        sep = csv_separator(path, fh.readline())
    check_field_counts(path, delimiter=sep, skipinitialspace=True)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, sep=sep)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot parse as CSV ({str(exc).splitlines()[0]})") from None
    lower = {str(c).strip().lower(): c for c in frame.columns}
    missing = [w for w in wanted if w.lower() not in lower]
    if missing:
        flag = {wanted[0]: "--id-column / id_column"}
        hints = "; ".join(f"set {w!r} with {flag[w]}" for w in missing if w in flag)
        raise DataError(f"{path}, line 1: missing column(s) {', '.join(missing)}; found columns: "
                        f"{', '.join(map(str, frame.columns))} (the first line must be a header "
                        f"{','.join(wanted)}{'; ' + hints if hints else ''})")
    out = frame.rename(columns={lower[w.lower()]: f"__{i}" for i, w in enumerate(wanted)})
    for opt in optional:
        if opt.lower() in lower and lower[opt.lower()] not in [lower[w.lower()] for w in wanted]:
            out = out.rename(columns={lower[opt.lower()]: f"__{opt}"})
    for col in [c for c in out.columns if str(c).startswith("__")]:
        out[col] = out[col].str.strip()
    if not len(out):
        raise DataError(f"{path}: header only, no data rows")
    return out


def _numbers(column: Any, path: Path) -> np.ndarray:
    """The ``value`` cells as float64; a cell that is no finite number, or one beyond the float32
    range the records and models hold (about 3.4e38; ``1e39`` became ``inf`` there, with a numpy
    overflow warning and an error naming an aggregate column, not the file), is an error naming
    its line."""
    import pandas as pd

    values = pd.to_numeric(column, errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{path}, line {i + 2}: value {shown_cell(column.iloc[i])} is not a finite number "
                        f"({bad.size} such row(s)); remove or fix them")
    huge = np.flatnonzero(np.abs(values) > float(np.finfo(np.float32).max))
    if huge.size:
        i = int(huge[0])
        raise DataError(f"{path}, line {i + 2}: value {column.iloc[i]!r} is beyond the float32 range (about "
                        f"3.4e38) that series are held in ({huge.size} such row(s)); check the value and its unit")
    return values


def _hours(column: Any, ids: Any, is_static: Any, path: Path) -> np.ndarray:
    """Hours since admission per row (NaN for static rows); see the module docstring."""
    import pandas as pd

    hours = pd.to_numeric(column, errors="coerce").to_numpy(np.float64)
    parts = column.str.extract(_HHMM)
    clock = parts[0].astype(float).to_numpy() + parts[1].astype(float).to_numpy() / 60.0
    hours = np.where(np.isfinite(hours), hours, clock)
    stamp = pd.to_datetime(column.where(~np.isfinite(hours)), format="ISO8601", errors="coerce")
    absolute = stamp.notna().to_numpy() & ~is_static.to_numpy()
    bad = np.flatnonzero(~np.isfinite(hours) & ~absolute & ~is_static.to_numpy())
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{path}, line {i + 2}: bad time {column.iloc[i]!r}; expected hours (3.5), hh:mm since "
                        f"admission (03:30) or an ISO timestamp (2101-10-20 19:08:44); {bad.size} such row(s)")
    relative = np.isfinite(hours) & ~is_static.to_numpy()
    if absolute.any() and relative.any():
        i = int(np.flatnonzero(relative if relative.sum() < absolute.sum() else absolute)[0])
        raise DataError(f"{path}, line {i + 2}: mixes ISO timestamps with relative hours; use one kind per file")
    if absolute.any():
        secs = (stamp - stamp.groupby(ids).transform("min")).dt.total_seconds().to_numpy(np.float64)
        hours = np.where(absolute, secs / 3600.0, hours)
    return hours


def _read_labels(path: Path, id_column: str, label_column: str, patient_column: str | None) -> dict:
    wanted = [id_column, label_column] + ([patient_column] if patient_column else [])
    table = _read_csv(path, wanted, "labels", optional=("split",))
    ids = table["__0"].tolist()
    dup = table["__0"][table["__0"].duplicated()].unique().tolist()
    if dup:
        raise DataError(f"{path}: {len(dup)} id(s) appear more than once, e.g. {', '.join(dup[:_SHOW])}")
    empty = np.flatnonzero((table["__0"] == "").to_numpy() | (table["__1"] == "").to_numpy())
    if empty.size:
        raise DataError(f"{path}, line {int(empty[0]) + 2}: empty id or {label_column!r} cell")
    from meddx.data.tabular_read import normalise_value

    raw = [normalise_value(v) for v in table["__1"].tolist()]  # "1.0" is the class "1", as in tables
    names = _order_names(set(raw))
    if len(names) == 1:
        if names[0] not in ("0", "1"):
            raise DataError(f"{path}: {label_column!r} holds one class ({names[0]!r}); expected two (0/1 or names)")
        names = ["0", "1"]
    lookup = {n: i for i, n in enumerate(names)}
    notes = []
    if "__split" in table.columns:
        split = []
        for i, cell in enumerate(table["__split"].tolist()):
            alias = split_alias(cell)
            if alias is None:
                raise DataError(f"{path}, line {i + 2}: split {cell!r}; expected train, val or test")
            split.append(alias)
    else:
        split = ["train"] * len(ids)
        notes.append("labels file has no split column: every record is in train")
    counts = {n: raw.count(n) for n in names}
    rare = [f"{n!r} ({c} record(s))" for n, c in counts.items()
            if len(names) > 2 and c < 5 and 5 * c < max(counts.values())]
    if rare:
        notes.append(f"{label_column!r} has {len(names)} classes, some nearly empty: {', '.join(rare)}; check the "
                     "labels file if the outcome is meant to be binary")
    patients = table["__2"].tolist() if patient_column else list(ids)
    return {"ids": ids, "y": np.asarray([lookup[v] for v in raw], np.int64), "names": names, "split": split,
            "patients": patients, "notes": notes}


def _order_names(values: set[str]) -> list[str]:
    """:func:`order_label_names`, also knowing the outcome words (``survived``, ``alive``) as class 0."""
    names = order_label_names(values)
    negatives = [n for n in names if n.strip().lower() in _NEGATIVE_OUTCOMES]
    if len(names) == 2 and len(negatives) == 1:
        names = [negatives[0], *(n for n in names if n != negatives[0])]
    return names


def _check_ids(series: Path, labels: Path, series_ids: set, index: dict) -> None:
    without_series = [i for i in index if i not in series_ids]
    without_label = sorted(series_ids - set(index))
    problems = []
    if without_label:
        problems.append(f"{len(without_label)} id(s) in {series.name} have no label in {labels.name}, e.g. "
                        f"{', '.join(without_label[:_SHOW])}")
    if without_series:
        problems.append(f"{len(without_series)} id(s) in {labels.name} have no rows in {series.name}, e.g. "
                        f"{', '.join(without_series[:_SHOW])}")
    if problems:
        raise DataError(f"{series}: " + "; ".join(problems) + " (check the id column, --id-column)")
