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
from meddx.data.inputs import expand_files
from meddx.data.series import PHYSIONET_HEADER, SeriesRecord, build_records


def read_patient_files(paths: Sequence[str | Path], bundle_config: dict[str, Any]) -> list[SeriesRecord]:
    """The stays in ``paths`` (PhysioNet record files or long CSVs, or folders of them), in the
    bundle's variable order."""
    spec = bundle_config.get("series") or {}
    variables, static_names = list(spec.get("variables", [])), list(spec.get("static_names", []))
    window = float(spec.get("window_hours", 48.0))
    per_file: list[tuple[Path, list[SeriesRecord]]] = []
    for path in expand_files(paths, (".txt", ".csv", ".tsv"), "patient files"):
        if not path.is_file():
            raise DataError(f"{path}: no such patient file")
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            header = fh.readline().strip()
        if header == PHYSIONET_HEADER:
            per_file.append((path, _physionet(path, variables, window)))
        elif not header:
            raise DataError(f"{path}: empty file; expected a PhysioNet record ({PHYSIONET_HEADER}) or a long CSV "
                            "(patient_id,time,variable,value)")
        else:
            per_file.append((path, _long(path, variables, static_names, window, (bundle_config.get("training") or {})
                                         .get("source_options", {}).get("id_column") or "patient_id")))
    return _named_apart(per_file)


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


def _physionet(path: Path, variables: list[str], window: float) -> list[SeriesRecord]:
    from meddx.data import series_physionet as phys

    if variables != list(phys.VARIABLES):
        raise DataError(f"{path}: a PhysioNet 2012 record, but the bundle was trained on other variables "
                        f"({', '.join(variables[:8])}...); give the stay as a long CSV with those variables")
    rows = phys._parse_files([path])
    ids, static, _ = phys._statics(rows, [path])
    rec, times, var, values, _, keep = phys._series(rows, window)
    return build_records(ids, rec[keep], times[keep], var[keep], values[keep], static)


def _long(path: Path, variables: list[str], static_names: list[str], window: float, id_column: str) -> list[SeriesRecord]:
    from meddx.data.series_long import _hours, _numbers, _read_csv

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
    keep = (t >= 0) & (t <= window)
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
        raise DataError(f"{where}: {value!r} is not a number") from None
    if not np.isfinite(number):
        raise DataError(f"{where}: {value!r} is not a finite number")
    return number
