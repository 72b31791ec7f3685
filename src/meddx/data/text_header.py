"""Column names as the user's file holds them, for notes and messages.

pandas names a column whose header cell is blank (a trailing comma on every line) ``Unnamed: 2``,
0-based: a name the file does not hold, which a note then quoted as if it did."""

from __future__ import annotations

from typing import Any

from meddx.data.text_columns import cell

UNNAMED = "(unnamed column "


def header_name(header: list[str], i: int, column: object) -> str:
    """The key of CSV column ``i``: its header cell, or ``(unnamed column N)`` (1-based) for a blank one."""
    blank = i < len(header) and not header[i].strip()
    return f"{UNNAMED}{i + 1})" if blank else str(column).strip()


def ignored_columns(table: dict[str, list[Any]], used: set[str | None]) -> list[str]:
    """The columns read for no role, for the "ignored column(s)" note. An unnamed column with no value
    in any row (every line ending in a comma) holds nothing to ignore and is left out."""
    return [c for c in table if c not in used and not (c.startswith(UNNAMED) and not any(cell(v) for v in table[c]))]
