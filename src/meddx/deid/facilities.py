"""Named facilities found by their kind word ("... Hospital", "... Clinic", "... Nursing Home"), with an
"of/for" tail ("Children's Hospital of Philadelphia"), in capitals after AT/TO/FROM, and "St. Vincent's" (split
out of ``locations`` to keep each module small; hospitals without a kind word are in ``facility_names``)."""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand
from meddx.deid.place_words import (
    _CAP, _city_after, _city_re, _english, _proper, _proper_word, _words,
)

# A practice named for its specialty ("Lakeside Dermatology", "Harborview Family Dental", "Cornerstone Pharmacy"):
# weak ends (a proper word must precede), and not after a specialty's short form ("Peds Cardiology", "Neuro Oncology")
_SPECIALTY_END = (r"Dermatology|Family Dental|Dental|Dentistry|Orthodontics|Pharmacy|Eye Care|Optometry|Podiatry"
                  r"|Chiropractic|Audiology|Cardiology|Urology|Oncology|Orthopedics|Orthopaedics|Radiology|Imaging"
                  r"|Endocrinology|Gastroenterology|Neurology|Rheumatology|Nephrology|Pulmonology|Ophthalmology"
                  r"|Pulmonary")
_SPECIALTY_END_RE = re.compile(r"(?:" + _SPECIALTY_END + r")$")
# "Delta Dental PPO", "Southwest Oncology Group": an insurer or a society named like a practice
_PLAN_AFTER_RE = re.compile(r"[ \t]+(?:PPO|HMO|EPO|POS|DHMO|Plan|Insurance|Premier|Medicaid|Medicare|Group|Society"
                            r"|Association|Foundation|Network|Consortium|Trials?|Study|Working|College|Board|Journal)\b")
_SPECIALTY_SHORT = frozenset("peds ped neuro heme hem onc rad rads gyn uro surg ortho derm cards cardio pulm gi ent ob "
                             "im fm em er ed icu nicu picu interventional breast mohs nuclear body chest vascular sleep "
                             "stroke epilepsy headache movement transplant adult general thyroid diabetes retina "
                             "glaucoma cornea cardiac renal neuromuscular ocular liver ibd".split())
_FACILITY_END = (r"(?:Rehabilitation|Nursing|Health|Healthcare)(?: and | & )(?:Nursing|Rehabilitation|Rehab)(?: Center)?"
                 r"|Hospitals|Hospital|Medical Center|Medical Centre|Health Center|Health Centre|Health System"
                 r"|Healthcare|Clinic"
                 r"|Infirmary|Nursing Home|Rehabilitation Center|Rehab Center|Rehab|Hospice|Care Center|Surgery Center"
                 r"|Cancer Center|Heart Institute|Institute|Sanatorium|Nursing Center|Senior Living|Manor|Assisted Living"
                 r"|Memory Care|Retirement Home|Retirement Community|Retirement Village|Care Home|Rest Home"
                 r"|Convalescent Home|Convalescent Center|Pediatrics|Physical Therapy|Daycare|Day Care|Urgent Care"
                 r"|Family Practice|Family Medicine|Medical Group|Medical Associates|Dialysis Center|Surgical Center"
                 r"|Birth Center|Senior Apartments|Apartments|Elementary School|Middle School|High School|Junior High"
                 r"|Primary School|Academy(?![ \t]+of)|Preschool|Mobile Home Park|Trailer Park|RV Park|Group Home"
                 r"|Health(?![ \t]+[A-Z])"
                 r"|Cathedral|Church|Chapel|Synagogue|Mosque|" + _SPECIALTY_END)
# Endings that are also ordinary phrases ("Mental Health", "Developmental Pediatrics"): the name
# before them needs a word that is neither common nor shaped like an adjective.
_WEAK_END = (r"Health|Pediatrics|Physical Therapy|Family Medicine|Family Practice|Manor|Daycare|Day Care|Urgent Care"
             r"|Medical Group|Medical Associates|Memory Care|Birth Center|" + _SPECIALTY_END)
_WEAK_END_RE = re.compile(r"(?:" + _WEAK_END + r")$")
_FACILITY_END_UPPER = "|".join(sorted((e.upper() for e in _FACILITY_END.split("|")  # "EASTSIDE FAMILY CLINIC"
                                       if "(" not in e and e not in ("Health", "Pediatrics", "Manor", "Institute",
                                                                     "Daycare", "Hospitals")  # "AT PRIVATE HOSPITALS"
                                       and not _SPECIALTY_END_RE.match(e)),
                                      key=len, reverse=True))
# (longest first: "NURSING HOME" before "NURSING", which a piece of the first alternative left in the list)
# Words on one line ("Sincerely,\n\nMaria\nClinic coordinator" is no facility), joined by "and"/"&"/"of"
# ("Brigham and Women's Hospital"), and an "of/for ..." tail ("Children's Hospital of Philadelphia")
# (not before the weak ends: "National Institutes of Health", "American Academy of Pediatrics" are no places)
# (not inside a word: "Ward: 7B Neurology" is no practice "B Neurology")
FACILITY_RE = re.compile(r"(?<!\w)(?:(?:St\.|Saint|Mt\.|Mount)[ \t])?(?:" + _CAP + r"[ \t]+(?:(?:and|&|of)[ \t]+(?!(?:"
                         + _WEAK_END + r")\b))?){1,4}(?:" + _FACILITY_END + r")\b"
                         r"(?![ \t]*(?:[Nn]o\b|[Nn]umber\b|#|ID\b))")  # "Georgia Smith   Hospital no: ...": a field label
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
_PAREN_CITY_RE = re.compile(r"[ \t]*\((?P<city>(?:" + _CAP + r"[ \t]){0,2}" + _CAP + r")(?:,[ \t]*[A-Z]{2})?\)")
_IN_CITY_RE = re.compile(r"[ \t]+in[ \t]+(?P<city>(?:" + _CAP + r"[ \t]){0,2}" + _CAP + r")")
# plurals that end place names ("Magnolia Gardens", "Sunny Acres"), not English-looking words there
_PLACE_PLURAL_RE = re.compile(r"(?:GARDENS|ACRES|HILLS|SPRINGS|WOODS|OAKS|PINES|MEADOWS|HEIGHTS|FALLS|LAKES|PALMS"
                              r"|GROVES|VILLAS|TERRACES|COMMONS|ESTATES|FIELDS|SHORES|POINTE?S?|VIEWS|CREEKS|RIDGES)")


def find_facilities(text: str, common: frozenset[str]) -> list[Cand]:
    """Named facilities: "<Proper words> <kind word>" (with an "of/for" tail), "<kind word> of/for <Place>",
    an upper-case facility after AT/TO/FROM, and "St. Vincent's"; plus a city right after one."""
    out: list[Cand] = []
    for m in FACILITY_RE.finditer(text):
        for piece_start, piece_end in _facility_pieces(text, m.start(), m.end()):
            start = _facility_start(text, piece_start, piece_end, common)
            if start is None:
                continue
            end = _facility_tail(text, piece_end, common) or piece_end
            if _denomination_only(text[start:end]) or _specialty_service(text[start:piece_end]) or (
                    _SPECIALTY_END_RE.search(text, piece_start, piece_end) and _PLAN_AFTER_RE.match(text, piece_end)):
                continue  # "the Catholic Church": a faith; "Peds Cardiology", "MRI Imaging": a service
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
    if "St" in text or "Saint" in text:
        out += [Cand(m.start(), m.end(), "LOCATION", "facility", 57) for m in SAINT_RE.finditer(text)]
    return out + _heading_facilities(text, common)


# A heading that names the institution: "ROYAL UNIVERSITY HOSPITAL", "DISCHARGE SUMMARY - MERCY GENERAL HOSPITAL",
# "CORNERSTONE PHARMACY #0417" - the facility is the line, or a segment of it after " - " / "|" / ":", in capitals
# or title case, and nothing before it on the line is in lower case
HEADING_FACILITY_RE = re.compile(
    r"(?m)(?:^|(?<=[-–|:][ \t]))[ \t]*(?P<fac>(?:(?:ST\.?|SAINT|St\.?|Saint)[ \t]+)?(?:[A-Z][A-Za-z'’-]+[ \t]+){1,4}"
    r"(?:HOSPITALS?|MEDICAL[ \t]+CENT(?:ER|RE)|INFIRMARY|HEALTH[ \t]+SYSTEM|PHARMACY|Hospitals?|Medical[ \t]+Cent(?:er|re)"
    r"|Infirmary|Health[ \t]+System|Pharmacy)(?:[ \t]*#[ \t]*\d{1,6})?)(?=[ \t]*(?:$|[-–|,(:]))")
# Words that describe a hospital rather than name it, and heading words: a heading facility needs a word besides these
_GENERIC = frozenset("general community regional university teaching district county state city memorial local public "
                     "private main central district veterans children's women's mental psychiatric day field other outside "
                     "home referring receiving inpatient outpatient discharge summary admission transfer progress note "
                     "report history course brief post prior pre "
                     "department dept unit ward service".split())
# What a pharmacy (or a practice) is rather than its name: "Specialty Pharmacy", "Mail Order Pharmacy",
# "Women's Health Pharmacy", "Nuclear Pharmacy" name a service, "Cornerstone Pharmacy" a place
_SERVICE = frozenset("specialty retail compounding infusion mail order nuclear oncology clinical ambulatory satellite "
                     "investigational research sterile health hospital inpatient outpatient community discharge "
                     "central women's children's men's".split())
_JOINERS = frozenset("the a an to at from of in for and with by on into after before".split())  # "DAYS IN HOSPITAL"


def _heading_facilities(text: str, common: frozenset[str]) -> list[Cand]:
    """Institution names in headings (see ``HEADING_FACILITY_RE``): two or more words before the kind word,
    or one proper word; at least one word that is not generic ("GENERAL HOSPITAL" alone stays)."""
    out: list[Cand] = []
    for m in HEADING_FACILITY_RE.finditer(text):
        line_start = text.rfind("\n", 0, m.start("fac")) + 1
        if re.search(r"[a-z]", text[line_start:m.start("fac")]):
            continue  # "Transferred from - General Hospital": not a heading
        words = m.group("fac").split()
        kind = 2 if words[-1].upper() in ("CENTER", "CENTRE", "SYSTEM") else 1
        if words[-1].startswith("#") or words[-1][0].isdigit():
            kind += 1 + (words[-2] == "#")
        body = [w for w in words[:-kind] if w.upper().rstrip(".") not in ("ST", "SAINT")]
        names = [w for w in body if w.lower() not in _GENERIC and w.lower() not in _SERVICE]
        if any(w.lower() in _JOINERS for w in body) or not names or (len(body) < 2 and not _proper_word(names[0].title(), common)):
            continue
        out.append(Cand(m.start("fac"), m.end("fac"), "LOCATION", "facility-heading", 57))
    return out


_WORSHIP_RE = re.compile(r"(?:Cathedral|Church|Chapel|Synagogue|Mosque)$")
_DENOMINATIONS = frozenset("catholic roman baptist methodist lutheran orthodox episcopal presbyterian anglican "
                           "pentecostal adventist evangelical reformed greek russian coptic lds mormon christian "
                           "jewish muslim islamic unitarian congregational nondenominational first united".split())


def _specialty_service(name: str) -> bool:
    """A specialty ending after a service's short form or an acronym ("Neuro Oncology", "CT Imaging"):
    a department, not a named practice."""
    if not _SPECIALTY_END_RE.search(name):
        return False
    body = re.sub(r"(?:Family[ \t]+)?(?:" + _SPECIALTY_END + r")$", "", name).split()
    return not body or any(w.lower().strip(".,") in _SPECIALTY_SHORT or (w.isupper() and len(w) > 1) for w in body)


def _denomination_only(name: str) -> bool:
    words = name.split()
    return bool(_WORSHIP_RE.search(name)) and all(w.lower().strip(".,'’") in _DENOMINATIONS for w in words[:-1])


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
    if weak:  # "Specialty Pharmacy": a service word is no name
        proper = [_proper_word(text[s:e], common) and text[s:e].strip(".,'’").lower() not in _SERVICE
                  for s, e in words]
    else:
        proper = [text[s:e].strip(".,'’").lower() not in common for s, e in words]
    return body[first][0] if any(proper) or states else None
