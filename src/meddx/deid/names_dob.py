"""A name right before its date of birth ("Safeguarding: Tyler-Jay (DOB 14/02/2017) attends", "Baby of Ama Owusu,
DOB 3/4/25", "Kacper Nowak born 02.05.2019"): the person whose birth date a note gives is named just before it,
whatever the name's shape, so no name list is needed. Only the capitalised words that end right before the date
label are taken, from the last back to the first that is a common word, a relation, a role or an English-looking
word ("Patient (DOB", "Mother's DOB", "Twin 2 DOB" stay).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, cap_name_ok
from meddx.deid.names_more_cues import RELATION_WORDS, ROLE_WORDS
from meddx.deid.patterns import Cand

_BEFORE_DOB_RE = re.compile(rf"(?<![\w'’-])(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,3}})[ \t]*(?:[(,–-][ \t]*)?"
                            r"(?:DOB|D\.O\.B\.?|(?i:date[ \t]+of[ \t]+birth|born[ \t]+(?:on[ \t]+)?(?=\d)))")
_NOT_NAMES = frozenset("Baby Twin Infant Child Patient Pt Client Resident Sibling Subject Participant".split())


def find_dob_names(text: str) -> list[Cand]:
    """NAME candidates: the name words right before a date-of-birth label."""
    if not re.search(r"DOB|D\.O\.B|(?i:date of birth|born)", text):
        return []
    common = lexicon.common_words()
    out: list[Cand] = []
    for m in _BEFORE_DOB_RE.finditer(text):
        words = list(re.finditer(r"\S+", m.group("name")))
        start = None
        for w in reversed(words):
            word = w.group()
            if (word.lower() in common or word.lower() in RELATION_WORDS or word in ROLE_WORDS or word in _NOT_NAMES
                    or not cap_name_ok(word)):
                break
            start = m.start("name") + w.start()
        if start is not None:
            out.append(Cand(start, m.end("name"), "NAME", "before-dob", 55))
    return out
