"""A British GP practice named ``... Surgery`` ("copies to The Limes Surgery", "registered at Oakwood Surgery") (de-id
round 15): ``Surgery`` is no facility ending in ``facilities`` because it is also a specialty ("General Surgery",
"referred to Plastic Surgery"). It is a practice here after ``The`` or after "at"/"to"/"from"/"with", when its words
are neither common nor a kind of surgery nor shaped like an adjective ("Cardiothoracic", "Colorectal").
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand

_WORD = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
PRACTICE_RE = re.compile(rf"(?:(?<![\w-])(?P<the>The)[ \t]+|(?i:\b(?:at|to|from|with|GP)[ \t]+(?:the[ \t]+)?))"
                         rf"(?P<name>{_WORD}(?:[ \t]+{_WORD}){{0,2}})[ \t]+Surgery\b")
# what is operated on or how: a kind of surgery, not a practice's name
_KINDS = frozenset("""day eye knee hip hand foot spine spinal plastic cosmetic keyhole minor major dental oral breast
cataract laser robotic emergency elective weight loss reconstructive heart brain bowel bariatric thoracic cardiac
general vascular paediatric pediatric trauma transplant private nhs""".split())
_ADJECTIVE_RE = re.compile(r"(?:ic|al|ive|ary|ous|ology|logical|ed|ing)$")


def find_practices(text: str) -> list[Cand]:
    """LOCATION candidates for the practice's name and the word ``Surgery`` (``The`` is left out)."""
    common = lexicon.common_words()
    out: list[Cand] = []
    for m in PRACTICE_RE.finditer(text):
        words = [w.lower() for w in m.group("name").split()]
        if any(w in common or w in _KINDS or _ADJECTIVE_RE.search(w) for w in words):
            continue
        out.append(Cand(m.start("name"), m.end(), "LOCATION", "gp-practice", 57))
    return out
