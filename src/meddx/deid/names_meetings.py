"""Two or three name words after a meeting's phrase (de-id round 18): "Crisis plan agreed with Precious Moyo",
"session for Ines Carvalho", "plan made with Tafadzwa Mlambo", "explained to Wiremu Te Awa". These phrases also take
devices and manoeuvres ("agreed with Holter Monitor results", "session for Epley Manoeuvre"), so every word must be
no device, test or service word (``_THINGS``: "Monitor", "Manoeuvre", "Results"), the last must be a person's word
(``names_objects._person_word``: no common, English-shaped, drug, service or family word) and the others name-shaped
("Precious", "Ines" are English-shaped but start the name), and there must be at least two of them: one word alone
("for Thandiwe") stays a known limit.
"""

from __future__ import annotations

import re

from meddx.deid.names import TOKEN, name_like
from meddx.deid.names_objects import _NOT_PEOPLE
from meddx.deid.patterns import Cand

# the second word of a device, a manoeuvre, a test or a service named after a person: "Holter Monitor"
_THINGS = frozenset("""Monitor Monitoring Manoeuvre Maneuver Test Score Scale Sign Procedure Device Pump Sensor Valve
Catheter Splint Brace Stockings Stocking Frame Mask Tube Line Drain Protocol Pathway Regime Regimen Programme Program
Trial Study Clinic Service Team Results Result Report Data Recording Reading Readings Patch Loop Recorder Holter
Criteria Classification Questionnaire Exercises Exercise Technique Method Chart Plan Nurse Registrar
Practice""".split())
_MEETING_RE = re.compile(
    rf"(?<![\w'’-])(?i:(?:agreed|made|planned|reviewed|shared|arranged|completed)[ \t]+with|(?:session|appointment"
    rf"|consultation|call|visit|slot)[ \t]+(?:for|with)|explained[ \t]+to)[ \t]+"
    rf"(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}})(?![\w'’-])")


def find_meeting_names(text: str) -> list[Cand]:
    """NAME candidates of the shape in the module docstring."""
    from meddx.deid.names_objects import _person_word  # (names_objects imports this module's neighbours)

    out: list[Cand] = []
    for m in _MEETING_RE.finditer(text):
        words = m.group("name").split()
        if _THINGS.isdisjoint(words) and _person_word(words[-1]) and all(
                name_like(w, caps_ok=False) and w not in _NOT_PEOPLE for w in words[:-1]):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "meeting", 55))
    return out
