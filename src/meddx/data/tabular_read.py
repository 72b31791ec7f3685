"""Reading a delimited table into typed columns: the parsing half of :mod:`meddx.data.tabular`.

Every cell is read as a string first (the csv module, not pandas' type inference) so that this
module decides, and can explain, what is missing, what is a number and what is a category:

- missing: an empty cell, ``?``, ``NA``, ``N/A``, ``NaN``, ``null``, ``None`` (any case), plus the
  user's ``missing_values`` (``NaN`` is missing, as pandas reads it: it is how pandas and numpy
  write a missing value);
- a column is *numeric* when every non-missing cell is a finite number; when at least 90% are
  and a few are not, the first odd cell is an error (row, column, value) rather than a silent
  switch to categorical; otherwise the column holds categories (strings). Among numbers, an
  infinite value (``Infinity``, ``-inf``, ``1e400`` beyond the float64 range) or a ``true``/``false``
  is an error whatever its share: no model input can be infinite, and a yes/no among numbers
  is a 1/0 written in words;
- numbers that are whole (``3.0``) are written ``3`` wherever they serve as labels or categories.

"Row N" counts data rows from 1 (a header line is not a row).
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.data.csv_rows import quotable, shown_cell

MISSING_TOKENS = frozenset({"", "?", "na", "n/a", "nan", "null", "none"})
NUMERIC_SHARE = 0.9  # a column this numeric with a few odd cells is an error, not a category column
_DELIMITERS = (",", "\t", ";", "|")
_ID_MIN_ROWS = 20  # smaller tables are not checked for identifier-like columns
# 12,345 or -1,234.5 (digits grouped by commas) and 37,5 (a decimal comma). Not read as numbers:
# "1,234" is 1234 in one locale and 1.234 in another, so the reader refuses rather than guess (a
# silent switch to categories, one category per value, would let a model memorise rows).
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^[+-]?\d+,\d+$")
_BOUND = re.compile(r"^(?:[<>]=?|\u2264|\u2265)\s*[+-]?(?:\d+\.?\d*|\.\d+)$")  # <5, >=100, ≤0.01


def read_rows(path: Path, columns: list[str] | None = None) -> tuple[list[str], list[list[str]], bool]:
    """Header and data rows (stripped strings) of a delimited file, and whether it had a header.

    With ``columns`` the file may or may not repeat them as its first line; without, the first
    line must be a header (no cell of it a number), else the error shows the first row and asks
    for ``--columns``.
    """
    return parse_rows(path, read_lines(path), columns)


def read_lines(path: Path) -> list[str]:
    """The records of a UTF-8 file (a byte-order mark is dropped; a binary table refused), as
    :func:`split_records` gives them: one per row, a quoted cell's line breaks (blank lines too)
    kept inside its record; only records that are entirely blank are left out."""
    refuse_binary_table(path)
    lines = split_records(path, _decode(path))
    if not lines:
        raise DataError(f"{path}: empty file; expected a table with one row per patient and a label column")
    return lines


def split_records(path: Path, text: str) -> list[str]:
    """The text of each row of a delimited ``text`` (line endings removed), parsed by the csv module
    over the whole text with the delimiter of its first non-blank line, so that a quoted cell holding
    a line break, or a blank line, stays in its row as written. Before, the file was cut into lines
    (at any Unicode line break) and blank lines dropped before parsing: a quoted cell lost its blank
    lines, and its carriage returns or Unicode line separators became newlines. Records that are
    entirely blank (empty lines between rows) are left out; a whitespace-separated file (no
    delimiter found) has no quoting: one record per non-blank line."""
    physical = io.StringIO(text, newline="").readlines()  # a line ends at LF, CRLF or CR, as open(newline='')
    first = next((line for line in physical if line.strip()), None)
    if first is None:
        return []
    delimiter = _delimiter(path, first.rstrip("\r\n"))
    if delimiter is None:
        return [line.rstrip("\r\n") for line in physical if line.strip()]
    reader = csv.reader(physical, delimiter=delimiter)
    records: list[str] = []
    start = 0
    try:
        for _ in reader:
            record = "".join(physical[start:reader.line_num])
            start = reader.line_num
            if record.strip():
                records.append(_chomp(record))
    except csv.Error as exc:
        raise DataError(f"{path}: cannot read as a {delimiter!r}-separated table ({exc})") from None
    return records


# Binary tables a user may give in place of a CSV, by their leading bytes (and Parquet's closing ones, so
# a text table whose header starts "PAR1" is not taken for one). Hand-written: the text reader only saw
# bytes that are not UTF-8 and asked to re-encode the file from latin1 (iconv), which cannot help.
_WORKBOOK = "the spreadsheet's Save As CSV, or pandas: pd.read_excel(path).to_csv('rows.csv', index=False)"
_BINARY_TABLES = ((b"PAR1", b"PAR1", "a Parquet file", "pandas: pd.read_parquet(path).to_csv('rows.csv', index=False)"),
                  (b"PK\x03\x04", b"", "a zip archive (an .xlsx workbook is one)", _WORKBOOK),
                  (b"\xd0\xcf\x11\xe0", b"", "an OLE2 file (an .xls workbook is one)", _WORKBOOK))


# Files of other kinds a user may give where a text table or series is read (an image bundle's inputs,
# given to a table or series bundle), by their leading bytes: the text readers said "not valid UTF-8;
# re-encode the file (iconv -f latin1 ...)" or, for a PNG to a series bundle, "line 4 has 5 field(s)".
_OTHER_FILES = ((b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"II*\x00", "a TIFF image"),
                (b"MM\x00*", "a TIFF image"), (b"\x1f\x8b", "a gzip file (a .nii.gz volume is one)"),
                (b"\x93NUMPY", "a NumPy .npy array"))


def binary_kind(path: str | Path) -> tuple[str, str | None] | None:
    """What ``path`` is when it is a binary file that a text reader would misread (a Parquet file, a
    workbook, an image, a DICOM file, a NIfTI or NumPy array), with how to write it as CSV where
    that applies; ``None`` for anything else (text, or a file that cannot be read: the reader names it)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(352)
            handle.seek(max(0, path.stat().st_size - 4))
            tail = handle.read(4)
    except OSError:
        return None
    for start, end, what, how in _BINARY_TABLES:
        if head.startswith(start) and tail.endswith(end):
            if start == b"PK\x03\x04" and path.suffix.lower() == ".npz":
                return "a NumPy .npz archive", None
            return what, how
    kind = next((what for start, what in _OTHER_FILES if head.startswith(start)), None)
    if kind is None and head[128:132] == b"DICM" and b"\x00" in head[:128]:  # preamble: not text
        kind = "a DICOM file"
    if kind is None and head[344:348] in (b"n+1\x00", b"ni1\x00"):
        kind = "a NIfTI volume"
    return (kind, None) if kind else None


def refuse_binary_table(path: str | Path) -> None:
    """A one-line ``DataError`` for a Parquet file, a spreadsheet workbook or another binary file (an
    image, a volume) given as a table, to train on or to predict: meddx reads tables as CSV/TSV text
    (``meddx predict b.parquet`` and ``meddx train --data tabular:b.parquet`` said "not valid UTF-8;
    re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")."""
    kind = binary_kind(path)
    if kind is None:
        return
    what, how = kind
    raise DataError(f"{path}: {what}, not a text table; meddx reads tables (to train on and to predict) as "
                    f"CSV/TSV text" + (f": write it as CSV ({how}) and use that" if how else ""))


def _chomp(record: str) -> str:
    """``record`` without its one closing line ending (a cell's own line breaks stay)."""
    if record.endswith("\r\n"):
        return record[:-2]
    return record[:-1] if record.endswith(("\n", "\r")) else record


def split_cells(path: Path, lines: list[str]) -> list[list[str]]:
    """Cells of each line, with the delimiter guessed from the first line."""
    return _split(lines, _delimiter(path, lines[0]), path)


def parse_rows(path: Path, lines: list[str], columns: list[str] | None,
               fix: str = "fix the row or --columns") -> tuple[list[str], list[list[str]], bool]:
    """``read_rows`` on lines already read (``path`` names the file in messages). ``fix`` ends the
    error for a row of the wrong length: what the user can do where the file is read (``meddx train``
    has ``--columns``; predicting a bundle's rows has not)."""
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
                            f"({', '.join(header[:12])}{', ...' if len(header) > 12 else ''}); {fix}")
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
    _refuse_written_numbers(path, name, odd)
    _refuse_unusable_numbers(path, name, odd, len(present) - len(odd), trained)
    if present and len(odd) <= (1 - NUMERIC_SHARE) * len(present):
        r, c = odd[0]
        shown, token = (repr(c), f"'{c}'") if quotable(c) else ("that text", "with that text")  # never echo a note
        advice = (f"fix the cell, or leave it empty if the value is missing (the model's missing-value tokens are "
                  f"fixed at training: retrain with --missing-values {token} to read it as missing)" if trained else
                  f"if {shown} means missing pass --missing-values {token}, if the column holds categories pass "
                  f"--categorical {name}")
        raise DataError(f"{path}: row {r}, column {name!r}: {cell_problem(c)}, but {len(present) - len(odd)} of "
                        f"{len(present)} filled cells of the column are ({len(odd)} odd cell(s)); {advice}")
    return "categorical", [None if c.strip().lower() in missing else normalise_value(c) for c in cells]


def cell_problem(cell: str) -> str:
    """Why a filled cell (no missing-value token) is not a usable number, for an error message:
    infinite or beyond the float64 range (``Infinity``, ``1e400``), a true/false word, or text."""
    text = cell.strip()
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None and math.isnan(value):  # '-nan', '+NaN': not the missing-value token 'nan'
        return f"{cell!r} is not a number (a NaN; write NaN or leave the cell empty for missing)"
    if value is not None:  # float() read it, but not as a finite number
        kind = "infinite" if "inf" in text.lower() else "beyond the float64 range of about ±1.8e308"
        return f"{cell!r} is not a finite number ({kind})"
    if text.lower() in ("true", "false"):
        return f"{cell!r} is a true/false value, not a number (write 1 or 0)"
    return f"{shown_cell(cell)} is not a number"


def _refuse_unusable_numbers(path: Path, name: str, odd: list[tuple[int, str]], numbers: int, trained: bool) -> None:
    """Raise when a column of numbers (``numbers`` finite cells) holds odd cells that are all
    infinite (``Infinity``, ``1e400``) or true/false words: read as categories (a few of them) the
    column would silently stop being numeric, and pointing at ``--categorical`` misleads."""
    usable = [c for _, c in odd if c.strip().lower() in ("true", "false") or _is_float(c)]
    if not numbers or not odd or len(usable) != len(odd):
        return
    r, c = odd[0]
    advice = "" if trained else f" (--missing-values '{c}' reads it as missing)"
    raise DataError(f"{path}: row {r}, column {name!r}: {cell_problem(c)}; expected a finite number, or an empty "
                    f"cell for missing{advice}; {len(odd)} such cell(s) among {numbers} number(s)")


def _is_float(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _refuse_written_numbers(path: Path, name: str, odd: list[tuple[int, str]]) -> None:
    """Raise when every non-number cell of a column is a number written in a way the reader will not
    interpret: with a comma (``12,345``, ``37,5``) or a comparison sign (``<5``, a detection limit).
    Read as categories, such a column becomes one category per value (a model memorises rows), and
    dropping the sign or guessing the comma's meaning would invent data."""
    kinds = ["comma" if _GROUPED.match(c.strip()) else "bound" if _BOUND.match(c.strip()) else None for _, c in odd]
    if not odd or None in kinds:
        return
    r, c = odd[0]
    if kinds[0] == "comma":
        raise DataError(f"{path}: row {r}, column {name!r}: {c!r} looks like a number written with a comma "
                        f"({len(odd)} such cell(s)): remove a thousands separator ({c.replace(',', '')}) or write "
                        f"a decimal comma as a point ({c.replace(',', '.')}); the reader does not guess which it is")
    raise DataError(f"{path}: row {r}, column {name!r}: {c!r} is a number with a comparison sign (a detection limit; "
                    f"{len(odd)} such cell(s)): write the number to use (e.g. the limit) or leave the cell empty for "
                    "missing; the reader does not choose a value for it")


def refuse_identifier(path: Path, name: str, kind: str, values: list[Any], check: bool = True) -> None:
    """Raise when a feature column looks like a row identifier: text that differs in every row, or
    whole numbers that differ in every row and run without gaps (1, 2, ..., n in any order). A model
    memorises such a column (a file sorted by outcome gives validation AUC 1.0 from the row number
    alone); a real measurement almost never fills a gapless run. Tables under 20 rows are not checked,
    nor any with ``check`` False (evaluation reads the columns its bundle was trained on)."""
    if not check:
        return
    if kind == "numeric":
        x = np.asarray(values, dtype=np.float64)
        if len(x) < _ID_MIN_ROWS or np.isnan(x).any() or np.unique(x).size != len(x) or (x != np.round(x)).any():
            return
        if x.max() - x.min() != len(x) - 1:
            return
    elif len(values) < _ID_MIN_ROWS or None in values or len(set(values)) != len(values):
        return
    # Row numbers are shown; text is not (a free-text comment holds note text, an identifier names patients).
    shown = (", ".join(str(int(v)) for v in values[:3]) + ", ..." if kind == "numeric" else
             f"{len(values)} distinct texts; values not shown: they may be note text or patient identifiers")
    raise DataError(f"{path}: column {name!r} holds a different value in every row ({shown}), like a row "
                    "identifier, which a model would memorise instead of learning from; pass --id-column "
                    f"{name} (or --patient-column {name}) if it identifies rows or patients, else remove the column")


def rare_class_notes(column: str, names: list[str], labels: Any) -> list[str]:
    """A note when a label of three or more classes has a nearly empty one (under 5 rows and a fifth
    of the largest): a stray ``2`` among 0/1 outcomes makes a multi-class model, as the long-format
    series reader also says."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(names))
    rare = [f"{n!r} ({c} row(s))" for n, c in zip(names, counts) if len(names) > 2 and c < 5 and 5 * c < counts.max()]
    if not rare:
        return []
    return [f"label column {column!r} has {len(names)} classes, some nearly empty: {', '.join(rare)}; check the "
            "file, or use --positive-labels, if the outcome is meant to be binary"]


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # not latin1: iconv -f latin1 would garble it
            raise DataError(f"{path}: UTF-16 text (it starts with a UTF-16 byte-order mark); re-encode the file as "
                            "UTF-8 (e.g. iconv -f utf-16 -t utf-8)") from None
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
        text = io.StringIO("\n".join(lines), newline="")  # a cell's \r stays a character of the cell
        return [[cell.strip() for cell in row] for row in csv.reader(text, delimiter=delimiter)]
    except csv.Error as exc:
        raise DataError(f"{path}: cannot read as a {delimiter!r}-separated table ({exc})") from None


def _check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.lower()
        if not name:
            raise DataError(f"{path}: column {i + 1} has no name; name every column (header row or --columns)")
        if key in seen and header[seen[key]] != name:  # Age and AGE: one column to a reader matching by name
            raise DataError(f"{path}: column names {header[seen[key]]!r} and {name!r} (columns {seen[key] + 1} and "
                            f"{i + 1}) differ only by case; meddx matches column names ignoring case, so rename one")
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
