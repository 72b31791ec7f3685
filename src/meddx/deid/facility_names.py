"""Hospital names that carry no kind word or end in ordinary words: "Mass General", "Tampa
General", "MGH" / "BIDMC" as a place, "Hospital for Special Surgery".

Why separate rules: ``locations`` finds a facility by its kind word ("... Hospital", "... Clinic")
and an ``of/for`` tail only when the tail ends in a place or a name, so "Clinic for Wound Care"
stays. Here the shape itself says hospital: "<place> General", an acronym ending in H(ospital)
or MC (medical centre) where a place is expected, and "Hospital for <Capitalised Words>" (a
hospital "for" something is a named institution; a clinic or centre "for" something is usually
a service).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.patterns import Cand

_ADJECTIVE_RE = re.compile(r"(?:al|ic|ive|ary|ory|ous)$")  # "Constitutional General" is a heading
_WORD = rf"[{UPPER}][{UPPER}{LOWER}'’.\-]*"
# "Mass General", "Tampa General", "San Francisco General", "MASS GENERAL" (not "General Motors")
GENERAL_RE = re.compile(rf"(?<![\w.])(?P<place>(?:{_WORD}[ \t]+){{0,2}}{_WORD})[ \t]+(?:General|GENERAL)(?![\w'’-])"
                        rf"(?![ \t]+(?!Brigham\b)[{UPPER}][{LOWER}]+)")
# Informal short forms of state names used in hospital names ("Mass General", "Penn Presbyterian")
_STATE_SHORT = frozenset("mass mass. penn conn minn mich wisc tenn ariz calif colo wash".split())
# Ranks and offices before "General": "Surgeon General", "Attorney General", "Major General"
_OFFICES = frozenset("surgeon attorney inspector secretary lieutenant brigadier major postmaster solicitor governor "
                     "adjutant quartermaster paymaster comptroller auditor registrar consul vicar accountant "
                     "director procurator".split())
# "transferred from MGH", "seen at BWH", "records from BIDMC", "MGH ED": an acronym ending in H or MC
ACRONYM_RE = re.compile(r"(?<![\w./-])(?P<acr>[A-Z]{2,4}H|[A-Z]{2,3}MC)(?![\w/-]|\.\w)")
_PLACE_CUE_RE = re.compile(r"(?i:\b(?:at|from|to|in|via|@|transferr?(?:ed|ing)?|admitted|seen|followed|treated"
                           r"|hospitali[sz]ed|presented|discharged|delivered|born|works|worked|records|outside)\b)"
                           r"[ \t]+(?:the[ \t]+)?$")
_DEPARTMENT_AFTER_RE = re.compile(r"[ \t]+(?i:ed\b|er\b|emergency|icu|clinic|cardiology|oncology|neurology|surgery"
                                  r"|campus|main\b|hospital|medical\s+records|records|transplant|pediatrics|urgent)")
# Clinical acronyms of the same shape: bleeds, hypertrophies, hormones, drugs, procedures, settings
_CLINICAL = frozenset("""
ICH SAH IVH SDH EDH BPH LVH RVH LAH RAH PPH PAH IAH IIH CAH PMH PSH NPH LMWH UFH TSH FSH ACTH PTH ADH SIADH MCH
LDH HGH GNRH CRH TRH GHRH DASH OSH NIH SNH NASH MASH ASH HLH PNH AIH DISH FNH AAH TAH LAVH TLH BSH HOH DNH FHH PPHN
PVH CVH HHH DOH SVH AVH ENH CMC IMC DMC TMC LMC MFH SPH CPH RPH IPH EPH BMH NOH LOH UTH
""".split())


# "ROYAL PRINCE ALFRED", "PRINCESS ALEXANDRA", "Queen Elizabeth", "Sir Charles Gairdner": hospitals named after a
# royal or a knight, often written without "Hospital". The name after the rank must be a listed first name, or
# name-shaped (not a common or English-looking word) where a hospital is expected: after "Royal", after a place word
# ("admitted to", "from"), or opening a heading (a line or its part after " - ").
ROYAL_RE = re.compile(rf"(?<![\w.])(?P<royal>(?:Royal|ROYAL)[ \t]+)?(?:Prince|Princess|Queen|King|Sir|Lady|PRINCE"
                      rf"|PRINCESS|QUEEN|KING|SIR|LADY)[ \t]+(?P<name>{_WORD})(?:[ \t]+(?P<more>{_WORD}))?")
_HEADING_BEFORE_RE = re.compile(r"(?:^|\n|[ \t][-–|][ \t])[ \t]*$")


def _royal_hospitals(text: str) -> list[Cand]:
    """The ``ROYAL_RE`` names that pass the tests above."""
    from meddx.deid.names import english_looking, is_eponym_use, name_like

    common = lexicon.common_words()
    out: list[Cand] = []
    people = {_rank_name(m) for m in ROYAL_RE.finditer(text) if _royal_person(text, m)}
    for m in ROYAL_RE.finditer(text):
        name = m.group("name").rstrip(".")
        if _rank_name(m) in people:  # "Patient name:\nKING EDWARD ALLEYNE" ... "King Edward says": a person
            continue
        listed = name.title() in lexicon.first_names()
        shaped = name_like(name) and name.lower() not in common and not english_looking(name)
        cued = bool(m.group("royal")) or _HEADING_BEFORE_RE.search(text, max(0, m.start() - 3), m.start()) \
            or _PLACE_CUE_RE.search(text, max(0, m.start() - 40), m.start())
        if not (listed or (shaped and cued)):
            continue
        more = m.group("more")
        end = m.end() if more and (lexicon.is_listed(more.rstrip(".")) or (
            name_like(more) and more.lower() not in common and not english_looking(more))) else m.end("name")
        if is_eponym_use(text, end):  # "Lady Windermere syndrome": a disease named after a title, not a hospital
            continue
        out.append(Cand(m.start(), end, "LOCATION", "facility-royal", 57))
    return out


# A person's name that starts with a rank ("Prince Albert Owusu-Ansah", "King Edward Alleyne"): a person label or
# title before it, or a person's verb after it
_PERSON_BEFORE_RE = re.compile(r"(?i:\b(?:name|patient|pt|client|mr|mrs|ms|miss|mx|dr|son|daughter|brother|sister"
                               r"|husband|wife|father|mother|partner)\b)[ \t]*[:.]?[ \t]*(?:\r?\n[ \t]*)?$")
_PERSON_AFTER_RE = re.compile(r"(?:[ \t]+[A-Z][\w'’-]+)?[ \t]+(?:says|said|reports|reported|states|stated|denies|denied"
                              r"|feels|felt|tells|told|presents|presented|agrees|agreed|understands|declines|declined"
                              r"|wants|lives|smokes|drinks|attends|attended)\b")


def _rank_name(m: re.Match[str]) -> str:
    return f"{m.group().split()[0 if not m.group('royal') else 1]} {m.group('name')}".lower()


def _royal_person(text: str, m: re.Match[str]) -> bool:
    """The ``ROYAL_RE`` match is a person ("Name: PRINCE ALBERT OWUSU-ANSAH", "Prince Albert reports ...")."""
    if m.group("royal"):
        return False  # "Royal Prince Alfred" is always the hospital
    return _PERSON_BEFORE_RE.search(text, max(0, m.start() - 40), m.start()) is not None or \
        _PERSON_AFTER_RE.match(text, m.end("name")) is not None


def find_facility_names(text: str) -> list[Cand]:
    """"<place> General", hospital acronyms where a place is expected (and their other mentions),
    and "Hospital for <Capitalised Words>"."""
    out: list[Cand] = _royal_hospitals(text) if re.search(r"(?i:prince|queen|king|sir|lady)", text) else []
    common = lexicon.common_words()
    if "General" in text or "GENERAL" in text:
        for m in GENERAL_RE.finditer(text):
            start = _general_start(text, m, common)
            if start is not None:
                out.append(Cand(start, m.end(), "LOCATION", "facility-general", 57))
    found: set[str] = set()
    for m in ACRONYM_RE.finditer(text):
        acr = m.group("acr")
        if acr in _CLINICAL or acr.lower() in common or _all_caps_around(text, m.start(), m.end()) or \
                re.search(rf"(?<!\w)[{LOWER}]+[ \t]+\({acr}\)", text):
            continue  # "WITH", a note in capitals, "massive suprachoroidal hemorrhage (MSCH)": a term, not a place
        if _PLACE_CUE_RE.search(text, max(0, m.start() - 40), m.start()) or _DEPARTMENT_AFTER_RE.match(text, m.end()):
            found.add(acr)
    for m in ACRONYM_RE.finditer(text) if found else ():
        if m.group("acr") in found:  # "records from MGH ... MGH cardiology": every mention
            out.append(Cand(m.start(), m.end(), "LOCATION", "facility-acronym", 57))
    for m in HOSPITAL_FOR_RE.finditer(text) if "Hospital for" in text or "Infirmary for" in text else ():
        start = m.start("fac")
        for w in re.finditer(r"\S+", m.group("fac")):  # "Transferred To Hospital for ...": the name starts later
            if w.group().lower() not in common or w.group() in ("Hospital", "Infirmary"):
                break
            start = m.start("fac") + w.end() + 1
        out.append(Cand(start, m.end("fac"), "LOCATION", "facility-for", 57))
    return out + _bare_hospitals(text, common)


# "referred to Royal Marsden", "admitted to the Royal Brompton": "Royal" and a name-shaped word where a place is
# expected, a hospital without "Hospital" (a rank after "Royal" is ``ROYAL_RE``'s: "Royal Prince Alfred")
ROYAL_BARE_RE = re.compile(rf"(?<![\w.])(?:Royal|ROYAL)[ \t]+(?P<name>{_WORD})")
_NOT_ROYAL = frozenset("navy marines mail air force society college colleges academy family jelly institution "
                       "commission charter warrant ballet opera mint engineers artillery signals british national "
                       "prince princess queen king sir lady hospital infirmary".split())
# "genetic counselling at Addenbrooke's arranged", "transferred to Guy's.": a possessive name after a place word, at
# the clause's end or before a preposition or a verb (not "Parkinson's clinic": a disease's possessive is dropped by
# ``clinical_terms``; not after "to" alone: "progressed to Hartmann's")
POSSESSIVE_PLACE_RE = re.compile(rf"(?i:\b(?:at|from|(?:admitted|transferr?(?:ed|ing)|referred|moved|sent|taken"
                                 rf"|returned|back)[ \t]+to)[ \t]+)(?:the[ \t]+)?(?P<name>[{UPPER}][{LOWER}]+['’]s)"
                                 r"(?=[ \t]*(?:[,.;:)]|$|(?i:for|on|and|arranged|booked|where|with|today|yesterday"
                                 r"|under|via|until|since|by|tomorrow|last|next|in)\b))")
# Words before a possessive or a practice word that name no place: "at Mum's", "The Day Surgery unit"
_NOT_PLACE_WORDS = frozenset("mum mam mom dad nan nana gran granny grandma grandad auntie aunty day minor main eye "
                             "dental private".split())
# "Dr R Pryce-Jones, The Heath Surgery", "registered at the Grange Practice": a GP surgery by its name
THE_PRACTICE_RE = re.compile(rf"(?:(?<=[,:;(\n])[ \t]*|^[ \t]*|(?i:\b(?:at|with|from|to)[ \t]+))(?P<fac>(?i:the)[ \t]+"
                             rf"(?P<words>(?:{_WORD}[ \t]+){{1,2}}?)(?:Surgery|Practice|Medical[ \t]+Practice"
                             r"|Group[ \t]+Practice))(?![\w'’-])(?![ \t]+[A-Z])")  # not "... Surgery Trial"


def _bare_hospitals(text: str, common: frozenset[str]) -> list[Cand]:
    """The names of ``ROYAL_BARE_RE`` (after a place word), ``POSSESSIVE_PLACE_RE`` and ``THE_PRACTICE_RE``."""
    from meddx.deid.names import english_looking

    def proper(word: str) -> bool:
        low = word.lower().rstrip("'’s") if word.endswith(("'s", "’s")) else word.lower()
        return (low not in common and low not in _NOT_PLACE_WORDS and not english_looking(low)
                and not _ADJECTIVE_RE.search(low))

    out: list[Cand] = []
    for m in ROYAL_BARE_RE.finditer(text) if "oyal" in text or "ROYAL" in text else ():
        name = m.group("name").rstrip(".,")
        if name.lower() not in _NOT_ROYAL and proper(name) and _PLACE_CUE_RE.search(text, max(0, m.start() - 40),
                                                                                   m.start()):
            out.append(Cand(m.start(), m.start("name") + len(name), "LOCATION", "facility-royal", 57))
    for m in POSSESSIVE_PLACE_RE.finditer(text) if "'" in text or "’" in text else ():
        if proper(m.group("name")):
            out.append(Cand(m.start("name"), m.end("name"), "LOCATION", "facility", 57))
    for m in THE_PRACTICE_RE.finditer(text) if "Surgery" in text or "Practice" in text else ():
        if all(proper(w) and not w.isupper() for w in m.group("words").split()):
            out.append(Cand(m.start("fac"), m.end("fac"), "LOCATION", "facility", 57))
    return out


# "Hospital for Special Surgery", "the Hospital for Sick Children": "for" in lower case, capitalised
# words after it ("Admitted To Hospital For Chest Pain" in title case stays)
HOSPITAL_FOR_RE = re.compile(rf"(?<![\w.])(?P<fac>(?:{_WORD}[ \t]+){{0,3}}?(?:Hospital|Infirmary)[ \t]+for[ \t]+"
                             rf"(?:the[ \t]+)?[{UPPER}][{LOWER}'’]+"
                             rf"(?:[ \t]+(?:and[ \t]+|&[ \t]+)?[{UPPER}][{LOWER}'’]+){{0,3}})")


def _all_caps_around(text: str, start: int, end: int) -> bool:
    """No small letter within 40 characters: in upper-case text every word looks like an acronym."""
    return re.search(rf"[{LOWER}]", text[max(0, start - 40):end + 40]) is None


def _general_start(text: str, m: re.Match[str], common: frozenset[str]) -> int | None:
    """Start of the place before "General": the last words that are a state (or its short form),
    a listed city or a proper word; ``None`` when the word before is an office ("Surgeon General")
    or an ordinary word ("in General", "Mass General" aside)."""
    words = list(re.finditer(r"\S+", m.group("place")))
    caps = m.group().endswith("GENERAL")
    start = None
    for w in reversed(words):
        word = w.group()
        low = word.lower().rstrip(",")
        title = word.title()
        state = title in lexicon.STATE_NAMES or low in _STATE_SHORT or any(
            name.startswith(title + " ") or name.endswith(" " + title) for name in lexicon.STATE_NAMES)
        proper = (low.strip(".'’") not in common and low not in _OFFICES and not word.endswith((",", "."))
                  and (caps or not word.isupper()) and not _ADJECTIVE_RE.search(low))
        if not (state or title in lexicon.cities() or proper and not caps):
            break
        start = m.start("place") + w.start()
    return start
