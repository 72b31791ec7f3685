"""Irish and Scottish Gaelic names with their particle (de-id round 18): "Siobhán Mac Giolla Phádraig", "Gráinne Ó
Súilleabháin", "Máire Ní Bhriain", "Aoife Nic Aodha". A first name, the particle ("Ó", "Ní", "Nic", "Uí", "Mhic",
"Mac") and one or two name words are a name with no other cue: English clinical text puts none of these particles
between two name-shaped words. The first word must pass ``cap_name_ok`` and be no common word, so "Apple Mac Pro"
and "Apple Mac Pro Max" stay; "Mac" alone needs two name words after it, the first longer than three letters
("Mac Giolla Phádraig").
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, cap_name_ok, name_like
from meddx.deid.patterns import Cand

_GAELIC_RE = re.compile(rf"(?<![\w'’-])(?P<first>{TOKEN})[ \t]+(?:(?:Ó|Ní|Nic|Uí|Mhic)[ \t]+(?P<one>{TOKEN})"
                        rf"|Mac[ \t]+(?P<two>{TOKEN}[ \t]+{TOKEN}))(?![\w'’-])")


def find_gaelic_names(text: str) -> list[Cand]:
    """NAME candidates of the shape in the module docstring."""
    if not any(p in text for p in ("Ó ", "Ní ", "Nic ", "Uí ", "Mhic ", "Mac ")):
        return []
    out: list[Cand] = []
    common = lexicon.common_words()
    for m in _GAELIC_RE.finditer(text):
        rest = (m.group("one") or m.group("two")).split()
        if cap_name_ok(m.group("first")) and m.group("first").lower() not in common \
                and all(name_like(w, caps_ok=False) for w in rest) and (m.group("two") is None or len(rest[0]) > 3):
            out.append(Cand(m.start(), m.end(), "NAME", "gaelic", 55))
    return out
