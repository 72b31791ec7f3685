"""Places that the address, facility and place-phrase rules miss (found by the twelfth review's blind notes):

- a place before the kind of place it has, in lower case or as a department ("at Skipton station", "the
  Ystradgynlais club", "Leith council", "at Pinderfields ED", "Skipton car park");
- where a person is from ("58F from Pine Bluff with", "Pt from Alice Springs;", "a farmer from Builth Wells");
- both ends of a retrieval or transfer ("retrieved by Careflight from Wagga Wagga to Westmead");
- where a home is ("a farm near Llanidloes", "cottage outside Dolgellau"), words shaped like English included;
- counties and Irish postal districts ("Powys", "Aberdeenshire", "Co. Tyrone", "Dublin 9");
- a street named without a number ("(Boots, Sauchiehall St)"), a house number spoken in words ("twenty two
  Castle Street") and a Glasgow flat before its house number ("Flat 2/1, 45 Byres Road");
- (the fresh sets after) housing, a team, a named relative or work in a place ("sheltered housing in Cwmbran",
  "team at Wythenshawe;", "son Ayodele in Lagos", "docker in Tilbury for"), a town after a car park ("car park,
  Skipton.") and a hospital after a job title ("Staff nurse at Pinderfields rang").

Every place word must be capitalised and not a common word; states, countries, charities, hospital areas ("from
Majors to Resus") and sectors ("worked in Retail") stay.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand
from meddx.deid.place_words import CLAUSE_END, _english, _proper_word

_W = rf"[{UPPER}][{LOWER}]+(?:['’][{LOWER}]+|-[{UPPER}]?[{LOWER}]+)*"
_PLACE = rf"(?P<place>{_W}(?:[ \t]+{_W}){{0,2}})"
# what a town has: "Skipton station", "Leith council", "Pinderfields ED" (a hospital's department)
_AMENITIES = (r"council|club|station|car[ \t]+park|library|mosque|church|chapel|temple|gurdwara|synagogue|market"
              r"|harbou?r|airport|leisure[ \t]+cent(?:re|er)|prison|barracks|campus|beach|shopping[ \t]+cent(?:re|er)"
              r"|town[ \t]+cent(?:re|er)|high[ \t]+street|retail[ \t]+park|swimming[ \t]+pool|bus[ \t]+stop"
              r"|stadium|arena|racecourse|showground|pier|pub|hotel|golf[ \t]+course|marina|ferry[ \t]+terminal"
              r"|ED|A&E|A\+E|ITU|ICU|SCBU|NICU|maternity|minor[ \t]+injuries")
AMENITY_RE = re.compile(rf"(?<![\w'’-])(?i:at|from|in|near|to|of|by|outside|the)[ \t]+(?:the[ \t]+)?{_PLACE}[ \t]+"
                        rf"(?:{_AMENITIES})(?![\w'’-])")
# "58 yo M from Pine Bluff", "Pt from Alice Springs;": a person, then "from" and where
_PERSON = (r"pt|patient|man|woman|male|female|gentleman|lady|boy|girl|child|baby|farmer|resident|family|couple"
           r"|yo|y/o|\d{1,3}[ \t]*[FM]")
PERSON_FROM_RE = re.compile(rf"(?<![\w'’-])(?i:{_PERSON})[ \t]+(?:originally[ \t]+)?from[ \t]+{_PLACE}"
                            rf"(?={CLAUSE_END}|[ \t]+(?:with|who|and|for|presents|presenting"
                            r"|presented|admitted|attends|attended|brought|referred|on|is|was|has)\b)")
# "retrieved by Careflight from Wagga Wagga to Westmead": both ends of a journey between hospitals
_MOVE = r"retrieved|retrieval|conveyed|repatriated|brought|taken|flown|blue[ -]lighted|moved|transported|diverted"
JOURNEY_RE = re.compile(rf"(?i:\b(?:{_MOVE}))\b[^.;\n]{{0,40}}?\bfrom[ \t]+(?P<a>{_W}(?:[ \t]+{_W}){{0,2}})"
                        rf"(?:[ \t]+to[ \t]+(?P<b>{_W}(?:[ \t]+{_W}){{0,2}}))?")
# "sheltered housing in Cwmbran", "a hostel in Partick": where someone is housed ("house in" is a place phrase already)
HOUSED_IN_RE = re.compile(rf"(?i:\b(?:housing|accommodation|hostel|bungalow|caravan|supported[ \t]+living|refuge"
                          rf"|placement|foster[ \t]+care))[ \t]+in[ \t]+{_PLACE}")
# "Dr Bankole's team at Wythenshawe;": where a team or ward is, a place ending its clause
TEAM_AT_RE = re.compile(rf"(?i:\b(?:team|ward|unit|service|department|dept|practice|surgery|hospice|hub))[ \t]+at[ \t]+"
                        rf"{_PLACE}(?={CLAUSE_END})")
# "son Ayodele in Lagos phones weekly": where a named relative is
RELATIVE_IN_RE = re.compile(rf"(?i:\b(?:son|daughter|brother|sister|mother|father|wife|husband|partner|niece|nephew"
                            rf"|cousin|aunt|uncle|grandson|granddaughter))[ \t]+{_W}(?:[ \t]+{_W})?"
                            rf"[ \t]+(?:in|from)[ \t]+"
                            rf"{_PLACE}")
# "worked as a docker in Tilbury for 25 years": where someone works or worked
WORKED_IN_RE = re.compile(rf"(?i:\b(?:worked|works|working|employed|job|career))\b[^.;\n]{{0,30}}?\bin[ \t]+{_PLACE}"
                          rf"(?={CLAUSE_END}|[ \t]+(?:for|since|until|till|as|and|before)\b)")
# "car park, Skipton.", "at the station, Hebden Bridge,": a town after the kind of place, ending its clause
AMENITY_TOWN_RE = re.compile(rf"(?i:\b(?:{_AMENITIES}))\b,[ \t]*{_PLACE}(?={CLAUSE_END})")
# "Staff nurse at Pinderfields rang", "Charge nurse, Pinderfields, rang": where the caller works, after a job title
ROLE_AT_RE = re.compile(rf"(?i:\b(?:nurse|sister|matron|physio(?:therapist)?|doctor|registrar|consultant|porter"
                        r"|pharmacist|midwife|paramedic|receptionist|secretary|manager|co-?ordinator"
                        r"|social[ \t]+worker))"
                        rf"(?:[ \t]+(?i:at|from)|[ \t]*,)[ \t]+{_PLACE}(?={CLAUSE_END}"
                        r"|[ \t]+(?:rang|called|phoned|said|says|confirmed|asked|emailed|faxed|re)\b)")
# "a farm near Llanidloes", "cottage outside Dolgellau": where a home is, English-shaped names included
HOME_NEAR_RE = re.compile(rf"(?i:\b(?:farm|village|town|house|cottage|croft|smallholding|caravan|bungalow|lives|living"
                          rf"|based|home))[ \t]+(?i:near|outside|just[ \t]+outside)[ \t]+{_PLACE}")
# counties and districts (units smaller than a state): "-shire" names, a list, "Co. Tyrone", "Dublin 9"
_COUNTIES = frozenset("""Powys Gwynedd Ceredigion Conwy Anglesey Fife Moray Argyll Lothian Midlothian Cornwall Devon
Dorset Essex Surrey Sussex Norfolk Suffolk Cumbria Northumberland Donegal Tipperary Wexford Wicklow Kildare Offaly Laois
Roscommon Sligo Leitrim Monaghan Cavan Fermanagh Tyrone Armagh Antrim Westmeath Longford Carlow Louth Meath""".split())
# Irish counties that are also words, names or towns, taken only after "Co." / "County" ("Co. Down", "County Clare")
_IRISH_AFTER_CO = ("Down Derry Londonderry Kerry Cork Clare Mayo Galway Limerick Waterford Kilkenny Dublin "
                   "Wicklow Meath Louth Tyrone Antrim Armagh Fermanagh Donegal Sligo Offaly Laois Carlow Cavan "
                   "Monaghan Longford")
COUNTY_RE = re.compile(rf"(?<![\w'’-])(?:(?:Co\.?|County)[ \t]+(?:{'|'.join(_IRISH_AFTER_CO.split())})"
                       rf"|(?:(?:North|South|East|West)[ \t]+)?"
                       rf"[{UPPER}][{LOWER}]+shire|{'|'.join(sorted(_COUNTIES))}"
                       r"|Dublin[ \t]+(?:[1-9]|1[0-8]|2[024]|6W))(?![\w'’-])"
                       # not a firm or a dish named for the county ("Wiltshire Farm Foods", "Yorkshire pudding")
                       # (a postcode after it is no firm: "Co. Kerry V93 R2F6", "Lancashire PR1 2AB")
                       rf"(?![ \t]+(?:(?![A-Z]{{1,2}}\d)[{UPPER}]|(?i:pudding|terrier|tea|water|ambulance)\b))")
# "(Boots, Sauchiehall St)": a street with a proper first word, no number and no capitalised word after "St"
BARE_STREET_RE = re.compile(rf"(?<![\w'’-]){_PLACE}[ \t]+(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Crescent|Terrace"
                            rf"|Drive|Gardens|Place|Square|Wynd|Close)\b\.?(?!['’])"
                            r"(?=[ \t]*(?:[,;)]|\.(?:\s|$)|\r?\n|$))")  # ending its clause: not "Apgar Close care"
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
                 r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred")
SPOKEN_NUMBER_STREET_RE = re.compile(rf"(?<![\w'’-])(?i:(?:{_NUMBER_WORDS})(?:[ \t-]+(?:{_NUMBER_WORDS}|and))*)[ \t]+"
                                     rf"(?:{_W}[ \t]+){{1,3}}(?:Street|Road|Avenue|Lane|Crescent|Terrace|Drive"
                                     r"|Gardens|Place|Square|Close|Way|Court|Park|Row|Walk)\b")
FLAT_BEFORE_NUMBER_RE = re.compile(rf"(?<![\w-])(?:Flat|Apt|Apartment|Unit)\.?[ \t]*\d{{1,4}}(?:/\d{{1,3}})?[A-Za-z]?"
                                   rf"(?=,?[ \t]*\d{{1,5}}[A-Za-z]?[ \t]+[{UPPER}])")
_CHARITIES = frozenset("Macmillan Marie Curie Sue Ryder Cruse Mencap Barnardo Maggie".split())
# the parts of a hospital a patient moves between ("from Majors to Resus", "back from Theatre to Recovery")
_HOSPITAL_AREAS = frozenset("""Theatre Theatres Recovery Resus Majors Minors Paeds Bay Ward Room Side
Cubicle Radiology Endoscopy Cath Lab Neuro Cardiac Renal Stroke Coronary Dialysis Triage Ambulatory
Assessment Observation Obs Home""".split()) | frozenset(
    "Night Nights Weekend Weekends Work Present Times Baseline Handover Level Floor Gate Entrance Exit".split())


# trades and sectors someone works in ("worked in Retail for 20 years", "in Hospitality"): no place
_SECTORS = frozenset("""Retail Hospitality Catering Logistics Admin Administration Sales Finance Banking Insurance
Construction Engineering Education Healthcare Care Farming Agriculture Mining Manufacturing Transport Security
Marketing Accounts Recruitment Telesales Childcare Nursing Teaching Law Property Media Publishing Fashion Hairdressing
Cleaning Retailing Warehousing Haulage Fishing Forestry Defence Policing Pharma Research Software Design
Hours Practice Practices Locum Locums Outpatients Emergency Urgent Primary Secondary Tertiary Acute Nights
Shifts""".split())
# (services and shifts a clinician works in: "Works in general practice in Out Hours", "works in Urgent Care")


def find_cue_places(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes above."""
    common = lexicon.common_words()
    out: list[Cand] = []
    for rx in (AMENITY_RE, PERSON_FROM_RE, HOME_NEAR_RE, HOUSED_IN_RE, TEAM_AT_RE, RELATIVE_IN_RE, WORKED_IN_RE,
               AMENITY_TOWN_RE, ROLE_AT_RE):
        for m in rx.finditer(text):
            words = m.group("place").split()
            if rx is ROLE_AT_RE and any(w in lexicon.first_names() for w in words):
                continue  # "Staff nurse, Sarah, rang": a person
            if _place_words(words, common, english_ok=rx in (AMENITY_RE, HOME_NEAR_RE, ROLE_AT_RE)):
                out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "place-context", 53))
    for m in JOURNEY_RE.finditer(text):
        for g in ("a", "b"):
            if m.group(g) and _place_words(m.group(g).split(), common, english_ok=False):
                out.append(Cand(m.start(g), m.end(g), "LOCATION", "place-context", 53))
    for m in COUNTY_RE.finditer(text):  # not a surname after a first name: "Leonard Cheshire", "Jane Essex"
        before = re.search(r"([A-Z][a-z]+)[ \t]+\Z", text[max(0, m.start() - 30):m.start()])
        if before is None or before.group(1) not in lexicon.first_names():
            out.append(Cand(m.start(), m.end(), "LOCATION", "county", 52))
    for m in BARE_STREET_RE.finditer(text):
        words = m.group("place").split()
        if any(_proper_word(w, common) and not _english(w) and not lexicon.is_listed(w) for w in words):
            out.append(Cand(m.start(), m.end(), "LOCATION", "street", 59))
    out += [Cand(m.start(), m.end(), "LOCATION", "street", 62) for m in SPOKEN_NUMBER_STREET_RE.finditer(text)]
    out += [Cand(m.start(), m.end(), "LOCATION", "street", 62) for m in FLAT_BEFORE_NUMBER_RE.finditer(text)]
    return out


def _place_words(words: list[str], common: frozenset[str], *, english_ok: bool) -> bool:
    """A proper word among ``words`` (not common; English-shaped only when ``english_ok``), and none of them a state,
    a country or a charity."""
    if any(w in lexicon.STATE_NAMES or w in lexicon.COUNTRIES or w in _CHARITIES or w in _HOSPITAL_AREAS
           or w in _SECTORS
           or re.search(r"['’]s\Z", w) for w in words):  # (a possessive is a person's or a saint's: "Parkinson's")
        return False
    return any(_proper_word(w, common) and (english_ok or not _english(w)) for w in words)
