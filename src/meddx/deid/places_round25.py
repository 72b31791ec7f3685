"""A place named by the work site or the market it has, a place someone goes home to, and a facility named by its
town (de-id round 25).

Round 24's fresh lines and round 25's held-out lines had places with a cue no rule read:

- one or two capitalised words after a place preposition and before a lower-case noun of a work site, a market or
  a harbour (``at Abbeyfeale mart``, ``injured at Kawerau mill``, ``near Glenveagh quarry``), or before a motorway's
  ``Services`` or a practice's ``Medical`` at a clause's end (``collapsed at Membury Services``, ``GP at Kooringal
  Medical.``): a place's word (``places_travel._place_word``) not shaped like English ("at Paper mill", "at Social
  Services" stay). Not before ``clinic`` or ``lab`` alone: a specialty stands
  there ("Stoma clinic", "Histology lab") and has the same shape as a place ("Papunya clinic", "Crumlin lab");
- one or two capitalised words after a verb of going home or moving and ``to`` (``home to Carndonagh with her son``,
  ``discharged 2024-11-14 to Okotoks.``, ``moved back to Whakatane``), before a clause's end or a lower-case word:
  a place's word that is no care setting ("discharged to Respite", "home to Mum" stay); an English-shaped word is
  taken here ("Okotoks"), as the verb says a place follows;
- a coast's bay after a place preposition (``from Marsden Bay``), not a ward's (``moved to Side Bay``, ``Bay 3``);
- a listed city or town after one or two capitalised words that name its facility, after a place preposition
  (``at Spire Leeds``, ``to Ochsner Baton Rouge``) or with a hospital's kind word (``Triage, University Hospital
  Limerick:``): one place, not the town alone. Not after a comma: ``his son, Zinnia Grimsby`` is a person whose
  surname is a town.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names import english_looking
from meddx.deid.patterns import Cand

_W = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
_SITE_RE = re.compile(rf"(?<![\w'’-])(?:at|in|to|from|near|off|outside)[ \t]+(?P<place>{_W}(?:[ \t]+{_W})?)[ \t]+"
                      r"(?:mart|mill|sawmill|quarry|mine|colliery|abattoir|factory|depot|pier|marina|harbour|harbor"
                      r"|docks?|airfield|racecourse|showground"
                      r"|(?P<services>Services|Medical(?=[ \t]*(?:[.,;]|$))))(?![\w'’-])")
# "from Marsden Bay": a coast's bay; not a ward's ("moved to Side Bay", "Escalation Bay", "Bay 3")
_BAY_RE = re.compile(rf"(?<![\w'’-])(?:at|in|to|from|near|off|into|round)[ \t]+(?P<place>{_W}(?:[ \t]+{_W})?[ \t]+Bay)"
                     r"(?![\w'’-])(?![ \t]*\d)")
_WARD_BAYS = frozenset("""Side Cubicle Overflow Corridor Day Escalation Isolation Bariatric Quiet Single Open Main
Nurses Treatment Triage Trolley Chair Ambulance Loading Recovery Holding Sick Observation Assessment Discharge
Surge""".split())
# what a mill, a mine or a dock makes or holds, not a place ("at Paper mill", "Cotton mill", "Coal mine")
_GOODS = frozenset("Paper Steel Cotton Flour Wool Woollen Saw Timber Textile Water Wind Coal Tin Copper Gold Salt Slate"
                   " Cattle Sheep Livestock Fish Dry Cargo Container Ferry Cruise".split())
_HOME_RE = re.compile(rf"(?<![\w'’-])(?:home|moved|moving|relocated|relocating|emigrated|returned|returning|returns"
                      rf"|discharged|flew|flying)(?:[ \t]+(?:back|home|on))?(?:[ \t]+[\d/.-]{{6,10}})?[ \t]+to[ \t]+"
                      rf"(?P<place>{_W}(?:[ \t]+{_W})?)(?=[ \t]*(?:[,;:.)]|\Z|\n)|[ \t]+[{LOWER}])")
# care settings a patient goes home or is discharged to (not places)
_SETTINGS = frozenset("""Respite Stepdown Step-down Maternity Rehab Hospice Recovery Theatre Ward Resus Majors Minors
Home Mum Mam Dad Nan Gran Nana Granny Grandma Grandad Nursing Residential Care Intermediate Community""".split())
_RUN_RE = re.compile(rf"(?:(?<![\w'’-])(?P<prep>at|to|from|in)[ \t]+|(?<![\w'’-]))"
                     rf"(?P<run>{_W}(?:[ \t]+{_W}){{1,4}})(?![\w'’-])")
_TITLES = frozenset("Dr Mr Mrs Ms Miss Prof Sr St Saint Rev Fr Nurse Sister".split())
_KINDS = frozenset("Hospital Infirmary Hospice Clinic Centre Center Medical Health Healthcare Sanatorium".split())
_GATE_RE = re.compile(r"mart|mill|quarry|mine|colliery|abattoir|factory|depot|pier|marina|harbo|dock|airfield|race"
                      r"|showground|Services|home|moved|moving|reloca|emigrat|return|discharged|flew|flying|[A-Z]")


def find_round25_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes in the module docstring."""
    from meddx.deid.places_travel import _place_word

    if not _GATE_RE.search(text):
        return []
    out: list[Cand] = []
    for m in _SITE_RE.finditer(text):
        kind = m.group("services") is not None  # a capitalised kind says the word is a name ("Kooringal Medical")
        words = m.group("place").split()
        if all(_place_word(w) and (kind or not english_looking(w)) and w not in _GOODS for w in words):
            end = m.end("services") if m.group("services") else m.end("place")  # "Membury Services": one place
            out.append(Cand(m.start("place"), end, "LOCATION", "site-place", 52))
    for m in _HOME_RE.finditer(text):
        words = m.group("place").split()
        if all(_place_word(w) and w not in _SETTINGS for w in words):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "home-place", 52))
    for m in _BAY_RE.finditer(text) if "Bay" in text else ():
        words = m.group("place").split()[:-1]
        if all(_place_word(w) and not english_looking(w) and w not in _WARD_BAYS for w in words):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "bay-place", 52))
    out += _facility_towns(text)
    return out


def _facility_towns(text: str) -> list[Cand]:
    """"at Spire Leeds", "University Hospital Limerick": a listed town after the words that name its facility."""
    from meddx.deid.places_travel import _CHAIN_WORD_RE, _place_word

    places = frozenset(lexicon.cities()) | lexicon.towns()
    common = lexicon.common_words()
    out: list[Cand] = []
    for m in _RUN_RE.finditer(text):
        words = m.group("run").split()
        for k in (2, 1):  # "Ochsner Baton Rouge", "Spire Leeds"
            head = words[:-k][-3:]
            if not head or " ".join(words[-k:]) not in places:
                continue
            if _CHAIN_WORD_RE.fullmatch(" ".join(head)):
                break  # "Specsavers Kendal": a shop chain and its branch's town, found alone (round 24)
            kind = any(w in _KINDS for w in head)
            # (not after a comma: "his son, Zinnia Grimsby" is a person whose surname is a town)
            if kind or m.group("prep") and all((_place_word(w) or w.lower() not in common) and w not in places
                                               and w not in lexicon.first_names() and w not in _TITLES for w in head):
                start = m.start("run") + m.group("run").rindex(" ".join(head + words[-k:]))
                out.append(Cand(start, m.end("run"), "LOCATION", "facility-town", 58))
            break
    return out
