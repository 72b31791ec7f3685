"""Clinical terms that hold a place or a person's name but identify nobody, removed from the name and place
candidates before they are resolved: a scale named after a city or a person ("Manchester triage category 3",
"Edinburgh Postnatal Depression Scale", "Montreal Cognitive Assessment", "Ann Arbor stage III", "Simpson
biplane"), an anatomical eponym after "of" ("circle of Willis", "pouch of Douglas"), an eponymous disease written
as a bare possessive ("Anaemia from Crohn's"), the generic high street ("Fell in the High Street") and a lot
number of a test kit or reagent ("Kit lot AB12"), and a fraction read as a month and day ("removed 3/4 of
the way").

Hand-written word lists, like the rest of ``meddx.deid``: no offline library lists clinical eponyms. A name
after a title stays a name whatever follows it ("Dr Crohn saw her", "Dr Willis"), and so does a street with a
house number ("12 High Street", another rule) and every other lot or serial number.
"""

from __future__ import annotations

import re

from meddx.deid.names import DIABETES_AFTER_TYPE
from meddx.deid.patterns import Cand

# What ends a scale's, score's or staging system's name: "... Scale", "... triage", "... Index", "... rules"
SCALE_NOUNS = frozenset("""scale scales score scores criteria classification questionnaire inventory index triage
rule rules tool chart assessment checklist staging stage grade grading biplane instrument
pathway pathways protocol formula equation definition regimen""".split())
# What makes the scale word part of a place's name instead: "Memory Assessment Service", "Triage Centre"
_PLACE_AFTER_RE = re.compile(r"[ \t]+(?i:cent(?:re|er)|unit|clinic|service|services|hospital|office|department|team"
                             r"|ward|suite|room|area|bay)\b")
_WORD = r"[^\W\d_][\w'’-]*"
# words that end a phrase: a scale's name never runs over them ("moved from Ottawa to the ... score")
_STOP = frozenset("""of the a an and or to in at on by for from with without is was are were has had have who which
that this then than her his their its she he they we saw seen reports reported says said""".split())
# "circle of Willis", "islets of Langerhans", "tetralogy of Fallot", "law of Laplace": a part named after a person
_ANATOMY_OF_RE = re.compile(r"(?i:\b(?:circle|circles|pouch|islets?|loops?|sphincter|ampulla|bundle|ligaments?"
                            r"|tetralogy|pentalogy|canals?|ducts?|spaces?|foramen|aqueduct|organ|crypts?|nodes?|angle|triangle"
                            r"|columns?|nucleus|tubercle|fissure|sinus|plexus|valve|tract|bodies|body|lines?|capsule"
                            r"|membrane|layer|ring|pyramids?|cells?|glands?|fossa|ganglion|hiatus|isthmus|notch|tubules?"
                            r"|fib(?:re|er)s|corpuscles?|pearls|granules|triad|law|sign|vein|artery|raphe|zone|node)"
                            r"[ \t]+of[ \t]+(?:the[ \t]+)?)$")
# Diseases written as a bare possessive ("Crohn's", "Graves'"); common surnames (Wilson, Bell, Still) are left
# out: "from Wilson's" may be a shop or a home
DISEASE_EPONYMS = frozenset("""addison alzheimer asperger barrett behcet behçet buerger chagas crohn cushing dupuytren
graves hashimoto hirschsprung hodgkin huntington kawasaki meniere ménière paget parkinson perthes peyronie pott
raynaud reiter sjogren sjögren tourette whipple kaposi conn legionnaires osgood scheuermann kienbock kienböck
dressler guillain charcot creutzfeldt duchenne friedreich marfan munchausen münchausen gaucher fabry pompe
takayasu wegener wernicke korsakoff bowen ewing wilms burkitt hurthle hürthle sheehan sydenham tietze
hashimotos""".split())
_POSSESSIVE_RE = re.compile(r"([^\W\d_]+)(?:['’]s?)$")
# "the High Street", "the main road": every town's, no address without a house number or the town
_GENERIC_STREET_RE = re.compile(r"(?i:high|main|back|front|ring|upper|lower|old|new)[ \t]+(?i:street|st|road|rd)\.?$")
# "Kit lot AB12", "reagent lot 2311045", "test strip lot #A123": a batch of consumables used on the specimen, shared
# by every patient tested with it, is no identifier of the patient nor of a device of theirs (Safe Harbor item M)
_KIT_LOT_RE = re.compile(r"(?i:\b(?:kits?|reagents?|assays?|strips?|cartridges?|controls?|calibrators?|cassettes?"
                         r"|panels?|media|medium|buffer|swabs?|tests?)[ \t]+lot"
                         r"(?:[ \t]*(?:#|no\.?|number))?[ \t:#]*)$")
# "Triage cat: Manchester ORANGE": a category of the Manchester triage system, after "triage" on the line
_TRIAGE_COLOUR_RE = re.compile(r"[ \t]+(?:RED|ORANGE|YELLOW|GREEN|BLUE|Red|Orange|Yellow|Green|Blue)\b")
# ... and right after "triage" or its category on the line: not "Triage nurse Manchester Orange" (a person may be
# called Manchester) nor "Triage at Leeds General Infirmary ORANGE" (a hospital)
_TRIAGE_BEFORE_RE = re.compile(r"(?i:\btriage(?:[ \t]+(?:cat(?:egory)?\.?|system|colou?r|code|level))?[ \t]*:?[ \t]*)$")
# "Herbert B1", "Weber B ankle", "Garden III", "Mason type 2": a class of an eponymous classification right after a
# listed name found alone (a person's name after a title or cue stays: "Dr Herbert B1" is no class)
_CLASS_AFTER_RE = re.compile(r"[ \t]+(?:[A-D][1-4][a-c]?|(?:I{1,3}|IV|VI?)[a-c]?|(?i:type|grade|class|stage)[ \t]+"
                             r"(?:[IV]{1,3}|\d)[a-c]?|[A-D](?=[ \t]+(?i:ankle|fracture|fibula|#)))(?![\w.'’-])")
# "R ankle Weber C, ORIF", "fibula fracture, Weber B": the Weber class letter after the fracture it classifies (not
# after a word that names a person: "Ankle clinic: seen by Weber A.")
_CLASS_LETTER_RE = re.compile(r"[ \t]+[A-C](?![\w'’-])")
_FRACTURE_BEFORE_RE = re.compile(r"(?i:ankle|fibula|malleol|fracture)[^\n]{0,30}(?<!\bby )(?<!\bwith )(?<!\bto )$")
# "Framingham 24%", "Glasgow 14/15", "Geneva 3 points": a score named after a place or person, then its value
# (not x/7, x/12, x/52: days, months and weeks in British notes, "reviewed by Wells 2/7 ago")
_SCORE_VALUE_RE = re.compile(r"[ \t]+\d{1,3}(?:\.\d)?[ \t]*(?:%|/(?!(?:7|12|52)\b)\d{1,3}\b|(?i:points?|pts)\b)")
_WEAK_RULES = frozenset({"dict-solo", "city-list"})
# Eponyms of classifications and scores that are also listed surnames: a listed surname found alone is taken for one
# before a class or a value only when it is here ("Herbert B1", "Wells 2 points"); any other stays a person: "Jones
# C3" and "Patel B2" in a bay list, "Harrison II" (a generational suffix), "Ahmed 88% on 2L" (his sats). Hand-written:
# no offline library lists the eponymous classifications.
# (A class written with its word, "Hawkins type 3", "Fisher grade 4", is taken after any surname found alone; a
# hyphenated eponym is taken when one part is here: "Salter-Harris II".)
CLASS_EPONYMS = frozenset("""weber herbert mason garden gustilo schatzker neer frykman salter hawkins sanders hinchey
forrest killip wagner gleason breslow rutherford fontaine hess fisher spetzler tanner hurley fitzpatrick crawford
kellgren mallampati cormack lehane wells bishop alvarado caprini braden waterlow barthel tinetti apgar ranson rockall
blatchford karnofsky rankin charlson burgess""".split())
_CLASS_WORD_AFTER_RE = re.compile(r"[ \t]+(?i:type|grade|class|stage)[ \t]+(?:[IV]{1,3}|\d)[a-c]?(?![\w.'’-])")
# "Patel type 2 DM", "Ahmed type 1 diabetes": a person's diabetes after the surname, not a class of a classification
# (the class is taken only when the name is one: "Mason type 2 DM" stays a class, see ``CLASS_EPONYMS``)
_DIABETES_TYPE_RE = re.compile(r"[ \t]+(?i:type)" + DIABETES_AFTER_TYPE)
# "Hamilton 24 points", "Morse 45 pts": a score's points after any surname found alone (a person's value, "Jones
# 88%", has none)
_POINTS_RE = re.compile(r"[ \t]+\d{1,3}[ \t]*(?i:points?|pts)\b")
_PLACE_PREP_RE = re.compile(r"(?i:\b(?:in|at|from|to|near|of|by|with|visiting)[ \t]+)$")
_FRACTION_RE = re.compile(r"(?P<num>\d{1,2})/(?P<den>\d{1,2})")
# "3/4 of the way", not "seen 3/4 of last year" nor "12/03 of 2024": a date after all
_OF_RE = re.compile(r"[ \t]+of\b(?![ \t]+(?:(?i:last|this|next|that|the[ \t]+same|each|every)[ \t]+year|\d))")
_STRONG_RULES = frozenset({"title"})  # "Dr Crohn", "Mr Willis": a person whatever follows
# Cues that a person is named ("Patient: Paget Scale", "Daughter Ruth Scale visited", "Contact: Anna Rule", "Pt Mary
# Kansas ...", "Mother: Jane Edinburgh Postnatal ..."): a scale is only taken over them when it is a longer name
# that starts with a listed city ("Mother: Edinburgh Postnatal Depression Scale 6")
_PERSON_CUE_RULES = frozenset({"label", "relation", "pt-prefix", "dict-pair"})
# "Discharged to Parkinson's, a care home", "lives at Paget's", "Lives in Cushing's Lane": a place after all
_RESIDE_BEFORE_RE = re.compile(r"(?i:\b(?:lives?|living|resides?|residing|stays?|staying|discharged|transferred|moved"
                               r"|returned|admitted|works?|working|employed|went|goes|going)[ \t]+(?:back[ \t]+)?"
                               r"(?:at|in|to|on|from|into))[ \t]+$")
# "Referred to Edinburgh Royal Infirmary triage": a hospital's name before a scale word is the hospital's
_HOSPITAL_WORD_RE = re.compile(r"\b(?:Infirmary|Hospitals?|Clinic|Surgery|Practice|Hospice|Home|House|Cent(?:re|er))\b")
_STREET_AFTER_RE = re.compile(r"[ \t]+(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Court|Drive|Way|Crescent|Place"
                              r"|Gardens|Terrace|House|Farm|Funeral)\b")
# (", a care home", ", a residential home"; not ", a chronic disease")
_PLACE_AFTER_POSSESSIVE_RE = re.compile(r"[ \t]*,[ \t]*(?i:(?:an?|the|our|their)[ \t]+(?:[\w-]+[ \t]+){0,3}"
                                        r"(?:home|house|hospital|hospice|shop|pub|caf[eé]|restaurant|bakery|farm|school"
                                        r"|hotel|practice|surgery|cent(?:re|er)|unit|ward|flat|street|road|lane|village)s?\b)"
                                        r"|[ \t]+[A-Z][a-z]+")


def drop_clinical_terms(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without the candidates that are part of a clinical term (above)."""
    low = text.lower()
    scales = any(noun in low for noun in SCALE_NOUNS)  # (a cheap test first: most notes name no scale)
    return [c for c in cands if not _clinical(text, c, scales)]


def _class_word(c: Cand, value: str) -> bool:
    """A place found by the city list ("Framingham 24%"), or a surname found alone that names a classification."""
    return c.rule != "dict-solo" or any(part.lower() in CLASS_EPONYMS for part in re.split(r"[-\s]+", value))


def _clinical(text: str, c: Cand, scales: bool = True) -> bool:
    if c.type == "DATE":  # "removed 3/4 of the way", "1/2 of the dose": a fraction, not a month and day
        frac = _FRACTION_RE.fullmatch(text, c.start, c.end)
        return frac is not None and int(frac["num"]) < int(frac["den"]) and _OF_RE.match(text, c.end) is not None
    if c.type in ("DEVICE", "ID"):
        return _KIT_LOT_RE.search(text, max(0, c.start - 40), c.start) is not None
    if c.type not in ("NAME", "LOCATION") or c.rule in _STRONG_RULES:
        return False
    value = text[c.start:c.end]
    if c.rule in _WEAK_RULES and _CLASS_WORD_AFTER_RE.match(text, c.end) and not (
            _DIABETES_TYPE_RE.match(text, c.end) and value.lower() not in CLASS_EPONYMS):
        return True  # "Mason type 2", "Hawkins type 3": a classification's class, named as such
    if c.rule in _WEAK_RULES and _POINTS_RE.match(text, c.end):
        return True  # "Hamilton 24 points": a score (a person's value has no points; "Jones 88%" has)
    if c.rule in _WEAK_RULES and _class_word(c, value) and (_CLASS_AFTER_RE.match(text, c.end) or (
            value == "Weber" and _CLASS_LETTER_RE.match(text, c.end)
            and _FRACTURE_BEFORE_RE.search(text, max(0, c.start - 40), c.start)) or (
            _SCORE_VALUE_RE.match(text, c.end) and not _PLACE_PREP_RE.search(text, max(0, c.start - 12), c.start))):
        return True  # "(Herbert B1)", "Weber B ankle", "Framingham 24%": a classification or a score
    if c.type == "LOCATION" and _GENERIC_STREET_RE.fullmatch(value) and _after_the(text, c.start):
        return True
    possessive = _POSSESSIVE_RE.fullmatch(value)
    if possessive and possessive.group(1).lower() in DISEASE_EPONYMS:
        return not _place_possessive(text, c.start, c.end)
    if _ANATOMY_OF_RE.search(text, max(0, c.start - 30), c.start):
        # one bare word ("circle of Willis"), not a person's full name nor theirs ("Body of Peter Grant released",
        # "Ring of Sarah Cole's husband")
        return (re.fullmatch(r"[^\W\d_]+", value) is not None and not re.match(r"['’]", text[c.end:c.end + 1])
                and _STREET_AFTER_RE.match(text, c.end) is None)  # "near the circle of Willis Road"
    line = text[text.rfind("\n", 0, c.start) + 1:c.start]
    if c.type == "LOCATION" and _TRIAGE_COLOUR_RE.match(text, c.end) and _TRIAGE_BEFORE_RE.search(line):
        return " " not in value  # "Manchester ORANGE", not "Leeds General Infirmary ORANGE"
    if not scales or _HOSPITAL_WORD_RE.search(value) or not scale_name_at(text, c.start, c.end,
                                                                           lower_ok=c.type == "LOCATION"):
        return False
    if c.type == "LOCATION" and _RESIDE_BEFORE_RE.search(text, max(0, c.start - 40), c.start):
        return False  # "Lives in Glasgow Coma Scale 15" (a full stop left out): the town is named first
    if c.type == "NAME" and _first_and_listed(text, c.start):
        return False  # "Karen Wells score 4": a first name and a listed surname before the scale word
    return c.rule not in _PERSON_CUE_RULES or _long_city_scale(text, c.start)


def _place_possessive(text: str, start: int, end: int) -> bool:
    """An eponym's possessive that names a place: after "lives at", "discharged to" or before ", a care home"."""
    return (_RESIDE_BEFORE_RE.search(text, max(0, start - 40), start) is not None
            or _PLACE_AFTER_POSSESSIVE_RE.match(text, end) is not None)


def _scale_words(text: str, start: int) -> list[str]:
    """The words of the scale's name at ``start`` up to its scale noun (``scale_name_at`` has found one)."""
    words = re.findall(_WORD, text[start:start + 90].split("\n", 1)[0])[:6]
    n_words = next((i + 1 for i, w in enumerate(words) if i and w.lower() in SCALE_NOUNS), len(words))
    return words[:n_words]


def _long_city_scale(text: str, start: int) -> bool:
    """After a person's cue, a scale of three words or more that starts with a listed city ("Mother: Edinburgh
    Postnatal Depression Scale"); "Patient: Paget Scale" or "Mother: Jane Edinburgh ..." is a person."""
    from meddx.deid import lexicon

    words = _scale_words(text, start)
    return len(words) >= 3 and any(" ".join(words[:k]) in lexicon.cities() for k in (1, 2, 3))


def _first_and_listed(text: str, start: int) -> bool:
    """The scale's name starts with a listed first name and a listed name ("Karen Wells score"; not "Ann Arbor")."""
    from meddx.deid import lexicon

    words = _scale_words(text, start)
    return len(words) >= 3 and words[0] in lexicon.first_names() and lexicon.is_listed(words[1])


def _after_the(text: str, start: int) -> bool:
    return re.search(r"(?i:\bthe)[ \t]+$", text[max(0, start - 6):start]) is not None


def scale_name_at(text: str, start: int, end: int, *, lower_ok: bool = False) -> bool:
    """A scale's name starts at ``start``: up to five words on the line, then a scale noun ("Edinburgh Postnatal
    Depression Scale", "Edinburgh PND scale", "Kansas City Cardiomyopathy Questionnaire"). The words between must
    be capitalised or acronyms, or with ``lower_ok`` (a place: no person is named "Ottawa ankle rules") any
    word but a function word. A candidate running on past the scale noun is some other thing's name ("Lakeside
    Assessment and Treatment Centre")."""
    words = list(re.finditer(_WORD, text[start:start + 90].split("\n", 1)[0]))
    if not words or words[0].start() != 0:
        return False
    for i, m in enumerate(words[:6]):
        low = m.group().lower()
        gap = text[start + words[i - 1].end():start + m.start()] if i else ""
        if i and not re.fullmatch(r"[ \t]+", gap):
            return False  # a comma or bracket ends the phrase
        if i and low in SCALE_NOUNS:
            return start + m.end() >= end and _PLACE_AFTER_RE.match(text, start + m.end()) is None
        if i and (low in _STOP or not (m.group()[0].isupper() or lower_ok)):
            return False
    return False
