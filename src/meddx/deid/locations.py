"""Geographic units smaller than a state: street addresses, P.O. boxes, cities, counties, ZIP
codes and named facilities (a hospital's name usually carries its town).

States are kept (Safe Harbor allows them). A city is found when it is in the city list, sits
before ", ST" / ", State" (a ZIP code is required after abbreviations that are also
credentials, "Smith, MD"), or follows a place phrase ("lives in", "born in", "moved to").
Hospitals named without a kind word ("Mass General", "MGH") are in ``facility_names``.
"""

from __future__ import annotations

import calendar
import re

from meddx.deid import lexicon
from meddx.deid.addresses_units import SERVICE_WORDS
from meddx.deid.facilities import find_facilities
from meddx.deid.facility_names import find_facility_names
from meddx.deid.landmarks import find_landmarks
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.locations_intl import caps_facility_tails, extend_streets, find_intl_locations
from meddx.deid.patterns import Cand
from meddx.deid.towns import find_listed_towns
from meddx.deid.place_words import (
    CLAUSE_END,
    _city_after, _city_re, _eponym, _english, _leading_proper, _proper_word, _trailing_proper,
)

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
# UK postcodes ("LS6 2AB", "SW1A 1AA"); the town is the capitalised run just before one
POSTCODE_RE = re.compile(r"(?<![\w-])[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2}(?![\w-])")
# Canadian postal codes after a province ("Toronto, ON M5H 2N2"): the shape alone is also TNM staging ("T2N 0M0")
CA_POSTCODE_RE = re.compile(r"\b(?:ON|QC|BC|AB|MB|SK|NS|NB|NL|PE|YT|NT|NU|Ontario|Quebec|Qu[ée]bec|Alberta|Manitoba"
                            r"|Saskatchewan|Nova[ \t]+Scotia|New[ \t]+Brunswick|British[ \t]+Columbia)[, \t]+"
                            r"(?P<code>[ABCEGHJ-NPRSTVXY]\d[A-Z][ -]?\d[A-Z]\d)(?![\w-])")
_TOWN_BEFORE_RE = re.compile(r"(?<![\w'’-])((?:[A-Z][\w'’.-]*[ \t]){0,2}[A-Z][\w'’.-]*),?[ \t]+$")
# ("lives alone in Harrow": a word between the verb and "in", the thirteenth review's fresh lines)
_PLACE_WORDS = (r"(?:lives|living|resides|residing)\s+(?:alone\s+|independently\s+|locally\s+"
                r"|on\s+(?:her|his|their)\s+own\s+)?in"
                r"|resident\s+of|moved\s+(?:here\s+)?(?:to|from)"
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
                r"|phoned\s+(?:in\s+)?from|(?:air)?lifted\s+(?:from|to)|flown\s+(?:in\s+)?(?:from|to)"
                # "travel distance from Ocala", "lives 40 miles from Tifton": how far someone is from a place
                r"|(?:travel|driving)\s+distance\s+from|commute\s+from|(?:miles|mi|km|kilometres|kilometers|hours?|hrs?)"
                r"\s+(?:away\s+)?from")
# "job sites around Missoula.": after "near"/"around" only a place that ends the clause ("near Total occlusion" stays)
NEAR_RE = re.compile(r"(?i:\b(?:near|around|outside(?:\s+of)?))[ \t]+(?P<city>(?:" + _CAP + r"[ \t]){0,2}[A-Z][a-z]+)"
                     r"(?=" + CLAUSE_END + ")")
# "relatives in Enugu", "your cousins in Groningen": where relatives live (a place word, not "Family in Crisis")
RELATIVES_IN_RE = re.compile(r"(?i:\b(?:relatives|family|cousins?|parents|siblings|children|grandchildren|aunts?"
                             r"|uncles?|nieces?|nephews?|sons|daughters|brothers|sisters|friends)\s+(?:back\s+)?"
                             r"(?:in|from))[ \t]+"
                             r"(?P<city>(?:" + _CAP + r"[ \t]){0,2}[A-Z][a-z]+)(?=" + CLAUSE_END +
                             r"|[ \t]+(?:and|or|may|who|are|were|have|has|had|will|can|could|should|need|live"
                             r"|lives)\b)")
PLACE_CTX_RE = re.compile(r"(?i:\b(?:" + _PLACE_WORDS + r"))[\s:]+(?:the\s+)?(?P<city>(?:" + _CAP + r"\s){0,2}" + _CAP + r")")


# "MVC on I-94 westbound near exit 231", "Hwy 12 at mile marker 40": the exit or marker pins the place
EXIT_RE = re.compile(r"\b(?:I|Interstate|US|Hwy|Highway|Route|Rte|SR)[- ]?\d{1,3}\b[^.;\n]{0,40}?"
                     r"\b(?P<exit>(?i:exit|mile[ \t]*marker|mm)[ \t]*#?[ \t]*\d{1,4}[A-Z]?)\b")
_NOT_CITY = frozenset(("the", "in", "at", "to", "and"))
_STATE_BEFORE_ZIP_RE = re.compile(r",?[ \t]+\d{5}(?:-\d{4})?(?![\d-])")


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
    facilities = find_facilities(text, common) + find_facility_names(text)  # also "Mass General", "MGH"
    out += facilities + caps_facility_tails(text, facilities)  # "... MEDICAL CENTRE, PORUR, CHENNAI"
    out += [Cand(m.start("exit"), m.end("exit"), "LOCATION", "exit", 60) for m in EXIT_RE.finditer(text)]
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
    out += find_landmarks(text)  # "on Westminster Bridge", "the Emmeline Centre", "Bozeman Health Deaconess"
    # the town after a street, numbered or not ("on Station Road, Crewe,")
    streets = [c for c in out if c.rule in ("street", "street-intl", "school-label", "street-on", "street-name")]
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
    for m in [*PLACE_CTX_RE.finditer(text), *AT_PLACE_RE.finditer(text)]:
        city = _leading_proper(text, m.start("city"), m.end("city"), common)
        if city is None or _eponym(text, city[1]) or _region(text, *city) or _service(text[city[0]:city[1]]):
            continue
        if m.re is AT_PLACE_RE and (_english(text[city[0]:city[1]]) or text[city[0]:city[1]] in _TIME_WORDS):
            continue  # "clinic at Noon", "appointment at Tuesday"
        out.append(Cand(city[0], city[1], "LOCATION", "place-context", 52))
    out += [Cand(m.start(), m.end(), "LOCATION", "city-list", 50) for m in _city_re().finditer(text)
            if not _STATE_BEFORE_ZIP_RE.match(text, m.end())  # "Albany, New York 12207": New York is the state
            and not _eponym(text, m.end()) and not _region(text, m.start(), m.end())]  # "Framingham risk score"
    out += find_listed_towns(text, _not_a_town)  # "lives alone in Bootle (2nd floor flat)", "a Toowoomba pharmacy"
    return out


def _not_a_town(text: str, start: int, end: int) -> bool:
    """The city list's tests for a listed town: an eponym's use, a region. (Not its state-before-ZIP test: no
    listed town is a state, and "Stornoway, 01851 703 000" has a telephone number after it.)"""
    return _eponym(text, end) or _region(text, start, end)


# "Fracture clinic 15/3 at Camperdown.", "follow-up at Westmead,": where a visit happens, a place ending the clause
AT_PLACE_RE = re.compile(r"(?i:\b(?:clinic|appointment|appt|follow[- ]?up|f/u|review|seen|admitted|treated|dialysis"
                         r"|rehab|physio(?:therapy)?|infusion|scan|surgery|delivered|born)\b)[^.\n;:]{0,25}?\bat[ \t]+"
                         # (a brand in camel case too: "dialysis ... at DaVita Gallatin Valley")
                         r"(?P<city>(?:[A-Z][a-z'’-]+(?:[A-Z][a-z]+)?[ \t]){0,2}[A-Z][a-z'’-]{2,})"
                         r"(?=[ \t]*(?:[,;)]|\.(?:\s|$)|\r?\n|$))")
_TIME_WORDS = frozenset(calendar.day_name) | frozenset(calendar.month_name[1:]) | frozenset(
    "Noon Midnight Night Rest Home Work School Bedtime Baseline Discharge Admission Presentation Triage".split())
# "Atlantic Canada", "Southeast Asia", "the Midwest": a region larger than a state, which Safe Harbor keeps
_REGION_AFTER_RE = re.compile(r"[ \t]+(?:" + "|".join(lexicon.COUNTRIES) + r"|America|Americas|Australia|Oceania"
                              r"|Caribbean|Scandinavia|Europe|Africa|Asia)(?![\w'’-])")
_REGIONS = frozenset("Midwest Northeast Southeast Southwest Northwest Appalachia Scandinavia Caribbean Balkans Maritimes "
                     "Prairies Siberia Patagonia Levant Sahel Mesoamerica Polynesia Melanesia Micronesia".split())


def _region(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` names, or starts, a region larger than a state ("Atlantic" of "Atlantic Canada")."""
    return text[start:end] in _REGIONS or _REGION_AFTER_RE.match(text, end) is not None


def _service(place: str) -> bool:
    """"works in Urgent Care", "in Out Hours": a service or shift whose first word no town starts with."""
    first = place.split()[0].lower()
    return first != "the" and first in SERVICE_WORDS
