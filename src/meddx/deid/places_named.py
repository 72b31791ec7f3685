"""Places named in three ways the other location rules miss, and words they took for places (the thirteenth
review's blind and fresh lines):

- a facility named after a saint, without "Hospital" after it ("from St Mary's ED", "moved to St George's ICU",
  "attends St Vincent's for dialysis"): the whole name is a LOCATION, as a named facility is in ``PHI_TYPES``
  (the name rule took "Mary" alone, leaving "St" and "'s ED" around a NAME tag);
- the area of a local council ("Glasgow City Council", "Cork County Council", "Camden Council"): a council is
  named for a geographic unit smaller than a state; councils named for what they do ("General Medical Council",
  "Medical Research Council", "Arts Council") name no place;
- a Welsh or Irish street, whose kind comes first ("7 Heol y Bryn", "Ffordd Glyndwr", "Bóthar na Trá").

Dropped: a ward's bay, bed or room after "moved from"/"transferred to" ("Moved from Bay 3", "transferred to
Resus 2", "to Majors"), a kind of home after "lives in" ("Sheltered Housing", "Supported Living"), and "Council"
or "Hall" after "city"/"town" ("City Council": the place word ``city`` is no place here).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, english_looking, is_eponym_use
from meddx.deid.patterns import Cand

_FACILITY_AFTER = (r"Hospital|Hospice|Infirmary|Church|School|Academy|College|Ward|Unit|Clinic|Surgery|Practice"
                   r"|Medical[ \t]+Cent(?:re|er)|Health[ \t]+Cent(?:re|er)|Nursing[ \t]+Home|Care[ \t]+Home|House|Court"
                   r"|Lodge|Road|Street|Close|Way|Avenue|Terrace|Place|Park|Square|Hill|Green|Gate|Row|Walk|Mount"
                   r"|Gardens"
                   r"|Crescent|Lane|Drive|Estate|Cross")
# "St Mary's", "St. George's Hospital", "Saint Vincent's", "St Thomas' Hospital", "St Luke Hospice"
_SAINT_RE = re.compile(rf"(?<![\w'’-])(?:St\.?|Saint)[ \t]+(?P<saint>{TOKEN})(?:(?P<poss>['’]s?)(?![\w'’])"
                       rf"(?:[ \t]+(?P<kind1>{_FACILITY_AFTER})\b)?|[ \t]+(?P<kind2>{_FACILITY_AFTER})\b)")
# a saint's solution, disease, herb or feast, not a facility: "St. Thomas' II cardioplegic solution", "St Vitus dance",
# "St Anthony's fire", "St George's Day"
_NOT_FACILITY_RE = re.compile(r"[ \t]+(?:(?:I{1,3}|IV|VI?)\b|(?i:solution|cardiopleg\w*|wort|dance|fire|day|eve)\b)")
_COUNCIL_RE = re.compile(rf"(?P<area>{TOKEN}(?:[ \t]+{TOKEN}){{0,2}}?)[ \t]+"
                         r"(?:(?:City|County|Borough|District|Town|Metropolitan[ \t]+Borough|County[ \t]+Borough"
                         r"|Regional|Shire)[ \t]+)?Council\b")
# what a council does, not where it is (with the common words and the adjective-shaped words)
_COUNCIL_KINDS = frozenset("""General Medical Research Arts Sports Security Privy Student Students Youth Professions
Midwifery Nursing Care Health Dental Pharmaceutical Optical Social Legal Science Sciences Economic European British
Scottish Welsh Irish English Northern National International World Global Advisory Executive Governing Parish
Community Resuscitation Cancer Heart Stroke Trust Faculty Royal""".split())
_CELTIC_STREET_RE = re.compile(rf"(?:\b\d{{1,4}}[A-Za-z]?,?[ \t]+)?(?<![\w'’-])"
                               rf"(?:Heol|Ffordd|Stryd|Lôn|Rhodfa|Cilgant|Bóthar|Bothar|Sráid|Sraid|Ascaill|Céide)"
                               rf"[ \t]+(?:(?:y|yr|an|na|'r)[ \t]+)?"
                               rf"{TOKEN}(?:[ \t]+{TOKEN})?")
_WARD_PLACES = frozenset("Bay Bays Bed Beds Room Side Cubicle Resus Majors Minors Pod Theatre Theatres Recovery "
                         "Ward Wards Pitstop Ambulatory Triage".split())
# a kind of home after "lives in", not a place: "Lives in Sheltered Housing", "lives in Supported Living"
_HOUSING_KINDS = frozenset("""Sheltered Supported Residential Warden Assisted Extra Independent Temporary Emergency
Respite Hostel Council Social Private Rented Shared Student Homeless""".split())
_CITY_WORD_RE = re.compile(r"(?i:\b(?:city|town))[ \t]+\Z")
_CIVIC_WORDS = frozenset("Council Hall Centre Center Limits Hospital Football Police".split())


def find_named_places(text: str) -> list[Cand]:
    """LOCATION candidates for the three shapes above."""
    out: list[Cand] = []
    for m in _SAINT_RE.finditer(text) if "St" in text or "Saint" in text else ():
        if not (is_eponym_use(text, m.end("saint")) or _NOT_FACILITY_RE.match(text, m.end())
                or m.group("saint").lower() in lexicon.common_words()):
            out.append(Cand(m.start(), m.end(), "LOCATION", "facility", 57))
    for m in _COUNCIL_RE.finditer(text) if "Council" in text else ():
        area = _area(m)
        if area is not None:
            out.append(Cand(area[0], area[1], "LOCATION", "council-area", 57))
    out += [Cand(m.start(), m.end(), "LOCATION", "street", 61) for m in _CELTIC_STREET_RE.finditer(text)]
    return out


def _area(m: re.Match[str]) -> tuple[int, int] | None:
    """The last words of the council's name before its kind that may name a place ("Glasgow" of "Glasgow City
    Council", "Rhondda Cynon Taf" of "Rhondda Cynon Taf County Borough Council"), or ``None``."""
    common = lexicon.common_words()
    start = end = m.end("area")
    for w in reversed(list(re.finditer(r"\S+", m.group("area")))):
        word = w.group()
        if word in _COUNCIL_KINDS or word.lower() in common or (english_looking(word) and not lexicon.is_listed(word)):
            break
        start = m.start("area") + w.start()
    return (start, end) if start < end else None


def drop_place_overscrubs(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without a ward's places taken for a town and without "Council" after "City" (see above)."""
    out: list[Cand] = []
    for c in cands:
        value = text[c.start:c.end]
        if c.type == "LOCATION" and c.rule == "place-context" and (value.split()[0] in _WARD_PLACES
                                                                    or value.split()[0] in _HOUSING_KINDS):
            continue  # "Moved from Bay 3", "transferred to Resus 2", "Lives in Sheltered Housing"
        if c.type == "LOCATION" and value in _CIVIC_WORDS and _CITY_WORD_RE.search(text, max(0, c.start - 8), c.start):
            continue  # "Glasgow City Council": "Council" after the place word "city"
        out.append(c)
    return out
