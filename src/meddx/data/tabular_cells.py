"""Rows to predict, read as training read its table: the feature frame of a CSV file's or a JSON
row's raw cells (:func:`feature_frame`), and a JSON value as the cell a CSV would hold
(:func:`json_cell`). Split from :mod:`meddx.data.tabular` to keep that module small.

A numeric feature takes a finite number or a missing value (empty, ``null``, a missing-value
token such as ``NaN``, as in training); anything else is refused naming the row and column and
saying what it is (text, infinite, beyond float64, true/false), as the training reader does.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from meddx.core.errors import DataError
from meddx.data.tabular_read import cell_problem, missing_tokens, typed_column
from meddx.data.tabular_zeros import zero_as_missing as _zero_as_missing

JSON_ROW = Path("row")  # where a JSON row's messages point (it has no file and one row)


def json_cell(name: str, value: Any) -> str:
    """A JSON value as the CSV cell of the same meaning: ``null`` is empty, ``true`` -> ``true``.
    JSON ``Infinity`` and numbers beyond float64 (``1e400``, decoded as infinite) are refused here,
    since their text is lost once decoded."""
    if isinstance(value, (dict, list)):
        raise DataError(f"row: column {name!r} must be a number, a string or null; got {type(value).__name__}")
    if isinstance(value, float) and math.isinf(value):
        raise DataError(f"row: column {name!r}: {'-' if value < 0 else ''}Infinity is not a finite number (JSON "
                        "Infinity, or a number beyond the float64 range, about ±1.8e308, such as 1e400); send a "
                        "finite number, or null for missing")
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def feature_frame(where: Path, cells: dict[str, list[str]], options: dict[str, Any], numeric: list[str],
                  categorical: list[str]) -> Any:
    """The typed feature table of raw cells per feature column (a CSV file's or a JSON row's),
    read as in training: its missing-value tokens and zero-as-missing columns apply, and a cell
    of a numeric column that is not a finite number is an error naming it."""
    import pandas as pd

    missing = missing_tokens(options.get("missing_values"))
    data: dict[str, Any] = {}
    for name in [*numeric, *categorical]:
        kind, values = typed_column(where, name, cells[name], missing, categorical=name in categorical, trained=True)
        if name in numeric and kind != "numeric":  # (cells that are all missing read as numeric NaN)
            _refuse_cell(where, name, cells[name], missing)
        data[name] = pd.Series(values, dtype="float64" if name in numeric else object)
    table = pd.DataFrame(data)
    _zero_as_missing(where, table, numeric, [c for c in options.get("zero_as_missing") or [] if c in numeric], [])
    return table


def _refuse_cell(where: Path, name: str, cells: list[str], missing: frozenset[str]) -> None:
    """Raise for the first cell of a numeric column that is neither missing nor a finite number."""
    from meddx.data.tabular_read import number

    r, cell = next((r, c) for r, c in enumerate(cells, start=1) if c.strip().lower() not in missing and number(c) is None)
    place = f"column {name!r}" if where == JSON_ROW else f"row {r}, column {name!r}"
    blank = "null" if where == JSON_ROW else "an empty cell"
    raise DataError(f"{where}: {place}: {cell_problem(cell)}; the model was trained on this column as numbers: "
                    f"expected a finite number, or {blank} for missing")
