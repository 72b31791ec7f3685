"""Addresses written the way other countries write them, which the US-shaped rules in ``locations``
miss: a unit before the house number ("Unit 5/22 George St", "Flat 3, 27 Mill Lane"), the street
type first ("12B Rue de la Paix", "1127 Avenue H South", "Via Roma 12"), a compound street name
before the number ("Hauptstrasse 45"), Indian cross and main roads ("14th Cross"), the rest of an
address line after a street (suburb, city, postcode: ", Mt Albert, Auckland 1025", ", 75002 Paris",
", Dublin 2, D02 WK22") and a city before a Canadian province or an Australian state with its
postcode ("Saskatoon, SK S7M 1X6", "Sydney NSW 2000").

Hand-written because no offline library parses addresses (libpostal needs a 2 GB model); each
pattern needs an address shape (a house number next to a street word, or a postcode after a
province), so a capitalised clinical word alone is never taken.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand

_CAP = rf"[{UPPER}][{UPPER}{LOWER}'’.\-]*"
# (a hyphen may join a second capitalised word: "Rue Saint-Denis", "Boulevard Sainte-Catherine")
_WORD = rf"[{UPPER}][{LOWER}'’\-]+(?:(?<=-)[{UPPER}][{LOWER}'’\-]+)*"
_PARTICLE = r"(?:de|del|de la|du|des|di|da|do|dos|das|la|le|les|von|van|der|l['’]|d['’])"
_NAMED = rf"(?:{_PARTICLE}[ \t]*)*(?:{_WORD}|[A-Z](?![\w'’]))(?:[ \t]+(?:{_PARTICLE}[ \t]*)*{_WORD}){{0,3}}"
_DIR = r"(?:[ \t]+(?:North|South|East|West|NE|NW|SE|SW|N|S|E|W)\b\.?)?"
_SUFFIX = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Crescent|Cres|Terrace|Tce|Close|Way"
           r"|Parade|Pde|Grove|Gardens|Highway|Hwy|Boulevard|Blvd|Square|Sq|Mews|Row|Walk|Rise|Esplanade)")
_UNIT_WORD = r"(?:Unit|Flat|Apt|Apartment|Suite|Shop|Level|Lot|House|No)"
# a unit after the street ("1904 Calle Ocho, Apt 2")
_UNIT_AFTER = r"(?:,?[ \t]*(?:Apt|Apartment|Unit|Suite|Ste|Flat|Fl|Floor|Piso|#)\.?[ \t]*#?[ \t]*[A-Za-z0-9-]+\b)?"
# "Unit 5/22 George St", "5/22 George St": unit / house number
UNIT_SLASH_RE = re.compile(rf"(?<![\w/.-])(?:{_UNIT_WORD}\.?[ \t]*)?\d{{1,4}}[A-Za-z]?/\d{{1,5}}[A-Za-z]?[ \t]+"
                           rf"(?:{_CAP}[ \t]+){{1,3}}{_SUFFIX}\b\.?{_DIR}")
# "Flat 3, 27 Mill Lane", "Apt 4, 17 Harcourt Terrace": the unit written before the house number
_UNIT_BEFORE_RE = re.compile(rf"(?<![\w/.-]){_UNIT_WORD}\.?[ \t]*#?[ \t]*\d{{1,4}}[A-Za-z]?,[ \t]*\Z")
# "12B Rue de la Paix", "1127 Avenue H South", "40 Boulevard Saint-Michel": the street type first
TYPE_FIRST_RE = re.compile(rf"(?<![\w/.-])\d{{1,5}}[A-Za-z]?,?[ \t]+(?:Rue|Avenue|Av\.|Avenida|Avda\.|Boulevard|Bd"
                           rf"|Calle|Carrer|Via|Viale|Corso|Piazza|Rua|Chemin|All[ée]e|Place|Plaza|Paseo|Quai|Rambla"
                           rf"|Travessa|Praça|Largo)[ \t]+{_NAMED}{_DIR}{_UNIT_AFTER}")
# "Via Roma 12", "Calle Mayor 5", "Rua Augusta 100": the street type first and the number after
TYPE_NUMBER_RE = re.compile(rf"(?<![\w-])(?:Via|Viale|Corso|Piazza|Calle|Carrer|Avenida|Av\.|Avda\.|Calzada|Calz\.|Rua"
                            rf"|Paseo|Rambla|Travessa|Largo)[ \t]+{_NAMED},?[ \t]+\d{{1,4}}[a-z]?(?![\w/.-]){_UNIT_AFTER}")
# "Hauptstrasse 45", "Keizersgracht 123", "Drottninggatan 5": one word with a street ending, then the number
COMPOUND_RE = re.compile(rf"(?<![\w-])[{UPPER}][{LOWER}]+(?:-[{UPPER}]?[{LOWER}]+)*(?:straße|strasse|str\.|weg|gasse"
                         rf"|platz|allee|damm|ufer|chaussee|straat|laan|gracht|plein|kade|gatan|vägen|gade|vej|veien"
                         rf"|gata)[ \t]+\d{{1,4}}[a-z]?(?![\w/.-]){_UNIT_AFTER}")
# "14th Cross", "5th Main Road": Bengaluru-style roads
INDIAN_ROAD_RE = re.compile(r"(?<![\w-])\d{1,2}(?:st|nd|rd|th)[ \t]+(?:Cross|Main)(?:[ \t]+(?:Road|Rd))?(?![\w-])")
_PROVINCES = r"(?:ON|QC|BC|AB|MB|SK|NS|NB|NL|PE|YT|NT|NU)"
_AU_STATES = r"(?:NSW|VIC|Vic|QLD|Qld|TAS|Tas)"  # not WA, SA, NT, ACT: "SA node", "NT-proBNP", "ACT 180 s"
# "Woolloongabba QLD 4102 with his daughter": a postcode before running text, not before a unit ("VIC 2000 mg")
_NOT_UNIT = r"(?!(?:mg|mcg|ml|mls|g|kg|l|units?|iu|mmol|mm|cm|x|times|days?|hours?|hrs?|mins?|minutes|weeks?)\b)"
# "Saskatoon, SK S7M 1X6", "Sydney NSW 2000": a city before a province or state and its postcode
CITY_PROVINCE_RE = re.compile(rf"(?<![\w'’-])(?P<city>(?:{_WORD}[ \t]){{0,2}}{_WORD}),?[ \t]+"
                              rf"(?:{_PROVINCES},?[ \t]+(?P<ca>[ABCEGHJ-NPRSTVXY]\d[A-Z][ -]?\d[A-Z]\d)"
                              rf"|{_AU_STATES},?[ \t]+(?P<au>\d{{4}})(?=[ \t]*(?:[,.;)]|\r?\n|$)|[ \t]+{_NOT_UNIT}[a-z]))"
                              rf"(?![\w-])")
# Mexican states as addresses abbreviate them ("Guadalajara, Jal.", "León, Gto."): kept like a US state, and the
# city before one is a place. "Tab." (tablet), "Col." (colonia) and "Son." are left out: they read as other words.
_MX_STATES = r"(?:Ags|Camp|Chih|Chis|Coah|Dgo|Gro|Gto|Hgo|Jal|Mich|Mor|Nay|Oax|Pue|Qro|Sin|Tamps|Tlax|Yuc|Zac|Edomex)"
MX_STATE_RE = re.compile(rf"{_MX_STATES}\.")
CITY_MX_STATE_RE = re.compile(rf"(?<![\w'’-])(?P<city>(?:{_WORD}[ \t]){{0,2}}{_WORD}),[ \t]*{_MX_STATES}\.(?!\w)")
# "School: Scoil Bhride", "Daycare: Little Acorns Learning": a named school after a label (two words at least, one
# neither common nor English-looking, so "School: Missed 3 days" and "School: Home schooled" stay)
SCHOOL_LABEL_RE = re.compile(rf"(?i:\b(?:school|daycare|day\s+care|nursery|preschool|college|university))[ \t]*:[ \t]*"
                             rf"(?P<name>(?:{_WORD}[ \t]+){{1,3}}{_WORD})(?![\w'’-])")
# The rest of an address line after a street, chunk by chunk: ", Mt Albert", ", Auckland 1025", ", 75002 Paris",
# ", Dublin 2", ", D02 WK22" (an Eircode), ", LS6 3AB"
_CHUNK_RE = re.compile(rf"[ \t]*,[ \t]*(?P<chunk>\d{{4,6}}[ \t]+{_WORD}(?:[ \t]+{_WORD}){{0,2}}"
                       rf"|(?:{_WORD}[ \t]){{0,2}}{_WORD}(?:[ \t]+\d{{1,6}})?"
                       rf"|(?:[AC-FHKNPRTV-Y]\d{{2}}|D6W)[ \t]?[0-9AC-FHKNPRTV-Y]{{4}}"
                       rf"|[A-Z]{{1,2}}\d[A-Z\d]?[ \t]\d[A-Z]{{2}}|\d{{4,6}})(?![\w'’-])")


def find_intl_locations(text: str) -> list[Cand]:
    """The address shapes above, as LOCATION candidates (the street and each place after it)."""
    from meddx.deid.names import english_looking

    common = lexicon.common_words()
    out: list[Cand] = []
    streets: list[Cand] = []
    for regex in (UNIT_SLASH_RE, TYPE_FIRST_RE, TYPE_NUMBER_RE, COMPOUND_RE, INDIAN_ROAD_RE):
        streets += [Cand(m.start(), _end(text, m.end()), "LOCATION", "street-intl", 63) for m in regex.finditer(text)]
    out += streets
    for m in CITY_PROVINCE_RE.finditer(text):
        city = _proper_tail(text, m.start("city"), m.end("city"))
        if city is None:
            continue  # "Level NT 1200." has no town before the state
        code = "ca" if m.group("ca") else "au"
        out += [Cand(city[0], city[1], "LOCATION", "city-province", 58),
                Cand(m.start(code), m.end(code), "LOCATION", "zip", 60)]
    for m in SCHOOL_LABEL_RE.finditer(text):  # "School: Scoil Bhride, Rathmines": the school, then its place
        words = m.group("name").split()
        if len(words) >= 2 and any(w.lower() not in common and not english_looking(w) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "LOCATION", "school-label", 62))
    for m in CITY_MX_STATE_RE.finditer(text):
        city = _proper_tail(text, m.start("city"), m.end("city"))
        if city is not None:
            out.append(Cand(city[0], city[1], "LOCATION", "city-province", 58))
    return out


_PARTICLE_TAIL_RE = re.compile(r"[ \t]+(?:de|da|do|dos|das|del|di|du|la|le|upon|on)[ \t]+[A-Z][\w'’-]+")


def extend_streets(text: str, streets: list[Cand]) -> list[Cand]:
    """Each street again with the unit written before it ("Flat 3, 27 Mill Lane"), and each place
    named after it on its line: suburb, city, postcode; a state or province ends the run (kept)."""
    out: list[Cand] = []
    for street in streets:
        m = _UNIT_BEFORE_RE.search(text[max(0, street.start - 24):street.start])
        if m is not None:
            out.append(Cand(street.start - len(m.group()), street.end, "LOCATION", street.rule, street.priority + 1))
    keep = lexicon.STATE_ABBRS | {"NSW", "VIC", "QLD", "TAS", "ACT", "SK", "ON", "QC", "BC", "AB", "MB", "NS", "NB",
                                  "NL", "PE", "YT", "NU"}
    common = lexicon.common_words()
    for street in streets:
        pos = street.end
        for _ in range(4):
            m = _CHUNK_RE.match(text, pos)
            if m is None:
                break
            chunk = m.group("chunk")
            words = re.findall(r"[^\W\d_]+", chunk)
            if chunk in keep or MX_STATE_RE.match(text, m.start("chunk")) or any(
                    w.lower() in common and w not in ("Mt", "St") for w in words):
                break  # "..., IL 60639" is left to the state rules; ", Lives alone" is no place
            out.append(Cand(m.start("chunk"), m.end("chunk"), "LOCATION", "address-tail", 57))
            tail = _PARTICLE_TAIL_RE.match(text, m.end("chunk"))  # "Rio de Janeiro": a listed city with a particle
            if tail and text[m.start("chunk"):tail.end()] in lexicon.towns() | frozenset(lexicon.cities()):
                out.append(Cand(m.start("chunk"), tail.end(), "LOCATION", "address-tail", 57))
            pos = m.end()
    return out


def _end(text: str, end: int) -> int:
    """Drop a trailing full stop that ends the sentence rather than an abbreviation."""
    return end - 1 if text[end - 1] == "." and not re.search(r"(?:St|Rd|Ave|Av|Bd|Dr|Ct|Pl|Pde|Tce|str)\.$",
                                                              text[max(0, end - 5):end]) else end


def _proper_tail(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The trailing words of ``text[start:end]`` that are not common words ("Home: Saskatoon" -> "Saskatoon")."""
    common = lexicon.common_words()
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    keep: list[tuple[int, int]] = []
    for s, e in reversed(words):
        if text[start + s:start + e].lower() in common:
            break
        keep.insert(0, (start + s, start + e))
    return (keep[0][0], keep[-1][1]) if keep else None


_CAPS_TAIL_RE = re.compile(rf"[ \t]*,[ \t]*(?P<chunk>[{UPPER}][{UPPER}'’-]+(?:[ \t][{UPPER}][{UPPER}'’-]+)?)"
                           rf"(?=[ \t]*(?:,|\r?\n|$))")


def caps_facility_tails(text: str, facilities: list[Cand]) -> list[Cand]:
    """The places after a facility in capitals up to the end of its line, as a letterhead writes them
    ("SRI RAMACHANDRA MEDICAL CENTRE, PORUR, CHENNAI"): each a word or two in capitals that is neither
    common nor English-looking, so "MERCY HOSPITAL, EMERGENCY DEPARTMENT" stays as it was."""
    from meddx.deid.names import english_looking

    common = lexicon.common_words()
    out: list[Cand] = []
    for fac in facilities:
        if not text[fac.start:fac.end].isupper():
            continue
        line_end = text.find("\n", fac.end)
        line_end = len(text) if line_end < 0 else line_end
        chunks, pos = [], fac.end
        while (m := _CAPS_TAIL_RE.match(text, pos, line_end)) is not None:
            chunks.append(m.span("chunk"))
            pos = m.end()
        while chunks and chunks[-1][1] - chunks[-1][0] <= 3:  # ", SK", ", NSW" ends it: a state, kept
            chunks.pop()
        words = [w for s, e in chunks for w in text[s:e].split()]
        if chunks and text[pos:line_end].strip() == "" and all(len(w) > 3 and 
                w.lower() not in common and not english_looking(w) and w not in lexicon.STATE_ABBRS for w in words):
            out += [Cand(s, e, "LOCATION", "address-tail", 57) for s, e in chunks]
    return out

