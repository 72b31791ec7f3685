"""Single cells of a text table: a scalar cell as text, the row numbers a message quotes, and a
multi-label cell read as its label names (a JSON list, pandas' text of a list, or a delimited cell).

Split from :mod:`meddx.data.text_columns`, which reads whole columns with these. Cells may hold
protected health information: nothing here quotes one.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.data.text_exports import list_cell

SHOW = 5  # row numbers quoted in a message


def cell(value: Any) -> str:
    """A scalar cell as stripped text; missing (None, NaN) as ''."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or value.is_integer())):
        return "" if value is None or math.isnan(value) else str(int(value))
    return str(value).strip()


def rows_text(rows: list[int]) -> str:
    """The first :data:`SHOW` row numbers, comma-separated, with ``...`` when there are more."""
    return ", ".join(map(str, rows[:SHOW])) + (", ..." if len(rows) > SHOW else "")


def label_list(value: Any, delimiter: str | None) -> list[str] | None:
    """The label names of a multi-label cell; None for a single-label cell, and, with ``delimiter``, for a
    cell that is empty or holds only delimiters (``;``, `` ; ``): a missing label, as an empty cell is,
    never read as "none of the labels" (that is ``[]``)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [cell(x) for x in value if cell(x)]
    if isinstance(value, str) and value.strip().startswith("["):
        parsed = list_cell(value.strip())  # JSON, or pandas' to_csv text of a list column
        if isinstance(parsed, list):
            return [cell(x) for x in parsed if cell(x)]
    if delimiter is not None and isinstance(value, str) and value.strip():
        return [x.strip() for x in value.split(delimiter) if x.strip()] or None  # None: only delimiters (";")
    return None


def check_one_style(path: Path, column: str, rows: list[int], lists: list[list[str] | None]) -> None:
    """Refuse a column mixing JSON lists with plain labels (without ``--label-delimiter``): one stray
    ``["a", "b"]`` in a binary file silently made the whole source multi-label."""
    listed = [r for r, lst in zip(rows, lists) if lst is not None]
    if listed and len(listed) < len(rows):
        plain = [r for r, lst in zip(rows, lists) if lst is None]
        raise DataError(f"{path}: column {column!r}: {len(listed)} row(s) hold a JSON list of labels (rows "
                        f"{rows_text(listed)}) and {len(plain)} row(s) one plain label (rows {rows_text(plain)}); "
                        "expected one style: a JSON list in every row for multi-label ([\"a\"] for one label, [] "
                        "for none), or one label per row (fix those rows), or pass --label-delimiter")
