"""Unlabelled stays for prediction: patient files read with a bundle's variables and window.

Two formats: PhysioNet 2012 record files (``Time,Parameter,Value``; one stay per file, cleaned
with the challenge reader's range table) and long CSVs (``patient_id,time,variable,value``; one
stay per id; times as in :mod:`meddx.data.series_long`). A variable or static name the bundle
was not trained on is an error naming it, the file and the bundle's variables: silently dropping
it would score a different patient than the one given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from meddx.core.errors import DataError
from meddx.data.csv_rows import shown_cell
from meddx.data.inputs import expand_files
from meddx.data.series import PHYSIONET_HEADER, SeriesRecord, build_records


def read_patient_files(paths: Sequence[str | Path], bundle_config: dict[str, Any],
                       notes: list[str] | None = None) -> list[SeriesRecord]:
    """The stays in ``paths`` (PhysioNet record files or long CSVs, or folders of them), in the
    bundle's variable order. ``notes``, when given, gets a line (one for all the files) when observations
    were not read (outside the bundle's window, outside a PhysioNet valid range, the -1 marker) and one
    when a file repeats a row exactly (dropped) or holds two different values of one variable at one
    time (kept): ``meddx predict`` prints them,
    since a risk that silently ignores part of a file is not that file's."""
    spec = bundle_config.get("series") or {}
    variables, static_names = list(spec.get("variables", [])), list(spec.get("static_names", []))
    window = float(spec.get("window_hours", 48.0))
    per_file: list[tuple[Path, list[SeriesRecord]]] = []
    said: list[tuple[Path, dict[str, int], str | None]] = []  # per file: observations not read, clashing values
    for path in expand_files(paths, (".txt", ".csv", ".tsv"), "patient files"):
        if not path.is_file():
            raise DataError(f"{path}: no such patient file")
        _refuse_binary(path)
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            header = fh.readline().strip()
        if header == PHYSIONET_HEADER:
            per_file.append((path, _physionet(path, variables, window, said)))
        elif not header:
            raise DataError(f"{path}: empty file; expected a PhysioNet record ({PHYSIONET_HEADER}) or a long CSV "
                            "(patient_id,time,variable,value)")
        else:
            per_file.append((path, _long(path, variables, static_names, window, (bundle_config.get("training") or {})
                                         .get("source_options", {}).get("id_column") or "patient_id", said)))
    if notes is not None:
        notes.extend(_file_notes(said, window))
    return _named_apart(per_file)


def _refuse_binary(path: Path) -> None:
    """One line for a file that is no text: an image or volume given to a series bundle was read as a
    CSV ("line 4 has 5 field(s) but the header has 1"), a UTF-16 export as garbled text."""
    from meddx.data.tabular_read import binary_kind

    expected = (f"a time-series bundle reads PhysioNet 2012 record files ({PHYSIONET_HEADER}) or long CSVs "
                "(patient_id,time,variable,value) as UTF-8 text")
    kind = binary_kind(path)
    if kind is not None:
        raise DataError(f"{path}: {kind[0]}, not a text file; {expected}")
    with path.open("rb") as fh:
        if fh.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            raise DataError(f"{path}: UTF-16 text; {expected}: re-encode it (e.g. iconv -f utf-16 -t utf-8)")


def _named_apart(per_file: list[tuple[Path, list[SeriesRecord]]]) -> list[SeriesRecord]:
    """The stays of every file, in order; a stay id that another file also uses (two sites numbering
    their patients from 1) is prefixed with its file, named as table rows are (``site_a/stays.csv:1``;
    ``data.tabular.distinguishing_names``), so that its prediction, heatmap and note can be told
    from the other's. One file given twice keeps its ids: it is the same stay."""
    import dataclasses
    import os

    from meddx.data.tabular import distinguishing_names

    files: dict[str, set[str]] = {}
    for path, records in per_file:
        for r in records:
            files.setdefault(r.id, set()).add(os.path.abspath(path))
    shown = distinguishing_names([path for path, _ in per_file])
    return [dataclasses.replace(r, id=f"{name}:{r.id}") if len(files[r.id]) > 1 else r
            for (_, records), name in zip(per_file, shown) for r in records]


_LEFT_OUT = {"n_invalid_marker": "with the -1 missing marker", "n_out_of_range": "outside the valid ranges",
             "n_before_window": "before 0 h", "n_after_window": "after the bundle's {window:g}-h window"}


def _file_notes(said: list[tuple[Path, dict[str, int], str | None]], window: float) -> list[str]:
    """At most two notes for all files (a folder of 4,000 records gives two lines, not hundreds): the
    observations not read, by reason, and the files with clashing values, each with a first example."""
    notes = []
    left = [(path, counts) for path, counts, _ in said if any(counts.values())]
    if left:
        total = {k: sum(c.get(k, 0) for _, c in left) for k in _LEFT_OUT}
        parts = ", ".join(f"{n} {_LEFT_OUT[k].format(window=window)}" for k, n in total.items() if n)
        where = left[0][0].name if len(left) == 1 else f"{len(left)} files, e.g. {left[0][0].name}"
        notes.append(f"{sum(total.values())} observation(s) not read in {where} ({parts}); the risk is from the rest")
    clash = [(path, note) for path, _, note in said if note]
    if clash:
        more = f" (and {len(clash) - 1} more file(s))" if len(clash) > 1 else ""
        notes.append(f"{clash[0][0].name}{more}: {clash[0][1]}")
    return notes


def _physionet(path: Path, variables: list[str], window: float,
               notes: list[tuple[Path, dict[str, int], str | None]]) -> list[SeriesRecord]:
    from meddx.data import series_physionet as phys

    if variables != list(phys.VARIABLES):
        raise DataError(f"{path}: a PhysioNet 2012 record, but the bundle was trained on other variables "
                        f"({', '.join(variables[:8])}...); give the stay as a long CSV with those variables")
    rows = phys._parse_files([path])
    ids, static, _ = phys._statics(rows, [path])
    rec, times, var, values, counts, keep = phys._series(rows, window)
    if keep.any():  # a stay left empty is named by the empty-stay note instead (SeriesPredictor.empty_stays_note)
        notes.append((path, {k: int(v.sum()) for k, v in counts.items() if k != "n_kept"}, None))
    return build_records(ids, rec[keep], times[keep], var[keep], values[keep], static)


def _long(path: Path, variables: list[str], static_names: list[str], window: float, id_column: str,
          notes: list[tuple[Path, dict[str, int], str | None]]) -> list[SeriesRecord]:
    from meddx.data.series_long import _conflict_note, _hours, _numbers, _read_csv, copies_note, exact_copies

    table = _read_csv(path, [id_column, "time", "variable", "value"], "series")
    ids_col, time_col, var_col, value_col = (table.pop(k) for k in ("__0", "__1", "__2", "__3"))
    values = _numbers(value_col, path)
    is_static = (time_col.str.strip() == "").to_numpy()
    hours = _hours(time_col, ids_col, time_col.str.strip() == "", path)
    ids = list(dict.fromkeys(ids_col))
    index = {sid: i for i, sid in enumerate(ids)}
    rec = ids_col.map(index).to_numpy(np.int64)
    var_index = {n: j for j, n in enumerate(variables)}
    static_index = {n: j for j, n in enumerate(static_names)}
    for i, (name, static_row) in enumerate(zip(var_col, is_static)):
        known = static_index if static_row else var_index
        if name not in known:
            kind = "static descriptor" if static_row else "variable"
            raise DataError(f"{path}, line {i + 2}: unknown {kind} {name!r}; the bundle knows "
                            f"{', '.join(known) or '(none)'}")
    static = np.full((len(ids), len(static_names)), np.nan)
    sel = is_static
    static[rec[sel], var_col[sel].map(static_index).to_numpy(np.int64)] = values[sel]
    ts = ~sel
    t, x, r = hours[ts], values[ts], rec[ts]
    var = var_col[ts].map(var_index).to_numpy(np.int64)
    copies = exact_copies(r, t, var, x)
    keep = (t >= 0) & (t <= window) & ~copies
    named = (np.bincount(r[keep], minlength=len(ids)) > 0)[r]  # stays left empty have the empty-stay note
    counts = {"n_before_window": int((named & (t < 0)).sum()), "n_after_window": int((named & (t > window)).sum())}
    said = [copies_note(ids, variables, copies, r, t, var), _conflict_note(ids, variables, r[keep], t[keep],
                                                                            var[keep], x[keep])]
    notes.append((path, counts, "; ".join(n for n in said if n) or None))
    return build_records(ids, r[keep], t[keep], var[keep], x[keep], static)


def record_from_json(obj: Any, bundle_config: dict[str, Any]) -> SeriesRecord:
    """One stay sent as JSON (the serving API's ``{"record": ...}``)::

        {"id": "p1", "static": {"Age": 54, "Gender": 0},
         "observations": [{"time": 0.5, "variable": "HR", "value": 73}, ...]}

    ``time`` is hours since admission; an observation may also be a ``[time, variable, value]``
    list. Unknown names, non-numeric values and times outside the window are errors naming the
    observation, never silently dropped."""
    spec = bundle_config.get("series") or {}
    variables, static_names = list(spec.get("variables", [])), list(spec.get("static_names", []))
    window = float(spec.get("window_hours", 48.0))
    if not isinstance(obj, dict):
        raise DataError('record: expected a JSON object with "observations" (and optionally "id", "static")')
    unknown_keys = sorted(set(obj) - {"id", "static", "observations"})
    if unknown_keys:
        raise DataError(f"record: unknown field(s) {', '.join(unknown_keys)}; expected id, static, observations")
    static = np.full(len(static_names), np.nan, dtype=np.float32)
    for name, value in (obj.get("static") or {}).items():
        if name not in static_names:
            raise DataError(f"record.static: unknown descriptor {name!r}; the bundle knows {', '.join(static_names)}")
        static[static_names.index(name)] = _number(value, f"record.static.{name}")
    rows = obj.get("observations")
    if not isinstance(rows, list):
        raise DataError('record.observations: expected a list of {"time", "variable", "value"} objects')
    times, var, values = [], [], []
    for i, row in enumerate(rows):
        where = f"record.observations[{i}]"
        if isinstance(row, dict):
            row = [row.get("time"), row.get("variable"), row.get("value")]
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            raise DataError(f"{where}: expected {{\"time\", \"variable\", \"value\"}} or [time, variable, value]")
        t, name, value = row
        if name not in variables:
            raise DataError(f"{where}: unknown variable {name!r}; the bundle knows {', '.join(variables)}")
        hours = _number(t, f"{where}.time")
        if not 0 <= hours <= window:
            raise DataError(f"{where}.time: {hours:g} h is outside the bundle's window [0, {window:g}] h")
        times.append(hours)
        var.append(variables.index(name))
        values.append(_number(value, f"{where}.value"))
    order = np.argsort(np.asarray(times, dtype=np.float64), kind="stable")
    return SeriesRecord(id=str(obj.get("id") or "record"), times=np.asarray(times, dtype=np.float32)[order],
                        variables=np.asarray(var, dtype=np.int16)[order],
                        values=np.asarray(values, dtype=np.float32)[order], static=static)


def _number(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{where}: {shown_cell(value)} is not a number") from None
    if not np.isfinite(number):
        raise DataError(f"{where}: {shown_cell(value)} is not a finite number")
    if abs(number) > float(np.finfo(np.float32).max):  # became inf in the float32 record, named nowhere
        raise DataError(f"{where}: {value!r} is beyond the float32 range (about 3.4e38) that series are held in")
    return number
