"""Refuse CSV rows whose number of fields differs from the header's, naming the line.

pandas reads a first data row with one field too many as "the first column is the index" and
shifts every column by one (a note lands in the id column, and ``meddx deid`` would write it out
unscrubbed), and it pads short rows with empty cells (a note silently vanishes). Neither is what
the file's author meant, so the table readers check the counts with the standard ``csv`` module
before pandas parses the file. The message names the line and the counts, never the contents:
cells may hold note text.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from meddx.core.errors import DataError


def check_field_counts(path: str | Path, text: str | None = None, *, delimiter: str = ",",
                       skipinitialspace: bool = False) -> None:
    """Raise :class:`DataError` at the first row (blank lines aside) whose field count is not the
    header's. ``text`` is the decoded file when the caller has it; else ``path`` is read (bytes
    that do not decode are replaced: they cannot change where fields split)."""
    if text is None:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    # newline="": lines end at LF, CRLF or a bare CR (a classic Mac export), as pandas reads them; split at
    # LF only, a CR-only file is one line holding CRs, csv.Error, and the check was silently skipped
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=skipinitialspace)
    header: int | None = None
    try:
        for row in reader:
            if not row:
                continue
            if header is None:
                header, names = len(row), row
            elif len(row) != header:
                check_separator(path, names, delimiter)  # a ';' file: say that, not "quote the commas"
                raise DataError(
                    f"{path}: line {reader.line_num} has {len(row)} field(s) but the header has {header}; quote "
                    f"cells that contain the separator {delimiter!r} (\"...\"), or fix that line")
    except csv.Error:
        return  # malformed quoting, an oversized cell: pandas reports those with its own line numbers


def check_separator(path: str | Path, names: list[str], delimiter: str) -> None:
    """Refuse a one-column header that holds another separator (a European Excel export separated
    by ';', tabs in a .csv): it was refused as "line 2 has 2 field(s) but the header has 1; quote
    cells that contain ','" or as a table without a label column. Names the character only."""
    other = next((c for c in (";", "\t", "|", ",") if c != delimiter and len(names) == 1 and c in names[0]), None)
    if other:
        fix = "rename it .tsv" if other == "\t" else "re-save it separated by " + ("tabs" if delimiter == "\t" else "commas")
        raise DataError(f"{path}: the header is one column holding {other!r}: the file looks separated by {other!r}, "
                        f"but it is read separated by {delimiter!r}; {fix}")


QUOTABLE_CHARS, QUOTABLE_WORDS = 24, 3  # a token or code ('x', '12O', 'see note', 'N/A'); longer may be a note


def quotable(cell: object) -> bool:
    """``cell`` is short enough to be a token or code that an error may quote; a longer one (a free-text
    comment pasted into a number column: note text, a name) is described by its length instead."""
    text = str(cell).strip()
    return len(text) <= QUOTABLE_CHARS and len(text.split()) <= QUOTABLE_WORDS


def shown_cell(cell: object) -> str:
    """The cell for an error message: quoted when :func:`quotable`, else only its length (PHI rule)."""
    text = str(cell).strip()
    return repr(cell) if quotable(cell) else f"a text of {len(text)} characters, {len(text.split())} words (not shown)"
