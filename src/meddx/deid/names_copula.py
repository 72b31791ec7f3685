"""Two or three name words after "patient is" / "was" / "named" (found after de-id round 19).

``Patient is Xavi Quonset Jr.`` and ``The patient is Thandiwe Mokoena.`` left the name in the text:
neither word is listed, and no title, heading or age was near. A run of two or three capitalised
words right after a person's noun and a copula is a name in a note; a clinical state written in
title case ("Patient is Alert and Oriented") is one word before a lower-case one, and common or
English-shaped words are kept out as the other name rules keep them. Written here: no library
de-identifies this shape (Philter, Presidio and scrubadub rely on the same kind of cues).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, cap_name_ok, english_looking
from meddx.deid.patterns import Cand

_COPULA_RE = re.compile(
    rf"(?<![\w'’-])(?i:patient|pt|client|resident|service[ \t]+user|the[ \t]+deceased|baby|infant|child)"
    rf"[ \t]+(?i:is|was|named|called|(?:whose[ \t]+)?name[ \t]+is)[ \t]+"
    rf"(?P<name>{TOKEN}(?:[ \t]+(?!(?:Jr|Sr|Jnr|Snr)\b){TOKEN}){{1,2}})(?![\w'’-])")
_TOKEN_RE = re.compile(TOKEN)
# states, codes and faiths written in title case after "patient is" that pass the name-shape tests
_NOT_NAMES = frozenset("""afebrile apyrexial drowsy nil known full code catholic roman christian muslim jewish hindu
sikh buddhist anglican protestant orthodox baptist methodist jehovah witness witnesses adventist pentecostal
mormon agnostic atheist hep type stage grade""".split())


def _name_word(word: str) -> bool:
    """A word that can be part of a person's name here: listed as a name, or capitalised, neither a
    common word nor English-shaped (``Afebrile``, ``Drowsy`` and the like pass the shape tests, so
    both words of the run must pass and the common-word list stops the states)."""
    if word.lower() in lexicon.common_words() or word.lower() in _NOT_NAMES:
        return False
    return lexicon.is_listed(word) or (cap_name_ok(word) and not english_looking(word))


def find_copula_names(text: str) -> list[Cand]:
    """NAME candidates: the name words after "patient is/was/named", two or three of them."""
    low = text.lower()
    if " is " not in low and " was " not in low and "named" not in low and "called" not in low:
        return []
    out: list[Cand] = []
    for m in _COPULA_RE.finditer(text):
        words = [w.group() for w in _TOKEN_RE.finditer(m.group("name"))]
        if len(words) >= 2 and all(_name_word(w) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "copula", 54))
    return out
