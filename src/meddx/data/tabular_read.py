"""Reading a delimited table into typed columns: the parsing half of :mod:`meddx.data.tabular`.

Every cell is read as a string first (the csv module, not pandas' type inference) so that this
module decides, and can explain, what is missing, what is a number and what is a category:

- missing: an empty cell, ``?``, ``NA``, ``N/A``, ``NaN``, ``null``, ``None`` (any case), plus the
  user's ``missing_values``;
- a column is *numeric* when every non-missing cell is a finite number; when at least 90% are
  and a few are not, the first odd cell is an error (row, column, value) rather than a silent
  switch to categorical; otherwise the column holds categories (strings);
- numbers that are whole (``3.0``) are written ``3`` wherever they serve as labels or categories.

"Row N" counts data rows from 1 (a header line is not a row).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from meddx.core.errors import DataError

MISSING_TOKENS = frozenset({"", "?", "na", "n/a", "nan", "null", "none"})
NUMERIC_SHARE = 0.9  # a column this numeric with a few odd cells is an error, not a category column
_DELIMITERS = (",", "\t", ";", "|")


def read_rows(path: Path, columns: list[str] | None = None) -> tuple[list[str], list[list[str]], bool]:
    """Header and data rows (stripped strings) of a delimited file, and whether it had a header.

    With ``columns`` the file may or may not repeat them as its first line; without, the first
    line must be a header (no cell of it a number), else the error shows the first row and asks
    for ``--columns``.
    """
    return parse_rows(path, read_lines(path), columns)


def read_lines(path: Path) -> list[str]:
    """The non-blank lines of a UTF-8 file (a byte-order mark is dropped)."""
    lines = [line for line in _decode(path).splitlines() if line.strip()]
    if not lines:
        raise DataError(f"{path}: empty file; expected a table with one row per patient and a label column")
    return lines


def split_cells(path: Path, lines: list[str]) -> list[list[str]]:
    """Cells of each line, with the delimiter guessed from the first line."""
    return _split(lines, _delimiter(path, lines[0]), path)


def parse_rows(path: Path, lines: list[str], columns: list[str] | None) -> tuple[list[str], list[list[str]], bool]:
    """``read_rows`` on lines already read (``path`` names the file in messages)."""
    rows = split_cells(path, lines)
    first = rows[0]
    if columns:
        header = [c.strip() for c in columns]
        had_header = [c.lower() for c in first] == [c.lower() for c in header]
        body = rows[1:] if had_header else rows
    else:
        if not looks_like_header(first):
            shown = ", ".join(first[:16]) + (", ..." if len(first) > 16 else "")
            raise DataError(f"{path}: no header row (the first row is: {shown}); pass the {len(first)} column names "
                            "in order with --columns a,b,c (config: columns), e.g. from the dataset's .names file")
        header, body, had_header = first, rows[1:], True
    _check_header(path, header)
    for r, row in enumerate(body, start=1):
        if len(row) != len(header):
            raise DataError(f"{path}: row {r} has {len(row)} cells but the header has {len(header)} columns "
                            f"({', '.join(header[:12])}{', ...' if len(header) > 12 else ''}); fix the row or --columns")
    if not body:
        raise DataError(f"{path}: a header but no data rows; expected one row per patient")
    return header, body, had_header


def looks_like_header(row: list[str]) -> bool:
    """A first row is a header when none of its cells is a number or a missing-value token."""
    return all(cell.strip() and number(cell) is None and cell.strip().lower() not in MISSING_TOKENS for cell in row)


def missing_tokens(extra: list[str] | None) -> frozenset[str]:
    """The lower-case cell values that mean missing: the defaults plus ``extra``."""
    return MISSING_TOKENS | {str(v).strip().lower() for v in (extra or [])}


def number(cell: str) -> float | None:
    """The finite number a cell holds, or ``None``."""
    try:
        value = float(cell)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def normalise_value(cell: str) -> str:
    """A label or category cell as text: whole numbers without ``.0``, others stripped."""
    value = number(cell)
    if value is not None and value.is_integer():
        return str(int(value))
    return cell.strip()


def typed_column(path: Path, name: str, cells: list[str], missing: frozenset[str], *,
                 categorical: bool, trained: bool = False) -> tuple[str, list[Any]]:
    """``("numeric", floats with NaN)`` or ``("categorical", strings with None)`` for one column.

    ``categorical=True`` forces categories. A mostly numeric column with a few cells that are
    neither numbers nor missing tokens raises ``DataError`` naming the first such row and value
    (``trained``: rows to predict, read with a model's fixed settings, so the advice differs).
    """
    present = [(r, c) for r, c in enumerate(cells, start=1) if c.strip().lower() not in missing]
    if categorical:
        return "categorical", [None if c.strip().lower() in missing else normalise_value(c) for c in cells]
    values = [number(c) for _, c in present]
    odd = [(r, c) for (r, c), v in zip(present, values) if v is None]
    if not odd:  # every filled cell a number (or no filled cell at all)
        return "numeric", [float("nan") if c.strip().lower() in missing else float(c) for c in cells]
    if present and len(odd) <= (1 - NUMERIC_SHARE) * len(present):
        r, c = odd[0]
        advice = (f"fix the cell, or leave it empty if the value is missing (the model's missing-value tokens are "
                  f"fixed at training: retrain with --missing-values '{c}' to read it as missing)" if trained else
                  f"if {c!r} means missing pass --missing-values '{c}', if the column holds categories pass "
                  f"--categorical {name}")
        raise DataError(f"{path}: row {r}, column {name!r}: {c!r} is not a number, but {len(present) - len(odd)} of "
                        f"{len(present)} filled cells of the column are ({len(odd)} odd cell(s)); {advice}")
    return "categorical", [None if c.strip().lower() in missing else normalise_value(c) for c in cells]


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}: byte offset {exc.start} (line {line}) is not valid UTF-8; re-encode the file as "
                        "UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None


def _delimiter(path: Path, first_line: str) -> str | None:
    """Tab for .tsv; else the most frequent of , tab ; | in the first line; ``None`` = whitespace."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def _split(lines: list[str], delimiter: str | None, path: Path) -> list[list[str]]:
    if delimiter is None:
        return [line.split() for line in lines]
    try:
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)]
    except csv.Error as exc:
        raise DataError(f"{path}: cannot read as a {delimiter!r}-separated table ({exc})") from None


def _check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.lower()
        if not name:
            raise DataError(f"{path}: column {i + 1} has no name; name every column (header row or --columns)")
        if key in seen:
            raise DataError(f"{path}: column name {name!r} appears twice (columns {seen[key] + 1} and {i + 1}); "
                            "column names must be unique")
        seen[key] = i


def find_column(header: list[str], name: str | None) -> str | None:
    """The header entry equal to ``name`` ignoring case, or ``None``."""
    if name is None:
        return None
    wanted = name.strip().lower()
    return next((h for h in header if h.lower() == wanted), None)
