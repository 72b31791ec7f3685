"""A person named at the start of a nursing handover entry, before where they lie ("Handover at 0700: Zbigniew
Kaczmarek in Bay 6", "Edyta Nowak in bed 12 - for theatre") (de-id round 15): the heading or line start and the
bed or bay after the words are the cue that a name with no title or listed word has no other way to give.

Guarded: every word is name-shaped and not English-looking (``names.name_like``/``english_looking``), and no word
has the ending of an organism's Latin name, so "Norovirus Outbreak in Bay 3" or "Klebsiella Pneumoniae in bed 4"
stay.
"""

from __future__ import annotations

import re

from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names import english_looking, name_like
from meddx.deid.patterns import Cand

_WORD = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
BED_RE = re.compile(rf"(?:^|(?<=[:\n]))[ \t]*(?P<name>{_WORD}(?:[ \t]+{_WORD}){{1,2}})[ \t]+in[ \t]+"
                    r"(?:[Bb]ay|[Bb]ed|[Cc]ubicle|[Ss]ide[ \t]+[Rr]oom|SR|[Rr]oom)[ \t]*\d", re.M)
_LATIN_END_RE = re.compile(r"(?:iae|ella|ium|ococcus|bacter|virus|itis|osis|oma|emia|aemia)$")


def find_handover_names(text: str) -> list[Cand]:
    """NAME candidates for the shape above."""
    out: list[Cand] = []
    for m in BED_RE.finditer(text):
        words = m.group("name").split()
        if all(name_like(w, caps_ok=False) and not english_looking(w) and not _LATIN_END_RE.search(w.lower())
               for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "handover-bed", 45))
    return out
