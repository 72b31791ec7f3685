"""A person in brackets right after a study's or a record's number (de-id round 17): "participant STR-0419
(Wanjiru Kamau) consented", "pt 88120044 (Ama Owusu)", "record no. HX-2231 (Tomasz Wójcik)".

Why this cue: a number after "participant", "subject", "patient" or "record" identifies one person, and two or
three words in brackets after it that can each be a name (capitalised, not common, not English-shaped, no role,
family, service or drug word) are that person's name; a site or an arm there is a word ("(Control Arm)") or one
word ("(Leeds)") and stays.
"""

from __future__ import annotations

import re

from meddx.deid.names import TOKEN, is_eponym_use
from meddx.deid.names_objects import _person_word
from meddx.deid.patterns import Cand

_ID_PAREN_RE = re.compile(
    rf"(?<![\w'’-])(?i:participant|subject|patient|pt|client|record|case|no\.?|number)[ \t]+[#:]?[ \t]*"
    rf"[A-Z0-9][\w/-]*\d[\w/-]*[ \t]*\([ \t]*(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}})[ \t]*\)")


def find_id_paren_names(text: str) -> list[Cand]:
    """NAME candidates of the shape in the module docstring."""
    out: list[Cand] = []
    for m in _ID_PAREN_RE.finditer(text) if "(" in text else ():
        words = m.group("name").split()
        if all(_person_word(w) for w in words) and not is_eponym_use(text, m.end("name")):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "title", 55))
    return out
