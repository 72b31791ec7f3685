"""Geographic units smaller than a state: street addresses, P.O. boxes, cities, counties, ZIP
codes and named facilities (a hospital's name usually carries its town).

States are kept (Safe Harbor allows them). A city is found when it is in the city list, sits
before ", ST" / ", State" (a ZIP code is required after abbreviations that are also
credentials, "Smith, MD"), or follows a place phrase ("lives in", "born in", "moved to").
Hospitals named without a kind word ("Mass General", "MGH") are in ``facility_names``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from meddx.deid import lexicon
from meddx.deid.facility_names import find_facility_names
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.locations_intl import extend_streets, find_intl_locations
from meddx.deid.patterns import Cand

_CAP = rf"[{UPPER}][{UPPER}{LOWER}'’.\-]*"
_SUFFIXES = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Court|Ct|Place|Pl|Way|Terrace|Ter|Circle|Cir|"
    "Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Path|Row|Alley|Plaza|Crescent|Loop|Pike|Turnpike|Expressway|"
    "Freeway|Run|Landing|Commons|Ridge|Crossing|Close|Walk|Green|Heights|Point|Hollow|Glen|Mews|Wharf|View|Vista|"
    "Bend|Grove|Park|Gardens|Estates|Hill|Knoll|Meadows|Meadow|Brook|Rise|Gate|Cove|Route|Rte|Quay|"
    "STREET|ST|AVENUE|AVE|ROAD|RD|BOULEVARD|BLVD|DRIVE|LANE|LN|COURT|PLACE|WAY|TERRACE|CIRCLE|PARKWAY|HIGHWAY"
)
_UNIT = r"(?:,?\s*(?:Apt|Apartment|Unit|Suite|Ste|Fl|Floor|Rm|Room|Bldg|Building|APT|UNIT|SUITE|#)\.?\s*#?\s*[A-Za-z0-9-]+\b)?"
STREET_RE = re.compile(
    r"(?<![\w/.-])\d{1,6}[A-Za-z]?\s+(?:(?:[NSEW]|North|South|East|West|N\.|S\.|E\.|W\.)\s+)?"
    r"(?:(?:" + _CAP + r"|\d{1,3}(?:st|nd|rd|th))\s+){1,4}(?:" + _SUFFIXES + r")\b\.?"
    r"(?:\s+(?:NE|NW|SE|SW|N|S|E|W)\b\.?)?" + _UNIT
)
PO_BOX_RE = re.compile(r"\b(?:P\.?\s?O\.?\s*Box|Post\s+Office\s+Box|PO\s+BOX)\s+\d{1,7}\b"
                       # rural routes: "RR 2 Box 118", "Rural Route 3, Box 41"
                       r"|\b(?:RR|R\.R\.|Rural\s+Route|HC|Star\s+Route)[ \t]*#?[ \t]*\d{1,4},?[ \t]+Box[ \t]+\d{1,6}\b",
                       re.I)
_STATE_ALT = "|".join(sorted(lexicon.STATE_ABBRS)) + "|" + "|".join(sorted(lexicon.STATE_NAMES, key=len, reverse=True))
CITY_STATE_RE = re.compile(
    r"(?P<city>(?:" + _CAP + r"\s){0,2}" + _CAP + r"),\s*(?P<state>" + _STATE_ALT + r")\b\.?"
    r"(?:,?\s+(?P<zip>\d{5}(?:-\d{4})?)(?![\d-]))?"
)
ZIP_CTX_RE = re.compile(r"(?i:\bzip(?:\s*code)?|\bpostal\s+code)[\s:#]*(?P<zip>\d{5}(?:-\d{4})?)(?![\d-])")
STATE_ZIP_RE = re.compile(r"\b(?:" + _STATE_ALT + r")\s+(?P<zip>\d{5}(?:-\d{4})?)(?![\d-])")
COUNTY_RE = re.compile(r"\b(?:" + _CAP + r"\s){1,2}(?:County|Parish|Borough)\b")
_FACILITY_END = (r"(?:Rehabilitation|Nursing|Health|Healthcare)(?: and | & )(?:Nursing|Rehabilitation|Rehab)(?: Center)?"
                 r"|Hospital|Medical Center|Medical Centre|Health Center|Health Centre|Health System|Healthcare|Clinic"
                 r"|Infirmary|Nursing Home|Rehabilitation Center|Rehab Center|Rehab|Hospice|Care Center|Surgery Center"
                 r"|Cancer Center|Heart Institute|Institute|Sanatorium|Nursing Center|Senior Living|Manor|Assisted Living"
                 r"|Memory Care|Retirement Home|Retirement Community|Retirement Village|Care Home|Rest Home"
                 r"|Convalescent Home|Convalescent Center|Pediatrics|Physical Therapy|Daycare|Day Care|Urgent Care"
                 r"|Family Practice|Family Medicine|Medical Group|Medical Associates|Dialysis Center|Surgical Center"
                 r"|Birth Center|Senior Apartments|Apartments|Elementary School|Middle School|High School|Junior High"
                 r"|Primary School|Preschool|Mobile Home Park|Trailer Park|RV Park|Group Home|Health(?![ \t]+[A-Z])"
                 r"|Cathedral|Church|Chapel|Synagogue|Mosque")
# Endings that are also ordinary phrases ("Mental Health", "Developmental Pediatrics"): the name
# before them needs a word that is neither common nor shaped like an adjective.
_WEAK_END = (r"Health|Pediatrics|Physical Therapy|Family Medicine|Family Practice|Manor|Daycare|Day Care|Urgent Care"
             r"|Medical Group|Medical Associates|Memory Care|Birth Center")
_WEAK_END_RE = re.compile(r"(?:" + _WEAK_END + r")$")
_FACILITY_END_UPPER = "|".join(sorted((e.upper() for e in _FACILITY_END.split("|")  # "EASTSIDE FAMILY CLINIC"
                                       if "(" not in e and e not in ("Health", "Pediatrics", "Manor", "Institute",
                                                                     "Daycare")), key=len, reverse=True))
# (longest first: "NURSING HOME" before "NURSING", which a piece of the first alternative left in the list)
# Words on one line ("Sincerely,\n\nMaria\nClinic coordinator" is no facility), joined by "and"/"&"/"of"
# ("Brigham and Women's Hospital"), and an "of/for ..." tail ("Children's Hospital of Philadelphia")
# (not before the weak ends: "National Institutes of Health", "American Academy of Pediatrics" are no places)
FACILITY_RE = re.compile(r"(?:(?:St\.|Saint|Mt\.|Mount)[ \t])?(?:" + _CAP + r"[ \t]+(?:(?:and|&|of)[ \t]+(?!(?:"
                         + _WEAK_END + r")\b))?){1,4}(?:" + _FACILITY_END + r")\b")
_TAIL_WORD = rf"[{UPPER}][{UPPER}{LOWER}'’\-]*(?![.\w]\w)"  # no full stop inside: "of the County. Seen ..." ends
_FACILITY_TAIL_RE = re.compile(r"[ \t]+(?:of|for)[ \t]+(?:the[ \t]+)?(?P<tail>" + _TAIL_WORD + r"(?:[ \t]+(?:of[ \t]+)?"
                               + _TAIL_WORD + r"){0,3})")
# "Hospital for Special Surgery", "University Hospital of Wales": the kind word before "of/for" and a proper word
FACILITY_FIRST_RE = re.compile(r"(?<![\w.-])(?:(?:St\.|Saint)[ \t])?(?:[{UPPER}][{UPPER}{LOWER}'’]*(?:-[{UPPER}{LOWER}]+)*[ \t]+){0,3}"
                               r"(?:Hospital|Clinic|Infirmary|Medical Center)(?=[ \t]+(?:of|for)[ \t])"
                               .replace("{UPPER}", UPPER).replace("{LOWER}", LOWER))
# One facility per name: "St. Mary's Medical Center and Mayo Clinic" is two
_FACILITY_SPLIT_RE = re.compile(r"\b(?P<end>" + _FACILITY_END + r")[ \t]+(?:and|&)[ \t]+")
_STATE_IN_RE = re.compile(r"\b(?:" + "|".join(sorted(lexicon.STATE_NAMES, key=len, reverse=True)) + r")\b")
# In upper-case text capitals say nothing: a facility needs "AT/TO/FROM" before it and name-shaped words
FACILITY_UPPER_RE = re.compile(r"\b(?:AT|TO|FROM|@)\s+(?:THE\s+)?(?P<fac>(?:(?:ST\.|SAINT|MT\.)\s)?(?:[A-Z][A-Z'’\-]*\s){1,3}"
                               r"(?:" + _FACILITY_END_UPPER + r"))\b")
# "went to St. Vincent's", "transferred to St. Mary's" (not "St. John's wort")
SAINT_RE = re.compile(r"(?<![\w.])(?:St\.?|Saint)[ \t]+[A-Z][a-z]+['’]s(?![\w'’])(?![ \t]+(?:[A-Z]|wort\b))")
_ADDR_CTX = (r"(?:lives|living|live|resides|residing|located|stays|staying|moved|moving|home|address|addr"
             r"|discharged|returned|returning)")
# "lives at 412 Birchwood, Duluth": a street address without a suffix, after a residence word
_LOWER_SUFFIX = r"(?:street|st|avenue|ave|road|rd|drive|lane|ln|court|ct|boulevard|blvd|way|place|pl|terrace|circle|cir)"
BARE_STREET_RE = re.compile(r"(?i:\b" + _ADDR_CTX + r"\b[^.\d]{0,60}?(?:\bat|\bto|\bis|:))[ \t]*(?P<addr>\d{1,6}[A-Za-z]?"
                            r"[ \t]+(?:(?:" + _CAP + r")(?:[ \t]+" + _CAP + r"){0,3}|(?:[a-z]+[ \t]+){1,3}" + _LOWER_SUFFIX
                            + r"\b\.?)" + _UNIT + r")(?=[ \t]*(?:[,;(]|\r?\n|$|\.(?:\s|$)|[ \t]in\b))")
# "lives on Maple Street", "house off Old Mill Rd": a street named without a house number after a residence word
STREET_NAME_RE = re.compile(r"(?i:\b(?:lives|living|live|resides|residing|home|house|apartment|stays|staying|moved)"
                            r"\b[^.\n\d]{0,40}?\b(?:on|off)\s+(?:of\s+)?)(?P<addr>(?:" + _CAP + r"\s+){1,3}(?:" + _SUFFIXES
                            + r")\b)")
# "Walgreens on Elm St", "CVS on Division Street": a named street after "on"/"off" with an unambiguous
# suffix ("Dr", "Ct", "Park", "View" need a residence word: "on Dr. Lee's service", "on Mountain View")
ON_STREET_RE = re.compile(r"(?<!\w)(?:on|off|at)[ \t]+(?P<addr>(?!The\b)(?:" + _CAP + r"[ \t]+){1,3}(?:Street|St|Avenue|Ave"
                          r"|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Court|Terrace|Parkway|Pkwy|Highway|Hwy)\b(?!['’]s)\.?)")
# "55 Harbour View, Jersey City, NJ": a number and capitalised words before ", City, ST"
ADDRESS_LINE_RE = re.compile(r"(?<![\w/.-])\d{1,6}[A-Za-z]?[ \t]+(?:" + _CAP + r"[ \t]+){0,3}" + _CAP + r"(?=,[ \t]*(?:"
                             + _CAP + r"[ \t]){0,2}" + _CAP + r",?[ \t]+(?:" + _STATE_ALT + r")\b)")
_CITY_AFTER_RE = re.compile(r",[ \t]*(?P<city>(?:" + _CAP + r"[ \t]){0,2}" + _CAP + r")(?=[ \t]*(?:[,.;)]|\r?\n|$"
                            r"|[ \t][A-Z]{1,2}\d))")
_PAREN_CITY_RE = re.compile(r"[ \t]*\((?P<city>(?:" + _CAP + r"[ \t]){0,2}" + _CAP + r")(?:,[ \t]*[A-Z]{2})?\)")
_IN_CITY_RE = re.compile(r"[ \t]+in[ \t]+(?P<city>(?:" + _CAP + r"[ \t]){0,2}" + _CAP + r")")
# UK postcodes ("LS6 2AB", "SW1A 1AA"); the town is the capitalised run just before one
POSTCODE_RE = re.compile(r"(?<![\w-])[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2}(?![\w-])")
# Canadian postal codes after a province ("Toronto, ON M5H 2N2"): the shape alone is also TNM staging ("T2N 0M0")
CA_POSTCODE_RE = re.compile(r"\b(?:ON|QC|BC|AB|MB|SK|NS|NB|NL|PE|YT|NT|NU|Ontario|Quebec|Qu[ée]bec|Alberta|Manitoba"
                            r"|Saskatchewan|Nova[ \t]+Scotia|New[ \t]+Brunswick|British[ \t]+Columbia)[, \t]+"
                            r"(?P<code>[ABCEGHJ-NPRSTVXY]\d[A-Z][ -]?\d[A-Z]\d)(?![\w-])")
_TOWN_BEFORE_RE = re.compile(r"(?<![\w'’-])((?:[A-Z][\w'’.-]*[ \t]){0,2}[A-Z][\w'’.-]*),?[ \t]+$")
_ADJECTIVE_RE = re.compile(r"(?:al|ic|ive|ary|ory|ous)$")
_PLACE_WORDS = (r"lives\s+in|living\s+in|resides\s+in|residing\s+in|resident\s+of|moved\s+(?:here\s+)?(?:to|from)"
                r"|relocated\s+(?:to|from)|born\s+in|native\s+of|hometown(?:\s+of|\s+is)?|town\s+of|city\s+of|village\s+of"
                r"|traveled\s+to|travelled\s+to|trip\s+to|visiting\s+from|returned\s+from|vacation\s+in|vacationing\s+in"
                r"|emigrated\s+from|immigrated\s+from|grew\s+up\s+in|works\s+in|transferr?(?:ed|ing)\s+(?:to|from)"
                r"|transfer\s+(?:to|from)|raised\s+in|travel(?:s|ing|ling)?\s+to|flew\s+(?:to|in\s+from)|flying\s+to"
                r"|vacation\s+to|holiday\s+in|en\s+route\s+(?:from|to)|driv(?:ing|es)\s+(?:in\s+)?from|drove\s+(?:in\s+)?from"
                r"|originally\s+from|born\s+and\s+raised\s+in|hails\s+from|comes\s+from|visiting|visited"
                r"|(?:lives|living|resides|residing|stays|staying)\s+with\b[^.\n]{0,60}?\bin"
                r"|(?:house|home|apartment|flat|farm|condo)\s+in"
                r"|city|town|hometown"
                # "son on speaker from Saskatoon", "lifted from Kindersley": where a caller or a flight is
                r"|on\s+(?:the\s+)?(?:speaker(?:phone)?|phone|video)\s+from|call(?:ed|ing)\s+(?:in\s+)?from"
                r"|phoned\s+(?:in\s+)?from|(?:air)?lifted\s+(?:from|to)|flown\s+(?:in\s+)?(?:from|to)")
# "job sites around Missoula.": after "near"/"around" only a place that ends the clause ("near Total occlusion" stays)
NEAR_RE = re.compile(r"(?i:\b(?:near|around|outside(?:\s+of)?))[ \t]+(?P<city>(?:" + _CAP + r"[ \t]){0,2}[A-Z][a-z]+)"
                     r"(?=[ \t]*(?:[,;:)]|\.(?:\s|$)|\r?\n|$))")
# "relatives in Enugu", "your cousins in Groningen": where relatives live (a place word, not "Family in Crisis")
RELATIVES_IN_RE = re.compile(r"(?i:\b(?:relatives|family|cousins?|parents|siblings|children|grandchildren|aunts?"
                             r"|uncles?|nieces?|nephews?|sons|daughters|brothers|sisters|friends)\s+(?:back\s+)?"
                             r"(?:in|from))[ \t]+"
                             r"(?P<city>(?:" + _CAP + r"[ \t]){0,2}[A-Z][a-z]+)(?=[ \t]*(?:[,;:)]|\.(?:\s|$)|\r?\n|$)"
                             r"|[ \t]+(?:and|or|may|who|are|were|have|has|had|will|can|could|should|need|live"
                             r"|lives)\b)")
PLACE_CTX_RE = re.compile(r"(?i:\b(?:" + _PLACE_WORDS + r"))[\s:]+(?:the\s+)?(?P<city>(?:" + _CAP + r"\s){0,2}" + _CAP + r")")


# "MVC on I-94 westbound near exit 231", "Hwy 12 at mile marker 40": the exit or marker pins the place
EXIT_RE = re.compile(r"\b(?:I|Interstate|US|Hwy|Highway|Route|Rte|SR)[- ]?\d{1,3}\b[^.;\n]{0,40}?"
                     r"\b(?P<exit>(?i:exit|mile[ \t]*marker|mm)[ \t]*#?[ \t]*\d{1,4}[A-Z]?)\b")
# plurals that end place names ("Magnolia Gardens", "Sunny Acres"), not English-looking words there
_PLACE_PLURAL_RE = re.compile(r"(?:GARDENS|ACRES|HILLS|SPRINGS|WOODS|OAKS|PINES|MEADOWS|HEIGHTS|FALLS|LAKES|PALMS"
                              r"|GROVES|VILLAS|TERRACES|COMMONS|ESTATES|FIELDS|SHORES|POINTE?S?|VIEWS|CREEKS|RIDGES)")
_NOT_CITY = frozenset(("the", "in", "at", "to", "and"))
_STATE_BEFORE_ZIP_RE = re.compile(r",?[ \t]+\d{5}(?:-\d{4})?(?![\d-])")


@lru_cache(maxsize=1)
def _city_re() -> re.Pattern[str]:
    names = "|".join(re.escape(c) for c in lexicon.cities())
    return re.compile(r"(?<![\w-])(?:" + names + r")(?![\w-])")


def find_locations(text: str) -> list[Cand]:
    """Addresses, P.O. boxes, city+state(+ZIP), ZIP codes, counties, facilities and listed cities."""
    common = lexicon.common_words()
    out: list[Cand] = []
    out += [Cand(m.start(), m.end(), "LOCATION", "street", 62) for m in STREET_RE.finditer(text)]
    out += [Cand(m.start(), m.end(), "LOCATION", "po-box", 62) for m in PO_BOX_RE.finditer(text)]
    for m in CITY_STATE_RE.finditer(text):
        state, zip_code = m.group("state"), m.group("zip")
        city = _trailing_proper(text, m.start("city"), m.end("city"), common)
        if city is None and zip_code:  # "Silver Spring, MD 20910", "Sun City, AZ 85351": common words before a ZIP
            city = _trailing_proper(text, m.start("city"), m.end("city"), _NOT_CITY)
        if zip_code:
            out.append(Cand(m.start("zip"), m.end("zip"), "LOCATION", "zip", 60))
        if city is None or (state in lexicon.AMBIGUOUS_STATES and not zip_code):
            continue
        if not zip_code and (text[city[0]:city[1]].isupper() or city[1] - city[0] < 3):
            continue  # "VE, VT" in a list of abbreviations, not "Burlington, VT"
        out.append(Cand(city[0], city[1], "LOCATION", "city-state", 58))
    out += [Cand(m.start("zip"), m.end("zip"), "LOCATION", "zip", 60) for m in ZIP_CTX_RE.finditer(text)]
    out += [Cand(m.start("zip"), m.end("zip"), "LOCATION", "zip", 60) for m in STATE_ZIP_RE.finditer(text)]
    for m in COUNTY_RE.finditer(text):
        name = _trailing_proper(text, m.start(), m.end() - len(m.group().split()[-1]) - 1, common)
        if name is not None:
            out.append(Cand(name[0], m.end(), "LOCATION", "county", 58))
    for m in FACILITY_RE.finditer(text):
        for piece_start, piece_end in _facility_pieces(text, m.start(), m.end()):
            start = _facility_start(text, piece_start, piece_end, common)
            if start is None:
                continue
            end = _facility_tail(text, piece_end, common) or piece_end
            if _denomination_only(text[start:end]):
                continue  # "the Catholic Church", "Orthodox Synagogue": a faith, not a place
            out.append(Cand(start, end, "LOCATION", "facility", 57))
            out += _city_after(text, _IN_CITY_RE.match(text, end) or _PAREN_CITY_RE.match(text, end), common)
    for m in FACILITY_FIRST_RE.finditer(text):
        end = _facility_tail(text, m.end(), common)
        if end is not None:
            start = m.start() + (4 if text.startswith(("The ", "THE "), m.start()) else 0)
            out.append(Cand(start, end, "LOCATION", "facility", 57))
    upper = any(w in text for w in ("AT ", "TO ", "FROM ", "@"))
    for m in FACILITY_UPPER_RE.finditer(text) if upper else ():
        words = m.group("fac").split()
        tail = len(re.search(r"(?:" + _FACILITY_END_UPPER + r")$", m.group("fac")).group().split())
        body = [w for w in words[:-tail] if w not in ("ST.", "SAINT", "MT.")]
        proper = [_proper_word(w.title(), common) for w in body]
        state = _STATE_IN_RE.search(" ".join(w.title() for w in body)) is not None  # "MASSACHUSETTS GENERAL"
        if (any(proper) or state) and not any(p and _english(w) and not _PLACE_PLURAL_RE.fullmatch(w)
                                               for p, w in zip(proper, body)):  # "MAGNOLIA GARDENS NURSING HOME"
            out.append(Cand(m.start("fac"), m.end("fac"), "LOCATION", "facility", 57))
    out += find_facility_names(text)  # "Mass General", "MGH", "Hospital for Special Surgery"
    out += [Cand(m.start("exit"), m.end("exit"), "LOCATION", "exit", 60) for m in EXIT_RE.finditer(text)]
    if "St" in text or "Saint" in text:
        out += [Cand(m.start(), m.end(), "LOCATION", "facility", 57) for m in SAINT_RE.finditer(text)]
    for m in BARE_STREET_RE.finditer(text):
        words = m.group("addr").split()[1:]
        if words[0][0].islower() or any(_proper_word(w, common) and not w.isupper() for w in words):
            out.append(Cand(m.start("addr"), m.end("addr"), "LOCATION", "street", 61))
    for m in ADDRESS_LINE_RE.finditer(text):
        if any(_proper_word(w, common) and not w.isupper() and not _english(w) for w in m.group().split()[1:]):
            out.append(Cand(m.start(), m.end(), "LOCATION", "street", 61))
    out += [Cand(m.start("addr"), m.end("addr"), "LOCATION", "street", 61) for m in STREET_NAME_RE.finditer(text)]
    out += [Cand(m.start("addr"), m.end("addr") - m.group("addr").endswith("."), "LOCATION", "street-on", 60)
            for m in ON_STREET_RE.finditer(text)]
    out += find_intl_locations(text)  # "Unit 5/22 George St", "12B Rue de la Paix", "Sydney NSW 2000"
    streets = [c for c in out if c.rule in ("street", "street-intl")]
    for c in streets:
        out += _city_after(text, _CITY_AFTER_RE.match(text, c.end), common)
    out += extend_streets(text, streets)  # "Flat 3, 27 Mill Lane, Headingley, Leeds LS6 3AB"
    out += [Cand(m.start("code"), m.end("code"), "LOCATION", "zip", 60) for m in CA_POSTCODE_RE.finditer(text)]
    for m in POSTCODE_RE.finditer(text):
        out.append(Cand(m.start(), m.end(), "LOCATION", "zip", 60))
        town = _TOWN_BEFORE_RE.search(text, max(0, m.start() - 60), m.start())
        if town is not None:
            span = _trailing_proper(text, town.start(1), town.end(1), common)
            if span is not None:
                out.append(Cand(span[0], span[1], "LOCATION", "city-postcode", 58))
    for m in [*NEAR_RE.finditer(text), *RELATIVES_IN_RE.finditer(text)]:
        city = _leading_proper(text, m.start("city"), m.end("city"), common)
        if city is not None and not any(_english(w) for w in text[city[0]:city[1]].split()):
            out.append(Cand(city[0], city[1], "LOCATION", "place-context", 52))
    for m in PLACE_CTX_RE.finditer(text):
        city = _leading_proper(text, m.start("city"), m.end("city"), common)
        if city is not None and not _eponym(text, city[1]):
            out.append(Cand(city[0], city[1], "LOCATION", "place-context", 52))
    out += [Cand(m.start(), m.end(), "LOCATION", "city-list", 50) for m in _city_re().finditer(text)
            if not _STATE_BEFORE_ZIP_RE.match(text, m.end())  # "Albany, New York 12207": New York is the state
            and not _eponym(text, m.end())]  # "Framingham risk score"
    return out


_WORSHIP_RE = re.compile(r"(?:Cathedral|Church|Chapel|Synagogue|Mosque)$")
_DENOMINATIONS = frozenset("catholic roman baptist methodist lutheran orthodox episcopal presbyterian anglican "
                           "pentecostal adventist evangelical reformed greek russian coptic lds mormon christian "
                           "jewish muslim islamic unitarian congregational nondenominational first united".split())


def _denomination_only(name: str) -> bool:
    words = name.split()
    return bool(_WORSHIP_RE.search(name)) and all(w.lower().strip(".,'’") in _DENOMINATIONS for w in words[:-1])


def _city_after(text: str, m: re.Match[str] | None, common: frozenset[str]) -> list[Cand]:
    """The city in ``m`` (after a street address or a facility), if it has a proper word."""
    if m is None:
        return []
    city = _leading_proper(text, m.start("city"), m.end("city"), common)
    if city is None or _eponym(text, city[1]) or text[city[0]:city[1]].isupper():  # "(NCI)" is no city
        return []
    return [Cand(city[0], city[1], "LOCATION", "city-after", 56)]


def _english(word: str) -> bool:
    from meddx.deid.names import english_looking

    return english_looking(word)


def _eponym(text: str, end: int) -> bool:
    from meddx.deid.names import is_eponym_use

    return is_eponym_use(text, end)


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]


def _proper_word(word: str, common: frozenset[str]) -> bool:
    """A capitalised word that is not common nor shaped like an adjective ("Regional", "Academic")."""
    low = re.sub(r"['’]s$", "", word.strip(".,'’")).lower()
    return bool(low) and word[0].isupper() and low not in common and low not in ("am", "pm") \
        and not _ADJECTIVE_RE.search(low)


def _proper(text: str, s: int, e: int, common: frozenset[str]) -> bool:
    word = text[s:e].strip(".,'’").lower()
    return bool(word) and text[s].isupper() and word not in common


def _span(text: str, keep: list[tuple[int, int]]) -> tuple[int, int] | None:
    if not keep:
        return None
    end = keep[-1][1]
    while end > keep[0][0] and text[end - 1] in ".,'’":
        end -= 1
    return keep[0][0], end


def _trailing_proper(text: str, start: int, end: int, common: frozenset[str]) -> tuple[int, int] | None:
    """The trailing run of proper words: "Seen at Quincy" -> "Quincy"; ``None`` if none."""
    keep: list[tuple[int, int]] = []
    for s, e in reversed(_words(text, start, end)):
        if not _proper(text, s, e, common):
            break
        keep.insert(0, (s, e))
    return _span(text, keep)


def _leading_proper(text: str, start: int, end: int, common: frozenset[str]) -> tuple[int, int] | None:
    """The leading run of proper words: "Pocatello Hospital" -> "Pocatello"; ``None`` if none."""
    keep: list[tuple[int, int]] = []
    for s, e in _words(text, start, end):
        if not _proper(text, s, e, common):
            break
        keep.append((s, e))
        if text[e - 1] in ".,":
            break
    return _span(text, keep)


def _facility_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A facility match split after each kind word followed by "and"/"&" (two facilities), each
    piece ending in a kind word."""
    pieces, pos = [], start
    for m in _FACILITY_SPLIT_RE.finditer(text, start, end):
        pieces.append((pos, m.end("end")))
        pos = m.end()
    pieces.append((pos, end))
    return [(a, b) for a, b in pieces if re.search(r"(?:" + _FACILITY_END + r")$", text[a:b])]


def _facility_tail(text: str, pos: int, common: frozenset[str]) -> int | None:
    """End of an "of/for ..." tail after a facility word that holds a proper word or a state
    ("... Hospital of Philadelphia", "... of the University of Pennsylvania"); ``None`` if none."""
    m = _FACILITY_TAIL_RE.match(text, pos)
    if m is None:
        return None
    words = _words(text, m.start("tail"), m.end("tail"))
    last = text[words[-1][0]:words[-1][1]]  # ends in a place or a name: not "Clinic for Wound Care", "... Pain Management"
    tail = text[words[0][0]:words[-1][1]]
    named = any(_proper_word(text[s:e], common) and not _english(text[s:e]) for s, e in words if text[s].isupper())
    if not (named and last.strip(".,'’").lower() not in common or _STATE_IN_RE.search(tail) or _city_re().search(tail)):
        return None
    end = words[-1][1]
    while text[end - 1] in ".,'’":
        end -= 1
    return end


def _facility_start(text: str, start: int, end: int, common: frozenset[str]) -> int | None:
    """Start of a facility name with at least one proper word ("St. Brigid Regional Hospital"),
    dropping leading common words ("the", "Seen at"). ``None`` for "Regional Hospital"."""
    words = _words(text, start, end)
    tail = len(re.findall(r"\S+", re.search(r"(?:" + _FACILITY_END + r")$", text[start:end]).group()))
    body = words[:-tail]
    for i in range(len(body) - 1, -1, -1):  # "Physical Therapy. Home Health": the name starts after a full stop
        word = text[body[i][0]:body[i][1]]
        if word.endswith(".") and len(word) > 3 and word.lower() not in ("st.", "mt."):
            body = body[i + 1:]
            break
    # "Massachusetts General Hospital", "Ohio State University Medical Center": a state names the place
    states = [(m.start(), m.end()) for m in _STATE_IN_RE.finditer(text, body[0][0], body[-1][1])] if body else []
    weak = _WEAK_END_RE.search(text[start:end]) is not None
    for i in range(len(body) - 2, 0, -1):  # "Veterans Administration and University Hospital": two names
        if text[body[i][0]:body[i][1]] in ("and", "&", "of"):
            before = text[body[i - 1][0]:body[i - 1][1]]
            if weak or not (text[body[i][0]] == "o" or _proper(text, *body[i - 1], common) and not _english(before)):
                body = body[i + 1:]  # a weak end takes no joined words: "Institute of Occupational Health"
            break
    first = None
    for i, (s, e) in enumerate(body):
        word = text[s:e].strip(".,'’").lower()
        in_state = any(a <= s < b for a, b in states)
        if first is None and (word in common or word == "&") and word not in ("st", "saint", "mt", "mount") \
                and not in_state:
            continue
        if first is None:
            first = i
    if first is None:
        return None
    if first >= 2 and text[body[first - 1][0]:body[first - 1][1]] == "of":
        first -= 2  # "University of Michigan Hospital"
    words = [(s, e) for s, e in body[first:] if text[s:e] not in ("&", "of")]
    if weak:
        proper = [_proper_word(text[s:e], common) for s, e in words]
    else:
        proper = [text[s:e].strip(".,'’").lower() not in common for s, e in words]
    return body[first][0] if any(proper) or states else None
