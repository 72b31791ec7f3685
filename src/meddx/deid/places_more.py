"""Places the address, facility and landmark rules miss (found by the eighth review's held-out notes): a
named block after a flat number ("Flat 2, Dunvegan Court"), a care home and the town after it ("Hazelwood
House care home, Tooting"), a practice or health centre named in lower case after "at" ("at Harlesden
practice", "at Bolton One health centre"), the town after a district ("Lives in Dyce, Aberdeen.") and the
university or college a student attends ("student at Oregon State University"); and (the ninth review) a local
council named after its place ("Wigan Council", "Leeds City Council"; not "General Medical Council"), a hospital
called "<place> Royal" ("DaTscan at Salford Royal") and the town after a place found by another rule, ending the
clause ("St Richard's Hospital, Chichester", "Flat 4, Priory Court, Taunton.": ``towns_after_places``); and (the
eleventh review) a town joined by prepositions ("Stockton-on-Tees", "Weston-super-Mare").

Hand-written like the rest of ``meddx.deid`` (no offline gazetteer of British or US places exists to use);
each needs a proper word: capitalised, not a common word and not shaped like English ("the Memory practice"
and "at Community health centre" stay).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand
from meddx.deid.place_words import _english, _proper_word

_W = rf"[{UPPER}][{LOWER}]+(?:['’][{LOWER}]|-[{UPPER}][{LOWER}]+)*"
_END = r"(?=[ \t]*(?:[.;,)]|\r?\n|$))"  # the place ends the clause
# "Flat 2, Dunvegan Court", "Flat 14, Kestrel House": a block named without a house number
NAMED_BLOCK_RE = re.compile(rf"(?<![\w-])(?:Flat|Apartment|Apt|Unit|Room)\.?[ \t]*\d{{1,4}}[A-Za-z]?,[ \t]*"
                            rf"(?:{_W}[ \t]+){{1,2}}(?:Court|House|Lodge|Mansions|Tower|Heights|Buildings|Point|Hall"
                            rf"|Villas|Cottages|Gardens)(?![\w'’-])")
# "Hazelwood House care home, Tooting", "Mercy Manor nursing home, Dubuque"
CARE_HOME_RE = re.compile(rf"(?<![\w'’-])(?P<name>(?:{_W}[ \t]+){{1,3}})(?:care|nursing|residential|rest)[ \t]+home"
                          rf"(?:,[ \t]*(?P<town>{_W}(?:[ \t]+{_W})?){_END})?")
# "at Harlesden practice", "at Bolton One health centre": a practice named in lower case
AT_PRACTICE_RE = re.compile(rf"(?<![\w-])(?:at|from|to)[ \t]+(?:the[ \t]+)?(?P<place>{_W}(?:[ \t]+{_W})?)[ \t]+"
                            r"(?:practice|surgery|health[ \t]+cent(?:re|er)|medical[ \t]+cent(?:re|er)"
                            r"|GP[ \t]+practice)\b")
# "Lives in Dyce, Aberdeen.", "moved to Leith, Edinburgh": a district, then its town ending the clause
TOWN_AFTER_RE = re.compile(rf"(?i:\b(?:lives|living|lived|moved|resides|residing|based|born))[ \t]+(?:in|to|at)[ \t]+"
                           rf"{_W}(?:[ \t]+{_W})?,[ \t]*(?P<town>{_W}(?:[ \t]+{_W})?){_END}")
# "student at Oregon State University", "attends Riverside Community College"
SCHOOL_RE = re.compile(rf"(?i:\b(?:student|studies|studying|enrolled|attends|attending))[ \t]+(?:at[ \t]+)?"
                       rf"(?:the[ \t]+)?(?P<place>(?:{_W}[ \t]+){{1,3}}(?:University|College|Academy|Polytechnic)"
                       rf"(?:[ \t]+of[ \t]+{_W})?)")

# "Wigan Council", "Leeds City Council", "Fife Council": a local authority is named for its place (a unit smaller
# than a state); "General Medical Council", "Resuscitation Council" are national bodies of ordinary words
COUNCIL_RE = re.compile(rf"(?<![\w'’-])(?P<place>{_W}(?:[ \t]+{_W})?)[ \t]+(?:(?:City|County|Borough|District|Town"
                        r"|Parish|Metropolitan[ \t]+Borough)[ \t]+)?Council(?![\w'’-])")
# a council's side of its county is no common word: "North Yorkshire Council", "West Berkshire Council"
_COMPASS = frozenset("North South East West Mid".split())
# Local authorities named for an area, not a town, whose name is shaped like English so ``_named`` misses it
# ("Kirklees Council", "Wirral Council"); before "Council" only, so "the Wirral peninsula" is left to the town rules.
# Hand-written: no offline list of British councils exists to use.
_AUTHORITIES = frozenset("""Kirklees Calderdale Wirral Sefton Knowsley Tameside Trafford Sandwell Halton Medway Torbay
Thurrock Rutland Wealden Wychavon Ryedale Craven Fylde Tendring Breckland Broadland Mendip Sedgemoor Teignbridge
Cotswold Selby Hambleton Allerdale Copeland Rossendale Pendle Tandridge Elmbridge Spelthorne Runnymede Waverley
Hertsmere Dacorum Uttlesford Babergh Rother Arun Chiltern Wycombe Swale Ashfield Broxtowe Gedling Bassetlaw Erewash
Charnwood Harborough Blaby Bromsgrove Redditch Stroud Tewkesbury Powys Gwynedd Ceredigion Conwy Denbighshire
Flintshire Wrexham Monmouthshire Torfaen Caerphilly Moray Angus Midlothian Inverclyde Clackmannanshire Renfrewshire
Dunbartonshire Ayrshire Lanarkshire""".split())
# "at Salford Royal", "Derby Royal": a hospital's short name (not "Royal College", which a capitalised word follows)
ROYAL_RE = re.compile(rf"(?<![\w'’-])(?P<place>{_W})[ \t]+Royal(?![\w'’-])(?![ \t]+[{UPPER}])")
# What follows a place's comma but is larger than a town (kept, like states): states in the old abbreviations
# ("Seattle, Wash."), provinces and countries ("Montreal, Quebec", "Melbourne, Australia")
_LARGER = frozenset("""Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Kans Ky La Md Mass Mich Minn Miss Mo Mont Neb
Nev Okla Ore Pa Penn Tenn Tex Va Vt Wash Wis Wisc Wyo Ont Que Alta Quebec Ontario Alberta Manitoba Saskatchewan Nova
Scotia Brunswick Newfoundland Labrador Yukon Australia Netherlands Sweden Norway Denmark Finland Belgium Switzerland
Austria Zealand Wales Singapore Taiwan Thailand Malaysia Indonesia Argentina Chile Venezuela Hungary Romania Czech
Slovakia Croatia Serbia Bulgaria Iceland Lebanon Jordan Syria Saudi Arabia Emirates Qatar Kuwait Nepal Lanka Uganda
Tanzania Zambia Zimbabwe Cameroon Senegal Morocco Tunisia Algeria Sudan Rwanda Malawi Bermuda Bahamas Barbados
Trinidad Tobago Guyana Cyprus Malta Luxembourg Monaco Gibraltar UK USA""".split())
# ", Chichester" ending the clause after a place
_TOWN_AFTER_PLACE_RE = re.compile(rf",[ \t]*(?P<town>{_W}(?:[ \t]+{_W})?){_END}")


def towns_after_places(text: str, chosen: list[Cand]) -> list[Cand]:
    """"St Richard's Hospital, Chichester", "Flat 4, Priory Court, Taunton.": the town after a place that another
    rule found (``chosen``: resolved spans), when it ends the clause and has a proper word that is not English
    ("Leeds General Infirmary, Cardiology." stays). The caller keeps those that overlap nothing."""
    common = lexicon.common_words()
    out: list[Cand] = []
    for c in chosen:
        # (round 25: also a branch's town after an employer, "employer Laurentian Forest Products, Kapuskasing.",
        # where an English-shaped town is taken too: "-ing" is common in Canadian and British town names)
        employer = c.type == "NAME" and c.rule == "employer"
        m = _TOWN_AFTER_PLACE_RE.match(text, c.end) if c.type == "LOCATION" or employer else None
        words = m.group("town").split() if m else []
        named = _named(words, common) or employer and all(_proper_word(w, common) for w in words)
        if m and named and not any(w.lower() in common or w in _LARGER or w in lexicon.STATE_NAMES
                                                   for w in words):
            out.append(Cand(m.start("town"), m.end("town"), "LOCATION", "city-after", 56))
    return out

# "Stockton-on-Tees", "Henley-on-Thames", "Newcastle-upon-Tyne", "Weston-super-Mare", "Chapel-en-le-Frith": a British
# town joined by a lower-case preposition between capitalised words (no clinical term is written so)
JOINED_TOWN_RE = re.compile(rf"(?<![\w'’-])[{UPPER}][{LOWER}]+(?:-(?:on|upon|under|super|in|by|le|en|on-the|in-the"
                            rf"|under-the|en-le|le-de|de-la))+-[{UPPER}][{LOWER}]+(?![\w'’-])")


def find_more_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes above."""
    common = lexicon.common_words()
    out: list[Cand] = []
    if any(w in text for w in ("Flat", "Apartment", "Apt", "Unit", "Room")):  # cheap tests first
        out += [Cand(m.start(), m.end(), "LOCATION", "street-intl", 60) for m in NAMED_BLOCK_RE.finditer(text)]
    for m in CARE_HOME_RE.finditer(text) if " home" in text else ():
        if _named(m.group("name").split(), common):
            end = m.start("name") + len(m.group("name").rstrip())
            out.append(Cand(m.start("name"), end, "LOCATION", "facility", 57))
            if m.group("town"):
                out.append(Cand(m.start("town"), m.end("town"), "LOCATION", "city-after", 56))
    kinds = ("practice", "surgery", "centre", "center")
    for m in AT_PRACTICE_RE.finditer(text) if any(k in text for k in kinds) else ():
        if _named(m.group("place").split(), common):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "facility", 57))
    out += [Cand(m.start("town"), m.end("town"), "LOCATION", "city-after", 56) for m in TOWN_AFTER_RE.finditer(text)
            if _named(m.group("town").split(), common) and m.group("town") != "Co"]  # "Rathmore, Co. Kerry": a county
    for rx, word in ((COUNCIL_RE, "Council"), (ROYAL_RE, "Royal")):
        for m in rx.finditer(text) if word in text else ():  # no common word: "Medical Research Council" stays
            words = m.group("place").split()
            authority = word == "Council" and bool(words) and words[-1] in _AUTHORITIES
            if authority or _named(words, common) and not any(w.lower() in common and w not in _COMPASS
                                                               for w in words):
                out.append(Cand(m.start(), m.end(), "LOCATION", "facility", 57))
    out += [Cand(m.start(), m.end(), "LOCATION", "city-list", 56) for m in JOINED_TOWN_RE.finditer(text)
            if "-" in text]
    if any(w in text for w in ("University", "College", "Academy", "Polytechnic")):
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", "facility", 57) for m in SCHOOL_RE.finditer(text)]
    return out


def _named(words: list[str], common: frozenset[str]) -> bool:
    """One proper word that is not shaped like English ("Hazelwood", "Harlesden"; not "Community", "Memory")."""
    return any(_proper_word(w, common) and not _english(w) for w in words)
