"""Word tests shared by the location rules (``locations``, ``facilities``): proper words, runs of them
and the listed-city pattern (split out of ``locations`` to keep each module small)."""

from __future__ import annotations

import re
from functools import lru_cache

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand

# a place ending its clause: punctuation, a full stop before a space or the end, a line end ("car park, Skipton.", "in Leeds;")
CLAUSE_END = r"[ \t]*(?:[,;:)]|\.(?:\s|$)|\r?\n|$)"

_CAP = rf"[{UPPER}][{UPPER}{LOWER}'’.\-]*"
_ADJECTIVE_RE = re.compile(r"(?:al|ic|ive|ary|ory|ous)$")


@lru_cache(maxsize=1)
def _city_re() -> re.Pattern[str]:
    names = "|".join(re.escape(c) for c in lexicon.cities())
    return re.compile(r"(?<![\w-])(?:" + names + r")(?![\w-])")



_STATE_NEXT_RE = re.compile(r",?[ \t]+([A-Z]{2})(?![\w-])")


def _city_after(text: str, m: re.Match[str] | None, common: frozenset[str]) -> list[Cand]:
    """The city in ``m`` (after a street address or a facility), if it has a proper word."""
    if m is None:
        return []
    city = _leading_proper(text, m.start("city"), m.end("city"), common)
    state = _STATE_NEXT_RE.match(text, m.end("city"))
    if city is not None and state is not None and state.group(1) in lexicon.STATE_ABBRS:
        city = (m.start("city"), m.end("city"))  # "Salt Lake City, UT": a town before its state is whole
    if city is None or _eponym(text, city[1]) or text[city[0]:city[1]].isupper():  # "(NCI)" is no city
        return []
    return [Cand(city[0], city[1], "LOCATION", "city-after", 56)]


def _english(word: str) -> bool:
    from meddx.deid.names import english_looking

    return english_looking(word)


def _eponym(text: str, end: int) -> bool:
    from meddx.deid.names import is_eponym_use

    return is_eponym_use(text, end)


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]


def _proper_word(word: str, common: frozenset[str]) -> bool:
    """A capitalised word that is not common nor shaped like an adjective ("Regional", "Academic")."""
    low = re.sub(r"['’]s$", "", word.strip(".,'’")).lower()
    return bool(low) and word[0].isupper() and low not in common and low not in ("am", "pm") \
        and not _ADJECTIVE_RE.search(low)


def _proper(text: str, s: int, e: int, common: frozenset[str]) -> bool:
    word = text[s:e].strip(".,'’").lower()
    return bool(word) and text[s].isupper() and word not in common


def _span(text: str, keep: list[tuple[int, int]]) -> tuple[int, int] | None:
    if not keep:
        return None
    end = keep[-1][1]
    while end > keep[0][0] and text[end - 1] in ".,'’":
        end -= 1
    return keep[0][0], end


def _trailing_proper(text: str, start: int, end: int, common: frozenset[str]) -> tuple[int, int] | None:
    """The trailing run of proper words: "Seen at Quincy" -> "Quincy"; ``None`` if none."""
    keep: list[tuple[int, int]] = []
    for s, e in reversed(_words(text, start, end)):
        if not _proper(text, s, e, common):
            break
        keep.insert(0, (s, e))
    return _span(text, keep)


def _leading_proper(text: str, start: int, end: int, common: frozenset[str]) -> tuple[int, int] | None:
    """The leading run of proper words: "Pocatello Hospital" -> "Pocatello"; ``None`` if none."""
    keep: list[tuple[int, int]] = []
    for s, e in _words(text, start, end):
        if not _proper(text, s, e, common):
            break
        keep.append((s, e))
        if text[e - 1] in ".,":
            break
    return _span(text, keep)
