"""A name alone on a line of a printed label (pharmacy label, specimen label, wristband):

    Rx# 6029174   Filled: 05/06/2024
    BARNABY OKEREKE
    TAKE 1 TABLET BY MOUTH TWICE DAILY

Labels print the patient's name on its own line right after the line with the prescription,
specimen or record number, with no "Patient:" label. Taken: a line of two or three words in
capitals (no digits) after a line with such a field, every word neither a common word nor
English-looking, so headings ("CHIEF COMPLAINT", "HOSPITAL COURSE", "SHAKE WELL") stay.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import UPPER
from meddx.deid.patterns import Cand

_FIELD_LINE_RE = re.compile(r"(?i:\b(?:rx\s*(?:#|no\b|number)|filled|dispensed|specimen|accession|mrn|dob|d\.o\.b"
                            r"|collected|patient\s*id|wristband|fin\s*#|encounter\s*(?:#|no\b)))")
_CAPS_LINE_RE = re.compile(rf"(?m)^[ \t]*(?P<name>[{UPPER}][{UPPER}'’-]+(?:[ \t]+[{UPPER}][{UPPER}'’-]+){{1,2}})"
                           r"[ \t]*$")


def find_label_line_names(text: str) -> list[Cand]:
    """Names alone on a label line after a number or date field (see the module docstring)."""
    from meddx.deid.names import english_looking

    common = lexicon.common_words()
    out: list[Cand] = []
    for m in _CAPS_LINE_RE.finditer(text):
        before = text[text.rfind("\n", 0, max(0, text.rfind("\n", 0, m.start()))) + 1:m.start()]
        if not _FIELD_LINE_RE.search(before):
            continue
        words = m.group("name").split()
        if all(len(w) >= 2 and w.lower() not in common and not english_looking(w) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "label-line", 54))
    return out
