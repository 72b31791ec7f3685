"""Describe and check a time-series source (``meddx data info`` / ``verify`` on ICU stays).

``series_source_info``: per split the stays, classes and patients, observations per stay,
variables observed per stay and empty stays; per variable the observations, the share of stays
observing it, its value range and the reader's cleaning counts; per static feature how often it
is missing. ``verify_series_source``: duplicate record ids, stays whose series and static
features are identical (exact duplicates, within and across splits, with label conflicts) and
patients on two splits; it returns the image verifier's :class:`~meddx.data.verify.VerifyReport`
(same summary keys, plus ``duplicate_record_ids``), so the CLI and evaluation read it alike.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from meddx.data.info import class_counts
from meddx.data.series import SeriesRecord, SeriesSource
from meddx.data.verify import VerifyReport
from meddx.data.verify_digest import verify_by_digest


def series_source_info(source: SeriesSource) -> dict[str, Any]:
    """JSON-serialisable summary of ``source`` (see the module docstring)."""
    n_var = len(source.variables)
    splits, all_records = {}, []
    for name, data in source.splits.items():
        records = list(data.records or [])
        all_records.extend(records)
        splits[name] = {"count": len(data), "class_counts": class_counts(source, data),
                        "patients": None if data.patient_ids is None else len(set(data.patient_ids)),
                        **_stay_stats(records, n_var)}
    cleaning = source.cleaning.get("variables", {})
    per_var = _variable_stats(all_records, source.variables)
    for row in per_var:
        row.update({k: v for k, v in cleaning.get(row["name"], {}).items() if k != "n_kept"})
    static = np.stack([r.static for r in all_records]) if all_records and source.static_names else None
    statics = [{"name": s, "missing": int(np.isnan(static[:, j]).sum()) if static is not None else 0,
                "missing_rate": float(np.isnan(static[:, j]).mean()) if static is not None else 0.0}
               for j, s in enumerate(source.static_names)]
    return {
        "name": source.name, "origin": source.origin, "kind": "series", "task": source.task,
        "spatial_dims": 0, "label_names": list(source.label_names), "num_classes": source.num_classes,
        "total": sum(len(d) for d in source.splits.values()), "window_hours": source.window_hours,
        "n_variables": n_var, "static_names": list(source.static_names), "options": dict(source.options),
        "splits": splits, "overall": _stay_stats(all_records, n_var), "variables": per_var, "static": statics,
        "notes": list(source.notes),
    }


def _stats(values: np.ndarray) -> dict[str, float] | None:
    if values.size == 0:
        return None
    return {"min": float(values.min()), "median": float(np.median(values)), "p95": float(np.percentile(values, 95)),
            "max": float(values.max()), "mean": round(float(values.mean()), 2)}


def _stay_stats(records: list[SeriesRecord], n_var: int) -> dict[str, Any]:
    """Observations, distinct variables and distinct times per stay; stays without observations."""
    obs = np.asarray([len(r) for r in records], dtype=np.float64)
    n_vars = np.asarray([np.unique(r.variables).size for r in records], dtype=np.float64)
    times = np.asarray([np.unique(r.times).size for r in records], dtype=np.float64)
    return {"observations": int(obs.sum()), "observations_per_stay": _stats(obs),
            "variables_per_stay": _stats(n_vars), "times_per_stay": _stats(times),
            "empty_stays": int((obs == 0).sum()), "n_variables": n_var}


def _variable_stats(records: list[SeriesRecord], variables: list[str]) -> list[dict[str, Any]]:
    n = len(variables)
    if records:
        var = np.concatenate([r.variables.astype(np.int64) for r in records])
        x = np.concatenate([r.values.astype(np.float64) for r in records])
        rec = np.repeat(np.arange(len(records)), [len(r) for r in records])
    else:
        var, x, rec = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)
    counts = np.bincount(var, minlength=n)
    stays = np.bincount(np.unique(rec * n + var) % n if var.size else var, minlength=n)
    order = np.argsort(var, kind="stable")
    bounds = np.searchsorted(var[order], np.arange(n + 1))
    out = []
    for v, name in enumerate(variables):
        vals = x[order[bounds[v]:bounds[v + 1]]]
        row: dict[str, Any] = {"name": name, "observations": int(counts[v]), "stays": int(stays[v]),
                               "stay_rate": float(stays[v] / len(records)) if records else 0.0}
        if vals.size:
            row.update(min=float(vals.min()), median=float(np.median(vals)), max=float(vals.max()))
        out.append(row)
    return out


def record_digest(record: SeriesRecord) -> str:
    """SHA-256 of a stay's content (times, variables, values, static), not its id."""
    h = hashlib.sha256()
    for arr in (record.times, record.variables, record.values, record.static):
        h.update(np.ascontiguousarray(arr).tobytes())
        h.update(b"|")
    return h.hexdigest()


def verify_series_source(source: SeriesSource, *, near_duplicates: bool = True, max_distance: int | None = None,
                         progress: Callable[[int, int], None] | None = None, **_: Any) -> VerifyReport:
    """Duplicate ids, identical stays (exact duplicates, label conflicts) and patients on two
    splits. ``near_duplicates`` and ``max_distance`` are image settings, accepted and ignored."""
    report, items = verify_by_digest(source, lambda data: [record_digest(r) for r in data.records or []],
                                     "series: exact duplicates compare a stay's times, variables, values and static "
                                     "features (not its id); near-duplicate search does not apply", progress)
    repeated = sorted(k for k, c in Counter(i.id for i in items).items() if c > 1)
    where = {k: sorted({i.split for i in items if i.id == k}) for k in repeated[:20]}
    report.summary.update(duplicate_record_ids=len(repeated), duplicate_record_id_examples=where)
    if repeated:
        report.notes.append(f"{len(repeated)} record id(s) appear more than once: " + ", ".join(repeated[:10]))
    return report


def print_series_verify(report: dict[str, Any]) -> None:
    """The series-specific lines after the shared verify table: duplicate record ids."""
    from rich.console import Console

    s = report["summary"]
    console = Console()
    n = s.get("duplicate_record_ids", 0)
    console.print(f"record ids used more than once: {n}" + ("" if not n else " (" + ", ".join(
        f"{k} in {'/'.join(v)}" for k, v in list(s["duplicate_record_id_examples"].items())[:5]) + ")"))
    for g in [g for g in report["exact_duplicates"] if g["conflicting_labels"]][:5]:
        console.print("[yellow]identical stays, labels differ:[/yellow] " + ", ".join(
            f"{m['split']}:{m['id']} ({m['label']})" for m in g["members"][:4]))


def print_series_info(result: dict[str, Any]) -> None:
    """``meddx data info`` output for a time-series source."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{result['name']}[/bold] ({result['origin']}): time series, {result['task']}, "
                  f"{result['num_classes']} classes, {result['total']} stays, {result['n_variables']} variables, "
                  f"{len(result['static_names'])} static, window {result['window_hours']:g} h")
    splits = result["splits"]
    counts = Table("class", *splits, title="stays per split and class")
    for name in result["label_names"]:
        counts.add_row(name, *(str(s["class_counts"].get(name, 0)) for s in splits.values()))
    counts.add_row("[bold]total[/bold]", *(f"[bold]{s['count']}[/bold]" for s in splits.values()))
    counts.add_row("patients", *("-" if s["patients"] is None else str(s["patients"]) for s in splits.values()))
    counts.add_row("empty stays", *(str(s["empty_stays"]) for s in splits.values()))
    for key, label in (("observations_per_stay", "observations / stay (median, max)"),
                       ("variables_per_stay", "variables / stay (median, max)"),
                       ("times_per_stay", "distinct times / stay (median, p95)")):
        second = "p95" if key == "times_per_stay" else "max"
        counts.add_row(label, *(f"{s[key]['median']:g}, {s[key][second]:g}" if s[key] else "-"
                                for s in splits.values()))
    console.print(counts)
    table = Table("variable", "observations", "stays", "min", "median", "max", "invalid", "out of range",
                  "outside window", title="variables (all splits; dropped counts from the reader)")
    for v in result["variables"]:
        outside = v.get("n_after_window", 0) + v.get("n_before_window", 0)
        table.add_row(v["name"], str(v["observations"]), f"{100 * v['stay_rate']:.0f}%",
                      *(f"{v[k]:.4g}" if k in v else "-" for k in ("min", "median", "max")),
                      str(v.get("n_invalid_marker", "-")), str(v.get("n_out_of_range", "-")), str(outside))
    console.print(table)
    if result["static"]:
        console.print("static features (missing): " + ", ".join(
            f"{s['name']} {s['missing']} ({100 * s['missing_rate']:.0f}%)" for s in result["static"]))
    for note in result["notes"]:
        Console(stderr=True).print(f"note: {note}")
