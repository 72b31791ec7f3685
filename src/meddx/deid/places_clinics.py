"""A place named by the clinic or the service it has (de-id round 24).

Round 24's held-out lines had a remote community named only by its clinic ("seen at Papunya clinic") and a town
after a hospital's service and a comma ("referred to Eye Clinic, Wythenshawe from ..."). So:

- one capitalised word after a place preposition and before ``health centre``, ``health clinic``, ``nursing
  station``, ``community hospital`` or ``medical centre`` in lower case ("at Papunya health clinic"): a place's
  name, when it is no common, English-shaped or listed first-name word, no brand, kind of thing, surname or time
  (``places_travel._place_word``). Not before ``clinic`` alone: a specialty stands there ("at Stoma clinic",
  "at Botox clinic", "at Parkinson clinic"), so "seen at Papunya clinic" stays missed;
- one or two capitalised words after a service's kind word in capitals and a comma, before a clause's end or a
  preposition ("Eye Clinic, Wythenshawe from", "Renal Unit, Tooting."): the town of that service.
"""

from __future__ import annotations

import re

from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names import english_looking
from meddx.deid.patterns import Cand

_W = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
_BEFORE_CLINIC_RE = re.compile(rf"(?<![\w'’-])(?i:at|to|from|in)[ \t]+(?P<place>{_W})[ \t]+(?:health[ \t]+(?:cent(?:re|er)"
                               r"|clinic|post|station)|nursing[ \t]+station|community[ \t]+(?:hospital|clinic)"
                               r"|medical[ \t]+cent(?:re|er))(?![\w'’-])")
_AFTER_SERVICE_RE = re.compile(rf"(?<![\w'’-])(?:Clinic|Unit|Centre|Center|Department|Dept|Service)[ \t]*,[ \t]*"
                               rf"(?P<place>{_W}(?:[ \t]+{_W})?)"
                               r"(?=[ \t]*(?:[,;:)]|\.(?:\s|$)|\n|$)|[ \t]+(?:from|to|at|on|in|for|by|via)\b)")
_GATE_RE = re.compile(r"(?i:clinic|centre|center|surgery|hospital|unit|department|dept|service)")


def find_clinic_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes in the module docstring."""
    from meddx.deid.places_travel import _place_word

    if not _GATE_RE.search(text):
        return []
    out: list[Cand] = []
    for rx in (_BEFORE_CLINIC_RE, _AFTER_SERVICE_RE):
        for m in rx.finditer(text):
            words = m.group("place").split()
            if all(_place_word(w) and not english_looking(w) for w in words):
                out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "clinic-place", 52))
    return out
