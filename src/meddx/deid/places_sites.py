"""Places with no street, postcode or listed name, found by what stands around them (de-id round 19):

- a hospital site or a district after "at" where a clinical event, a ward or a place's use comes first, or right
  after a ward ("CT at Middlemore;", "boarded to Ward 22 at Altnagelvin;", "norovirus on Ward 12 at Ninewells;",
  "lap chole at Wythenshawe;", "sample from Ward 7B, Pinderfields.", "sleeping rough under the arches at
  Waterloo;", "on the bridge at Clifton;"): one or two capitalised words that are no common word, no listed
  name, no month or weekday and no service, at a clause's end or before "ED" (a site with its kind, "at Charity
  Hospital", is left to the facility rules);
- a district after a titled person's "of" ("Mr Babatunde Olawale of Bodija;");
- a Welsh street named without an English suffix ("Flat 12, Cae Glas", "to Cae Ffynnon, Caernarfon", "Lôn Las"),
  and a Portuguese, Spanish, French or Italian street named first ("lives on Avenida da Liberdade", "Rua Augusta
  1500, apto 32": the flat after it is part of the address);
- a listed town with a compass word ("Palmerston North") and a four-digit New Zealand or Australian postcode after
  it ("Palmerston North 4410"; not a year, "Auckland 2019"), a Dutch postcode between a street and its town
  ("Keizersgracht 123, 1015 CJ Amsterdam"), a Singapore block address ("Blk 123 Ang Mo Kio Ave 6, #08-1234");
- an Indian institute named after a person, taken whole with its kind ("Sanjay Gandhi PGI", "Maulana Azad Medical
  College");
- an Indian PIN after a village, district or state is a postcode, a LOCATION ("Haryana 131301", "PIN 131001").
"""

from __future__ import annotations

import re
from functools import lru_cache

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand

_W = rf"[{UPPER}][{LOWER}]+(?:['’-][{UPPER}]?[{LOWER}]+)*"
_END = r"(?=[ \t]*(?:[;,.)]|\Z|\n)|[ \t]+(?:ED|A&E|today|yesterday|last|and|for|with)\b)"
_EVENT = (r"(?i:CT|MRI|PET|scan|scanned|x-?ray|USS|OGD|colonoscopy|endoscopy|angiogram|angio|chole|repair|replacement"
          r"|op|operation|surgery|delivered|born|died|admitted|transferred|boarded|thrombolysed|dialysis|dialysed"
          r"|seen|reviewed|treated|clinic|appointment|arches|rough|lives|living|stays|staying|works|working|found"
          r"|bridge|beach|pier|park|market|shops|station|flat|house|embark|disembark|docked|docks|landed)")
# "at" and the place first (a literal to scan for), then what stands before "at" (cheaper than the other way round)
_AT_SITE_RE = re.compile(rf"(?<=[ \t])at[ \t]+(?P<place>{_W}(?:[ \t]+{_W})?){_END}")
_BEFORE_AT_RE = re.compile(rf"(?<![\w-])(?:{_EVENT}(?:[ \t]+[a-z]+)?|(?i:ward)[ \t]+\d{{1,3}}[A-Z]?)[ \t]+\Z")
_WARD_COMMA_RE = re.compile(rf"(?<![\w-])(?i:ward)[ \t]+\d{{1,3}}[A-Z]?,[ \t]*(?P<place>{_W}(?:[ \t]+{_W})?){_END}")
_OF_RE = re.compile(rf"(?<![\w-])(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?(?:[ \t]+{_W}){{1,3}}[ \t]+of[ \t]+(?P<place>{_W}){_END}")
_WELSH_RE = re.compile(rf"(?<![\w'’-])(?P<place>(?:(?:Flat|Apt|Unit|Fflat)[ \t]+\d{{1,4}}[A-Z]?,[ \t]*"
                       rf"|\d{{1,4}}[A-Z]?,?[ \t]+)?(?:Cae|Heol|Ffordd|Lôn|Stryd|Rhodfa)[ \t]+{_W}"
                       rf"(?:[ \t]+{_W})?|(?<=,[ \t])(?:Maes|Llys|Cwrt|Clos|Bryn|Pant|Nant)[ \t]+{_W})(?![\w'’-])")
_PARTICLES = r"(?:da|das|do|dos|de|del|della|di|du|des|la|le)"
_STREET_FIRST_RE = re.compile(
    rf"(?<![\w'’-])(?P<place>(?:\d{{1,5}}[A-Za-z]?,?[ \t]+)?(?:Rua|Avenida|Av\.|Travessa|Praça|Largo|Estrada|Alameda"
    rf"|Calle|Carrera|Paseo|Rue|Piazza"
    rf"|Viale|Lorong)[ \t]+(?:{_PARTICLES}[ \t]+)?{_W}(?:[ \t]+(?:{_PARTICLES}[ \t]+)?{_W}){{0,2}}"
    rf"(?:[ \t]+\d{{1,5}}[A-Za-z]?)?(?:,[ \t]*(?i:apto|apt|ap|apartamento|piso|dpto|depto|bloco|bl|casa|sala|andar)"
    rf"\.?[ \t]*\d{{1,4}}[A-Za-z]?)?)(?![\w'’-])")
_COMPASS_RE = re.compile(rf"(?<![\w'’-])(?P<town>{_W})(?P<compass>[ \t]+(?:North|South|East|West|Central))?"
                         rf"(?:[ \t]+(?P<code>\d{{4}}))?(?![\w'’-])")
_NL_RE = re.compile(rf"{_W}[ \t]+\d{{1,4}}[a-z]?,[ \t]*(?P<zip>\d{{4}}[ \t]?[A-Z]{{2}})[ \t]+(?P<town>{_W})")
_SG_RE = re.compile(r"(?<![\w-])(?P<place>(?:Blk|Block)[ \t]+\d{1,4}[A-Z]?(?:[ \t]+[A-Z][a-z]+){1,4}[ \t]+"
                    r"(?:Ave|Avenue|St|Street|Rd|Road|Dr|Drive|Cres|Crescent|Lor|Lorong|Jalan|Way)(?:[ \t]+\d{1,2})?"
                    r"(?:,?[ \t]*#\d{2}-\d{2,4})?)")
_PIN_RE = re.compile(r"(?:(?i:\bpin(?:[ \t]*code)?)[ \t]*:?[ \t]*|(?<=[a-z])[ \t]+|(?<=[a-z]),[ \t]*)"
                     r"(?P<pin>[1-8]\d{5})"
                     r"(?![\w-]|\.\d)")
_INDIA_NEAR_RE = re.compile(r"(?i:\b(?:vill|village|teh|tehsil|taluka?|taluk|distt|dist|mandal|pin|india|haryana"
                            r"|punjab|bihar|kerala|gujarat|rajasthan|maharashtra|karnataka|tamil[ \t]+nadu|telangana"
                            r"|uttar[ \t]+pradesh|madhya[ \t]+pradesh|andhra[ \t]+pradesh|west[ \t]+bengal|odisha"
                            r"|assam|jharkhand|chhattisgarh|uttarakhand|himachal|delhi)\b)")
# an Indian institute named after a person: "Sanjay Gandhi PGI", "Ram Manohar Lohia Hospital" has its own rule
_INSTITUTE_RE = re.compile(rf"(?<![\w'’-])(?P<place>{_W}(?:[ \t]+{_W}){{0,3}}[ \t]+(?:PGI|PGIMER|SGPGIMS|AIIMS|JIPMER"
                           r"|NIMHANS|GMCH|Medical[ \t]+College(?:[ \t]+(?:and[ \t]+)?Hospital)?))(?![\w'’-])")
_WELSH_GATE_RE = re.compile(r"(?:Cae|Heol|Ffordd|Lôn|Stryd|Rhodfa|Maes|Llys|Cwrt|Clos|Bryn|Pant|Nant)[ \t]")
_STREET_GATE_RE = re.compile(r"(?:Rua|Avenida|Av\.|Travessa|Praça|Largo|Estrada|Alameda|Calle|Carrera|Paseo|Rue|Piazza"
                             r"|Viale|Lorong)[ \t]")
_INSTITUTE_GATE_RE = re.compile(r"PGI|AIIMS|JIPMER|NIMHANS|GMCH|Medical[ \t]+College")
_NOT_SITES = frozenset("""Home Night Rest Risk Baseline Diagnosis Presentation Admission Discharge Triage Resus Majors
Minors Reception Theatre Theatres Recovery Radiology Pharmacy Clinic Work School Church Christmas Easter Weekend
Outpatients Endoscopy Dialysis Renal Cardiology Oncology Haematology Present Time Times Least Most First
Last Teams Zoom Skype WhatsApp FaceTime
Somatom Magnetom Aquilion Biograph Ingenia Achieva Signa Optima Discovery Revolution Vantage Brilliance Lightspeed
Skyra Prisma Vida Avanto Aera Verio Artis Naeotom Vereos Definition Siemens Philips Toshiba Canon Hologic Lunar""".split())
# (round 20: a scanner's model is no place, "CT at Somatom;")


@lru_cache(maxsize=1)
def _towns() -> frozenset[str]:
    return lexicon.towns() | frozenset(lexicon.cities())


def _site_word(words: str) -> bool:
    from meddx.deid.names_objects import _NOT_PEOPLE

    common = lexicon.common_words()
    return all(w.lower() not in common and w not in lexicon.AMBIGUOUS and w not in _NOT_PEOPLE and w not in _NOT_SITES
               and w not in lexicon.first_names() for w in words.split())


def find_site_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    for rx, rule in ((_AT_SITE_RE, "place-at-site"), (_WARD_COMMA_RE, "place-at-site"), (_OF_RE, "place-of")):
        if (" at " if rx is _AT_SITE_RE else "ard " if rx is _WARD_COMMA_RE else " of ") not in text:
            continue
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", rule, 45) for m in rx.finditer(text)
                if _site_word(m.group("place"))
                and (rx is not _AT_SITE_RE or _BEFORE_AT_RE.search(text, max(0, m.start() - 40), m.start()))]
    if _WELSH_GATE_RE.search(text):
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", "street-welsh", 62)
                for m in _WELSH_RE.finditer(text)]
    if _STREET_GATE_RE.search(text):
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", "street-first", 68)
                for m in _STREET_FIRST_RE.finditer(text)]
    towns = _towns()
    for m in _COMPASS_RE.finditer(text) if re.search(r"North|South|East|West|Central|\d{4}", text) else ():
        if m.group("town") not in towns or not (m.group("compass") or m.group("code")):
            continue
        if m.group("compass"):
            out.append(Cand(m.start(), m.end("compass"), "LOCATION", "town-compass", 67))
        if m.group("code") and not re.fullmatch(r"(?:19|20)\d\d", m.group("code")) and re.match(
                r"[ \t]*(?:[;,.)]|\Z|\n)", text[m.end():]):
                out.append(Cand(m.start("code"), m.end("code"), "LOCATION", "zip-nz", 67))
    for m in _NL_RE.finditer(text) if re.search(r"\d{4}[ \t]?[A-Z]{2}[ \t]", text) else ():
        if m.group("zip")[-2:] not in ("SA", "SD", "SS"):
            out += [Cand(m.start("zip"), m.end("zip"), "LOCATION", "zip-nl", 70),
                    Cand(m.start("town"), m.end("town"), "LOCATION", "town-nl", 66)]
    if "Bl" in text:
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", "address-sg", 70) for m in _SG_RE.finditer(text)]
    if _INSTITUTE_GATE_RE.search(text):
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", "institute-in", 75)
                for m in _INSTITUTE_RE.finditer(text)]
    if _INDIA_NEAR_RE.search(text):
        out += [Cand(m.start("pin"), m.end("pin"), "LOCATION", "zip-in", 72) for m in _PIN_RE.finditer(text)]
    return out
