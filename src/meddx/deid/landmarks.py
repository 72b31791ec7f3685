"""Places the address and facility rules of ``locations``/``facilities`` miss: landmarks ("on
Westminster Bridge", "near Tooting Bec Common"), a named street without a number ("from Mare
Street", "Whittall Street clinic"), facilities whose kind word is British or not last ("the Emmeline
Centre", "St Mary's Lindo Wing", "Wistaston Road Surgery", "Furzedown Medical Practice", "HMP
Pentonville", "Highbury Corner Magistrates' Court", "Bozeman Health Deaconess"), hospitals named
informally ("at the Royal Free", "at Addenbrooke's", "ST THOMAS' ED") and the district of a station
("Paddington fire station").

Hand-written rules like the rest of ``meddx.deid`` (no offline gazetteer of British places exists to
use instead): each needs a proper word (not a common or English-looking word) or a place cue.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names_lines import result_term
from meddx.deid.patterns import Cand
from meddx.deid.place_words import _english, _proper_word

_W = rf"[{UPPER}][{LOWER}]+(?:['’][{LOWER}]|-[{UPPER}][{LOWER}]+)*"  # "Westminster", "Addenbrooke's", "Bhatt-Morrow"
_PREP = r"(?<![\w-])(?:on|near|at|from|off|by|across|along|under|outside|behind|opposite|to|towards?|into|onto|down|up|via)"
_LANDMARK_END = (r"Bridge|Common|Heath|Pier|Embankment|Square|Circus|Green|Market|Station|Promenade|Harbour|Harbor"
                 r"|Quay|Wharf|Tower|Castle|Abbey|Stadium|Arena|Mall|Beach|Moor|Fields|Gardens|Park"
                 r"|Cove|School|College|Academy")  # (round 25: "at Cardinal Newman Catholic School")
# "on Westminster Bridge", "near Tooting Bec Common", "outside Paddington Station"
LANDMARK_RE = re.compile(_PREP + rf"[ \t]+(?:the[ \t]+)?(?P<place>(?:{_W}[ \t]+){{1,3}}(?:{_LANDMARK_END}))(?![\w'’-])")
_STREET_END = r"Street|Road|Avenue|Lane|Boulevard|Crescent"
# "from Mare Street", "along Church Street" (a preposition before it), or a proper word anywhere ("Whittall Street")
STREET_AFTER_PREP_RE = re.compile(_PREP + rf"[ \t]+(?P<place>(?:{_W}[ \t]+){{1,3}}(?:{_STREET_END}))(?![\w'’-])")
STREET_ANY_RE = re.compile(rf"(?<![\w'’-])(?P<place>(?:{_W}[ \t]+){{1,2}}(?:{_STREET_END}))(?![\w'’-])")
_SAINT = rf"(?:(?:St\.?|Saint)[ \t]+{_W}[ \t]+)?"
# British and other kind words not in ``facilities``: a proper word must come before them
FACILITY2_RE = re.compile(rf"(?<![\w'’-]){_SAINT}(?P<body>(?:{_W}[ \t]+){{1,3}})(?P<kind>Centre|Center|Wing"
                          rf"|Medical[ \t]+Practice|Group[ \t]+Practice|Surgery|Magistrates['’]?[ \t]+Court"
                          rf"|Crown[ \t]+Court|County[ \t]+Court|Coroner['’]s[ \t]+Court|Prison|Young[ \t]+Offender"
                          rf"[ \t]+Institution|Correctional[ \t]+(?:Facility|Institution|Center)|Detention[ \t]+Cent(?:er|re)"
                          rf"|Penitentiary)(?![\w'’-])")
# "HMP Pentonville", "HMYOI Feltham", "HM Prison Durham"
PRISON_RE = re.compile(rf"(?<![\w-])(?:HMP(?:/YOI)?|HMYOI|HM[ \t]+Prison)[ \t]+{_W}(?:[ \t]+{_W})?")
# "ED (Leighton)", "A&E (Whiston)": the site of a department in brackets
DEPT_SITE_RE = re.compile(rf"(?<![\w&])(?:ED|A&E|ER|AED|MAU|AMU|UTC|OPD)[ \t]*\((?P<place>{_W}(?:[ \t]+{_W})?)\)")
# "Bozeman Health Deaconess", "Sanford Health Fargo": a system's name, "Health", then the site
HEALTH_SITE_RE = re.compile(rf"(?<![\w'’-])(?P<name>{_W})[ \t]+Health[ \t]+(?P<site>{_W}(?:[ \t]+{_W})?)")
# What follows "Health" in an organisation's name, not a site: "World Health Organization", "Public Health Agency"
_ORG_WORD_RE = re.compile(r"(?:tion|sion|ment|ity|ics|ogy|ance|ence|ncy|Service|Services|Trust|Board|Authority|Agency"
                          r"|Council|Ministry|Insurance|Plan|Policy|Act|Survey|Study|Sciences?|Research|Institutes?"
                          r"|Foundation|Forum|Assembly|Network|Partners|System|Systems|Group|Alliance|Coalition)$")
# "at the Royal Free.", "from the Royal Marsden,": a royal hospital named without a kind word, ending the clause
ROYAL_THE_RE = re.compile(r"(?<![\w-])(?:at|from|to|in|via)[ \t]+the[ \t]+(?P<place>Royal[ \t]+" + _W
                          + r"(?:[ \t]+" + _W + r")?)(?=[ \t]*(?:[,.;)]|\r?\n|$))")
_NOT_ROYAL = frozenset("Navy Marines Air Army Mail Society College Colleges Academy Family Household Mint Engineers "
                       "Artillery Ballet Opera Institution Commission Charter Assent Warrant Jelly".split())
# "at Addenbrooke's.", "from Guy's,": a possessive proper word ending the clause after a place preposition
POSSESSIVE_AT_RE = re.compile(rf"(?<![\w-])(?:at|from|to)[ \t]+(?P<place>[{UPPER}][{LOWER}]+['’]s)(?=[ \t]*(?:[,.;)]|\r?\n|$))")
_HOMES = frozenset("mum mom dad nan nana gran granny grandma grandpa mother father sister brother aunt uncle "
                   "friend neighbour neighbor partner son daughter cousin mcdonald".split())
# "ST THOMAS' ED", "St Thomas' A&E": a saint's name with an apostrophe and no s
SAINT_APOS_RE = re.compile(r"(?<![\w.])(?:ST\.?|SAINT|St\.?|Saint)[ \t]+(?:[A-Z][a-z]+|[A-Z]{3,})['’](?![\w'’])")
# "Referred by Dr. S. Ramaswamy, Jayanagar.": the place of a doctor named with initials, ending the clause
DOCTOR_PLACE_RE = re.compile(rf"(?<![\w.])(?:Dr|Mr|Mrs|Ms|Prof)\.?[ \t]+(?:[{UPPER}]\.?[ \t]+){{1,2}}{_W},[ \t]*"
                             rf"(?P<place>{_W})(?=[ \t]*(?:[.;)]|\r?\n|$))")
# "Paddington fire station", "at Stretford police station"
STATION_RE = re.compile(rf"(?<![\w'’-])(?P<place>{_W}(?:[ \t]+{_W})?)[ \t]+(?:fire|police|ambulance|bus|train|railway"
                        r"|tube|coach)[ \t]+station\b")


# What a centre or wing is for, not its name: "the Trauma Centre", "Sleep Centre", "Burns Unit Wing"
_SERVICES = frozenset("""trauma sleep burns burn fracture stroke dialysis cancer heart eye breast spinal spine brain kidney
renal liver transplant fertility rehabilitation rehab wellness wellbeing diabetes pain memory epilepsy cystic fibrosis
sexual maternity birth birthing wound vascular cardiac lung chest bone hearing balance simulation research medical
health community children women day walk-in urgent treatment assessment admissions discharge private patients east west
north south main new old outpatient inpatient imaging diagnostic diagnostics endoscopy infusion haematology hematology
oncology dental eating disorders gender identity addiction addictions recovery crisis poison poisons blood plasma donor
transfusion sports dementia autism audiology vision skin allergy asthma continence bladder bowel weight obesity
bariatric hepatology neuroscience neurosciences cardiothoracic orthopaedic orthopedic paediatric pediatric teaching
education training learning conference visitor visitors family families resource resources support care
cardiovascular respiratory""".split())


# Words shaped like an anatomical adjective or a dye, which no place name is: "Sphenoid Wing", "Iliac Wing",
# "Indocyanine Green", "Lissamine Green" (the place words' adjective test knows only -al, -ic, -ive, ...)
_NOT_PLACE_RE = re.compile(r"(?:oid|iac|cyanine|amine)$")
# The word before "to"/"from" that makes the possessive after it a disease, not a hospital: "progressed to
# Parkinson's", "secondary to Crohn's", "suffered from Alzheimer's" (but "referred to Addenbrooke's")
_DISEASE_BEFORE = frozenset("""due secondary related relating attributed attributable owing progressed progressing
progresses progression progress converted conversion evolved evolving evolution suffers suffering suffered suffer
leading lead led predisposed predisposition susceptible susceptibility prone complicated""".split())


# A solution or regimen named after a hospital, not the hospital: "St. Thomas' II cardioplegic solution"
_PREPARATION_AFTER_RE = re.compile(r"[ \t]+(?:(?:I{1,3}|IV|V)\b[ \t]*)?(?:solution|cardioplegi[ac]|cardioplegic|protocol"
                                   r"|regimen|formula|mixture|infusion|score|criteria)\b")


def _named(words: list[str], common: frozenset[str]) -> bool:
    """At least one word that is proper and not English-looking ("Westminster", not "Fire" or "Community"), and
    no drug, organism, salt, dye or anatomical word among them ("Chlorhexidine Gluconate Centre", "Greater
    Sphenoid Wing" are no places)."""
    return any(_proper_word(w, common) and not _english(w) and w.lower() not in lexicon.EPONYM_NEXT for w in words) \
        and not any(result_term(w) or _NOT_PLACE_RE.search(w.lower()) for w in words)


def _disease_possessive(text: str, start: int) -> bool:
    """The possessive matched at ``start`` follows a disease word ("progressed to Parkinson's")."""
    before = re.search(r"([A-Za-z]+)[ \t]+$", text[max(0, start - 30):start])
    return before is not None and before.group(1).lower() in _DISEASE_BEFORE


def find_landmarks(text: str) -> list[Cand]:
    """LOCATION candidates of the shapes above (priority under names: "Dr Sarah Lane" stays a name)."""
    common = lexicon.common_words()
    out: list[Cand] = []
    streets = any(w in text for w in ("Street", "Road", "Avenue", "Lane", "Boulevard", "Crescent"))
    for rx, rule in ((LANDMARK_RE, "landmark"), (STREET_AFTER_PREP_RE, "street-name"), (STATION_RE, "station")):
        if (rx is STREET_AFTER_PREP_RE and not streets) or (rx is STATION_RE and "station" not in text):
            continue  # (a cheap test first: most notes have neither)
        for m in rx.finditer(text):
            words = m.group("place").split()
            body = words if rx is STATION_RE else words[:-1]
            if _named(body, common) or (rx is STREET_AFTER_PREP_RE and not any(w.lower() in common for w in body)):
                out.append(Cand(m.start("place"), m.end("place"), "LOCATION", rule, 52))
    for m in STREET_ANY_RE.finditer(text) if streets else ():
        if _named(m.group("place").split()[:-1], common) and not lexicon.is_listed(m.group("place").split()[-2]):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "street-name", 51))
    out += _facilities(text, common)
    for m in ROYAL_THE_RE.finditer(text) if "Royal" in text else ():
        if not _NOT_ROYAL.intersection(m.group("place").split()[1:]):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "facility-royal", 57))
    for m in POSSESSIVE_AT_RE.finditer(text):
        word = m.group("place")[:-2]
        if word.lower() not in _HOMES and word.lower() not in common and not lexicon.is_listed(word) \
                and not _disease_possessive(text, m.start()):
            out.append(Cand(m.start("place"), m.end("place"), "LOCATION", "facility", 53))
    out += [Cand(m.start(), m.end(), "LOCATION", "facility", 57) for m in SAINT_APOS_RE.finditer(text)
            if ("'" in text or "’" in text) and not _PREPARATION_AFTER_RE.match(text, m.end())]
    for rx in (DEPT_SITE_RE, DOCTOR_PLACE_RE):
        out += [Cand(m.start("place"), m.end("place"), "LOCATION", "place-context", 53) for m in rx.finditer(text)
                if _named(m.group("place").split(), common) and not lexicon.is_listed(m.group("place"))]
    return out


def _facilities(text: str, common: frozenset[str]) -> list[Cand]:
    out: list[Cand] = []
    kinds = ("Cent", "Wing", "Practice", "Surgery", "Court", "Prison", "Institution", "Facility", "Penitentiary")
    for m in FACILITY2_RE.finditer(text) if any(k in text for k in kinds) else ():
        spans = [(w.start(), w.end()) for w in re.finditer(r"\S+", text[m.start("body"):m.end("body")])]
        spans = [(a + m.start("body"), b + m.start("body")) for a, b in spans]
        while spans and (text[spans[0][0]:spans[0][1]].lower() in common or _english(text[spans[0][0]:spans[0][1]])
                         or text[spans[0][0]:spans[0][1]] in ("Seen", "Saw", "Met", "Sent")):
            spans = spans[1:]  # "Referred The Emmeline Centre": the name starts after the common or verb-like words
        body = [text[a:b] for a, b in spans]
        if not body:
            continue
        street = any(re.fullmatch(_STREET_END, w) for w in body)  # "Church Street Children's Centre"
        if m.group("kind") == "Surgery" and not street:
            continue  # "Plastic Surgery", "Mohs Surgery": a specialty, not a practice
        named = [w for w in body if re.sub(r"['’]s?$", "", w).lower() not in _SERVICES]
        if street or _named(named, common):
            saint = text[m.start():m.start("body")].strip()  # "St Mary's Lindo Wing": the saint's name belongs to it
            out.append(Cand(m.start() if saint and spans[0][0] == m.start("body") else spans[0][0], m.end(),
                            "LOCATION", "facility", 57))
    out += [Cand(m.start(), m.end(), "LOCATION", "facility", 57) for m in PRISON_RE.finditer(text) if "HM" in text]
    for m in HEALTH_SITE_RE.finditer(text) if " Health " in text else ():
        site = m.group("site").split()
        if _named([m.group("name")], common) and not any(w.lower() in common or _ORG_WORD_RE.search(w) for w in site):
            out.append(Cand(m.start(), m.end(), "LOCATION", "facility", 57))
    return out
