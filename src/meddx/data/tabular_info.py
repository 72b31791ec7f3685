"""Describe and check a table before training (``meddx data info`` / ``verify`` on a table).

``table_source_info``: counts per split and class, and per column its type, missing rate and
range (numeric) or categories (categorical), and the warnings of columns whose zeros look like a
missing-value code (:mod:`meddx.data.tabular_zeros`; ``verify`` repeats them in its report's
notes). ``verify_table_source``: rows whose feature values are identical (exact duplicates),
within and across splits, the groups among them whose labels differ, and patients on two splits;
it returns the image verifier's :class:`~meddx.data.verify.VerifyReport` (same summary keys), so
evaluation's dataset summary and the CLI read it alike. Near duplicates do not apply to tables
(two patients may share every rounded value) and are reported as not searched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

from meddx.data.info import class_counts
from meddx.data.tabular import TabularSource
from meddx.data.verify import VerifyReport
from meddx.data.verify_digest import verify_by_digest


def table_source_info(source: TabularSource) -> dict[str, Any]:
    """JSON-serialisable summary: per split counts and classes, per column type/missing/range."""
    import pandas as pd

    tables = [d.table for d in source.splits.values()]
    whole = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return {
        "name": source.name, "origin": source.origin, "kind": "table", "task": source.task, "spatial_dims": 0,
        "label_names": list(source.label_names), "num_classes": source.num_classes,
        "total": sum(len(d) for d in source.splits.values()),
        "splits": {name: {"count": len(d), "class_counts": class_counts(source, d),
                          "patients": None if d.patient_ids is None else len(set(d.patient_ids))}
                   for name, d in source.splits.items()},
        "columns": [_column_info(whole, name, name in source.categorical) for name in source.feature_columns],
        "options": dict(source.options), "notes": list(source.notes), "warnings": list(source.warnings),
        "missing_values": _missing_words(source.options.get("missing_values")),
    }


def _missing_words(extra: list[str] | None) -> str:
    """Which cells were read as missing: the defaults (NaN among them, as pandas reads it) and ``extra``."""
    from meddx.data.tabular_read import MISSING_TOKENS

    shown = ["empty" if t == "" else {"na": "NA", "n/a": "N/A", "nan": "NaN"}.get(t, t) for t in sorted(MISSING_TOKENS)]
    added = [str(v) for v in extra or [] if str(v).strip().lower() not in MISSING_TOKENS]
    return ", ".join(shown) + " (any case)" + (f", plus --missing-values {', '.join(added)}" if added else "")


def _column_info(df: Any, name: str, categorical: bool) -> dict[str, Any]:
    column = df[name]
    missing = int(column.isna().sum())
    info: dict[str, Any] = {"name": name, "type": "categorical" if categorical else "numeric", "missing": missing,
                            "missing_rate": round(missing / max(len(column), 1), 4)}
    present = column.dropna()
    if categorical:
        counts = present.astype(str).value_counts()
        info.update(categories=int(len(counts)), top={str(k): int(v) for k, v in counts.head(5).items()})
    elif len(present):
        values = present.to_numpy(dtype=np.float64)
        info.update(min=float(values.min()), median=float(np.median(values)), max=float(values.max()),
                    mean=round(float(values.mean()), 4), distinct=int(len(np.unique(values))))
    return info


def row_digests(table: Any) -> list[str]:
    """SHA-256 of each row's feature values (numbers in ``repr`` form, missing as ``NA``)."""
    out = []
    for row in table.itertuples(index=False, name=None):
        text = "\x1f".join("NA" if _missing(v) else repr(float(v)) if isinstance(v, (int, float, np.number))
                           else str(v) for v in row)
        out.append(hashlib.sha256(text.encode("utf-8")).hexdigest())
    return out


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):  # pd.NA
        return True


def verify_table_source(source: TabularSource, *, near_duplicates: bool = True, max_distance: int | None = None,
                        progress: Callable[[int, int], None] | None = None, **_: Any) -> VerifyReport:
    """Exact duplicate rows (same feature values), label conflicts among them, patients on two
    splits. ``near_duplicates`` and ``max_distance`` are image settings, accepted and ignored."""
    report, _ = verify_by_digest(source, lambda data: row_digests(data.table),
                                 "tables: exact duplicates compare every feature value of a row (label excluded); "
                                 "near-duplicate search does not apply", progress)
    report.notes += [f"warning: {w}" for w in source.warnings]  # zeros that look like a missing-value code
    return report


def print_table_info(result: dict[str, Any]) -> None:
    """``meddx data info`` output for a table: class counts per split and one line per column."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{result['name']}[/bold] ({result['origin']}): table, {result['task']}, "
                  f"{result['num_classes']} classes, {result['total']} rows, {len(result['columns'])} feature columns")
    splits = result["splits"]
    counts = Table("class", *splits, title="rows per split and class")
    for name in result["label_names"]:
        counts.add_row(name, *(str(s["class_counts"].get(name, 0)) for s in splits.values()))
    counts.add_row("[bold]total[/bold]", *(f"[bold]{s['count']}[/bold]" for s in splits.values()))
    console.print(counts)
    cols = Table("column", "type", "missing", "min", "median", "max", "values", title="feature columns (all splits)")
    for c in result["columns"]:
        rate = f"{c['missing']} ({100 * c['missing_rate']:.1f}%)"
        if c["type"] == "categorical":
            top = ", ".join(f"{k} ({v})" for k, v in c.get("top", {}).items())
            cols.add_row(c["name"], "categorical", rate, "", "", "", f"{c.get('categories', 0)}: {top}")
        else:
            cols.add_row(c["name"], "numeric", rate, *(f"{c[k]:.4g}" if k in c else "-" for k in ("min", "median", "max")),
                         f"{c.get('distinct', 0)} distinct")
    console.print(cols)
    console.print(f"missing cells (counted above): {result['missing_values']}", soft_wrap=True)
    for note in result["notes"]:
        Console(stderr=True).print(f"note: {note}")
    for warning in result.get("warnings") or []:
        Console(stderr=True).print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
