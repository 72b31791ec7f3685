"""Column names as the user's file holds them, for notes and messages.

pandas names a column whose header cell is blank (a trailing comma on every line) ``Unnamed: 2``,
0-based: a name the file does not hold, which a note then quoted as if it did."""

from __future__ import annotations

import re
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


def shares_word(a: str, b: str) -> bool:
    """Whether one name is a word of the other, a plural ``s`` aside (``notes`` and ``note_text``)."""
    def words(name: str) -> set[str]:
        return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.split(r"[^0-9a-z]+", name) if len(w) >= 3}

    return bool(words(a) & words(b)) and (len(words(a)) == 1 or len(words(b)) == 1)
