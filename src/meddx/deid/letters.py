"""Upper- and lower-case letter classes of every cased script, for regular expressions.

Python's ``re`` has no ``\\p{Lu}``/``\\p{Ll}``, and the name and place patterns need the case
distinction (a name is a capital followed by small letters). Hand-written ranges covered Latin-1
only, so "Dr. Łukasz Dvořák", "Dr. Иван Петров" or "Nguyễn" leaked or were cut mid-word; these
classes are generated once from the Unicode database for the Basic Multilingual Plane.
Combining marks count as small letters, so decomposed text ("e" + U+0301) stays one word.
``UNCASED`` holds the letters of scripts without case (Chinese, Arabic, Hebrew, Devanagari, Thai)
and ``MARKS`` the combining marks their words carry: a name in such a script is one run of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable


def _char_class(test: Callable[[str], bool]) -> str:
    """The body of a regex character class (``a-zß...``) of the BMP characters passing ``test``."""
    parts: list[str] = []
    start = None
    for cp in range(0x10000 + 1):
        ok = cp < 0x10000 and not 0xD800 <= cp <= 0xDFFF and test(chr(cp))
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            end = cp - 1
            parts.append(_escape(start) if start == end else f"{_escape(start)}-{_escape(end)}")
            start = None
    return "".join(parts)


def _escape(cp: int) -> str:
    ch = chr(cp)
    return "\\" + ch if ch in "\\]^-[" else ch


def _upper(ch: str) -> bool:
    return unicodedata.category(ch) in ("Lu", "Lt")


def _lower(ch: str) -> bool:
    return unicodedata.category(ch) in ("Ll", "Mn")


def _uncased(ch: str) -> bool:
    return unicodedata.category(ch) == "Lo"


def _mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc")


UPPER = _char_class(_upper)
LOWER = _char_class(_lower)
UNCASED = _char_class(_uncased)
MARKS = _char_class(_mark)
