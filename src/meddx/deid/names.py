"""Person names (patients, relatives, clinicians, employers) from context, dictionaries and
capitalisation.

Rules, strongest first: a title ("Dr.", "Mrs.") or a label ("Patient:", "Attending:", "cc:",
"seen by", "Sincerely,") or a relation word ("daughter", "husband") followed by capitalised
name-shaped words; a name-shaped run followed by "is a 67-year-old" / "reports" / "denies"; a
listed first name followed by a name-shaped word; a listed name alone (not one that is also an
ordinary word, "Will", "Hill"). ``detect`` then grows each name over adjacent capitalised words
and finds the other mentions of its words in the same document.

Eponyms: a known name followed by a disease/sign/test word ("Wilson disease", "Murphy sign",
"Allen test") is left alone; the surname list leaves out pure eponyms (Parkinson, Hodgkin,
Crohn, Graves); with a title or label ("Dr. Wilson") it is a name.

Weaker and style-specific cues (lower-case names, credentials, "Surname, Firstname", "Pt X Y",
a name before an age) are in ``meddx.deid.names_cues``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from meddx.deid import lexicon
from meddx.deid.letters import LOWER as _LOW
from meddx.deid.letters import MARKS, UNCASED
from meddx.deid.letters import UPPER as _UP
from meddx.deid.names_lines import caps_topic
from meddx.deid.names_roles import drop_roles
from meddx.deid.patterns import Cand

# (also "McDONALD", "MacLEOD": a Scottish or Irish prefix before a surname typed in capitals)
TOKEN = (rf"(?:Ma?c[{_UP}]{{2,}}(?![{_LOW}])"
         rf"|[{_UP}](?:[{_LOW}]+|['’][{_UP}][{_LOW}]+)(?:(?:-|['’](?![sS]\b))[{_UP}]?[{_LOW}]+|[{_UP}][{_LOW}]+)*)")
# (not the start of a mixed-case word: "MB" of "Pryce-Jones MBChB" is no name in capitals)
CAPS = rf"[{_UP}](?:[{_UP}]+|['’][{_UP}]+)(?:['’\-][{_UP}]+)*(?![{_LOW}{_UP}])"
INITIAL = rf"[{_UP}]\.?(?![{_UP}{_LOW}'’])"
# A word of a script without capitals ("王伟", "محمد"): name-shaped wherever a capitalised word is.
UNCASED_WORD = rf"[{UNCASED}][{UNCASED}{MARKS}]*"
PARTICLES = frozenset("de del della der den van von da di du le la bin al st. ter".split())
_PARTICLE = "(?i:" + "|".join(re.escape(p) for p in sorted(PARTICLES, key=len, reverse=True)) + r")(?=[ \t]+\w)"
_PIECE_RE = re.compile(rf"(?P<sep>[ \t]{{0,2}},[ \t]*|[ \t]{{1,2}}(?![ \t]))?(?P<tok>{_PARTICLE}|{TOKEN}|{CAPS}|{INITIAL}"
                       rf"|{UNCASED_WORD})")
TOKEN_RE = re.compile(rf"(?<![\w'’-])(?:{TOKEN}|{CAPS}|{UNCASED_WORD})(?![\w-])(?!['’](?![sS]\b))")

_TITLES = (r"(?:Dr|DR|Doctor|Mr|Mrs|MRS|Ms|Miss|Mx|Prof|Professor|Nurse|Reverend|Rev|Sister|Brother|Father|Pastor|Rabbi"
           r"|Dra|Sra|Srta|Sr(?=\.?[ \t]+[A-Z][a-z])"  # Spanish: doctora, señora, señorita; "Sr Adaeze Obi" (Sister)
           r"|Herr|Frau|Shri|Shrimati|Smt|Senhor|Senhora)")  # German, Indian, Portuguese letters (round 17)
# "MR. SMITH", "MS. JONES": upper-case Mr/Ms only with the full stop ("MR" alone is mitral regurgitation)
# and not after a number ("190 MS. THUS": milliseconds)
TITLE_RE = re.compile(rf"(?<![\w.])(?:(?:{_TITLES})\b\.?|(?<!\d )(?:MR|MS|MISS|MX|PROF)\.)[ \t]+")
_COLON_LABELS = (
    r"patient(?:'s)?\s+name|patient|pt\s+name|pt|name|full\s+name|attending(?:\s+physician)?|resident|fellow|intern"
    r"|covering|cross[- ]?cover|on[- ]call|(?:care|research|discharge|trauma|transplant)?\s*coordinator"
    r"|surgeon|assistant|assisting|anesthesiologist|anesthesia|physician|provider|pcp|primary\s+care(?:\s+(?:physician"
    r"|provider|doctor))?|referring(?:\s+(?:physician|provider|doctor|md))?|consultant|consulting\s+physician"
    r"|radiologist|interpreting\s+physician|reading\s+physician|author|nurse|rn|np|case\s+manager|social\s+worker"
    r"|therapist|pharmacist|midwife|chaplain|clinician|physio(?:therapist)?|case\s+management|health\s+visitor|dsn"
    r"|(?:district|practice|specialist)\s+nurse|interpreter|witness|informant|to|from|re|attn|cc|bcc|contact"
    r"|emergency\s+contact|nok|next\s+of\s+kin|health\s*care\s+proxy|hcp|guardian|caregiver|spouse|guarantor|insured"
    r"|policy\s*holder|responsible\s+party"
    r"|mother|father|son|daughter|husband|wife|parent|signature|signed|cosigned|dictated|transcribed|recipient"
    r"|pathologist|cytotechnologist|sonographer|technologist|operator|proceduralist"
    r"|(?:ordering|accepting|sending|admitting|performing)\s+(?:physician|provider|md|rn|nurse)|accepting|crew|medic"
    r"|paramedic|dentist|hygienist|optometrist|audiologist|psychologist|counsel+or|dietitian|nutritionist|proband"
    r"|claimant|client|student|employee|caller|teacher|adjuster|case\s+worker|caseworker|child|partner|carer"
    r"|(?:social|case|key)\s+worker\s+allocated"
    r"|(?:research\s+)?participant"
    r"|member|subscriber|enrollee|beneficiary|cardholder|paciente|nombre"
)
_PHRASE_LABELS = (
    r"(?:electronically\s+)?signed\s+by|cosigned\s+by|dictated\s+by|transcribed\s+by|reviewed\s+by|seen\s+by"
    r"|seen\s+with|evaluated\s+by|examined\s+by|discussed\s+with|spoke\s+with|d/w|performed\s+by|read\s+by"
    r"|interpreted\s+by|ordered\s+by|requested\s+by|authori[sz]ed\s+by|verified\s+by|collected\s+by|referred\s+by"
    r"|accompanied\s+by|lives\s+with|living\s+with|c/o|care\s+of|dear|cc"
    r"|sincerely|regards|respectfully|best\s+wishes|thank\s+you|yours\s+truly|covering\s+for|on\s+behalf\s+of"
    r"|hi|hello|(?:many\s+)?thanks|(?:submitted|prepared|completed|written|entered|documented|approved|witnessed"
    r"|translated|sent|faxed|called\s+in)\s+by|(?:consent|assent)\s+(?:was\s+)?obtained\s+(?:from|by)"
)
LABEL_RE = re.compile(
    rf"(?i:\b(?:(?:{_COLON_LABELS})[ \t]*:|(?:{_PHRASE_LABELS})\b[ \t]*[:,]?))[ \t]*(?:\r?\n[ \t]*){{0,2}}"
)
_RELATIONS = (r"(?:father|mother|dad|mom)\s+of\s+(?:the\s+)?(?:baby|infant|child)|fob|mob|widow(?:er)?\s+of\s+the\s+late"
              r"|widow(?:er)?|dtr|dau|hubby|sis|bro|grandma|grandpa|granny|grandad|granddad|stepdad|stepmom"
              r"|godmother|godfather|godson|goddaughter|godchild|grandnephew"  # (round 21b: godson...)
              r"|(?:son|daughter|brother|sister|mother|father)-in-law"
              r"|daughter|son|husband|wife|mother|father|brother|sister|spouse|partner|friend|neighbou?r|niece|nephew"
              r"|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather|caregiver|guardian|fianc[ée]e?"
              r"|boyfriend|girlfriend|roommate|proxy|sibling|stepson|stepdaughter|stepmother|stepfather|mom|dad|twin"
              r"|child|mum|mummy|mommy|daddy|auntie|aunty|stepbrother|stepsister|stepchild|grandchild|grandniece"
              r"|hija|hijo|esposa|esposo|madre|padre|hermana|hermano|abuela|abuelo|nieta|nieto|t[ií]a|t[ií]o")
RELATION_RE = re.compile(
    rf"(?i:\b(?:{_RELATIONS})\b(?!-)(?:'s\s+name\s+is)?)[ \t]*(?:\r?\n[ \t]*)?,?[ \t]*(?:\(|(?i:named|is|was|called)[ \t]+)?"
)
_PERSON_VERBS = (r"presents|presented|reports|reported|denies|denied|states|stated|complains|complained|endorses"
                 r"|endorsed|returns|returned|arrived|tolerated|underwent|ambulates|agrees|agreed|understands"
                 r"|smokes|drinks|lives|works|was\s+seen|was\s+admitted|was\s+discharged|is\s+an?|was\s+an?"
                 r"|here\s+(?:with|for|today)|is\s+here|comes\s+in|came\s+in|was\s+brought|joined")
# Verbs after which two unlisted name-shaped words are taken ("Bartholomew Quigley presents with").
_STRONG_VERB_RE = re.compile(r"(?:presents|presented|reports|reported|denies|denied|states|stated|complains|complained"
                             r"|endorses|endorsed|here\s|is\s+here|came\s+in|comes\s+in|was\s+brought|joined)")
# "X returns for follow-up" is a person ("Strep Screen returned positive" is a lab)
_RETURNS_FOR_RE = re.compile(r"[ \t]+(?:for|to|with|today)\b")
RIGHT_CTX_RE = re.compile(
    rf"(?<![\w'’-])(?P<name>(?:(?:{TOKEN}|{INITIAL})[ \t]+){{0,3}}{TOKEN})(?:['’]s)?,?[ \t]+(?P<verb>{_PERSON_VERBS})\b"
)


# An area of a department after a one-word label value: "Streamed to: Majors bay 12", "Moved to: Resus side"
_AREA_AFTER_RE = re.compile(r"[ \t]+(?:bay|bays|area|cubicle|cubicles|side|zone|stream|pod)\b")
LINE_START_RE = re.compile(r"(?m)^[ \t]*(?=\S)")
HEADER_FOLLOW_RE = re.compile(r"[ \t]*[,;(]?[ \t]*(?i:mrn|mr\s*#|dob|d\.o\.b|medical\s+record|date\s+of\s+birth"
                              r"|age\b(?=[ \t]*[:#]|[ \t]*\d)"  # "Age: 45", "age 45"; not "Bone age delayed"
                              r"|acct|employee\s*(?:id|#|no)|badge|ssn|member\s*(?:id|#)|(?-i:NHS|CHI)\b)"
                              r"|[ \t]+\d{1,3}[ \t]*(?:[FM]|yo|y/o|y\.o\.)(?![\w/])"
                              # "Amara Oduya-Fenn 15 mo, seen with dad": an infant's age (two words needed)
                              r"|(?P<young>[ \t]+\d{1,2}[ \t]*(?:mo|mos|months?|wk|wks|weeks?)(?:[ \t]+old)?"
                              r"(?=[ \t]*[,;]))")


def find_names(text: str) -> list[Cand]:
    """Names from titles, labels, relation words, person verbs and the name lists."""
    out: list[Cand] = []
    for m in TITLE_RE.finditer(text):
        if m.group()[:3] in ("MR.", "MS.") and not _caps_mr_name(text, m.start(), m.end()):
            continue  # "moderate MR. CHA2DS2-VASc 3", "mild MR. LA dilated": mitral regurgitation
        _add(out, text, _take_name(text, m.end(), caps_ok=True), "title", 56)
    for m in LABEL_RE.finditer(text):
        span = drop_roles(text, _take_name(text, m.end(), caps_ok=True))
        if span is not None and _SERVICE_WORDS.isdisjoint(text[span[0]:span[1]].title().split()) and not is_eponym_use(
                text, span[1]) and not (_AREA_AFTER_RE.match(text, span[1]) and " " not in text[span[0]:span[1]]) \
                and not (_VERB_FORM_RE.fullmatch(text, *span) and not lexicon.is_listed(text[span[0]:span[1]])) \
                and not _CAPS_ARTICLE_RE.fullmatch(text, *span) and not caps_topic(text, m, span):
            # "examined by Doppler echocardiography", "To: Utilization Management", "Streamed to: Majors bay 12"
            _add(out, text, span, "label", 55)
            for more in _label_list(text, span[1]):
                _add(out, text, more, "label", 55)
    for m in relation_matches(text):
        if "\n" in text[m.start():m.end()] and not re.search(r"[a-z]{2}", text[text.rfind("\n", 0, m.start()) + 1:m.start()]):
            continue  # "Mother\nLupus" in a family-history list, not "His daughter\nClaire"
        _add(out, text, _take_name(text, m.end(), caps_ok=False), "relation", 55)
    for m in LINE_START_RE.finditer(text):  # header line "Quonset, Xavi, MRN: ..."
        span = _take_name(text, m.end(), caps_ok=True)
        follow = HEADER_FOLLOW_RE.match(text, span[1]) if span is not None else None
        if follow and not (follow.group("young") and " " not in text[span[0]:span[1]]):  # "Synagis 2 mo," is a drug
            _add(out, text, span, "header", 55)
    for m in RIGHT_CTX_RE.finditer(text):
        strong = _STRONG_VERB_RE.match(m.group("verb")) is not None or (
            m.group("verb").startswith("return") and _RETURNS_FOR_RE.match(text, m.end()) is not None)
        span = _right_context_name(text, m.start("name"), m.end("name"), strong=strong)
        if span and not is_eponym_use(text, span[1]):
            _add(out, text, span, "person-verb", 54)
    out += _dictionary_names(text)
    return out


# "PERFORMED BY A GASTROINTESTINAL ENDOSCOPY ASSISTANT": in capitals the article "A" is no initial
_CAPS_ARTICLE_RE = re.compile(r"AN? [A-Z]{4,}")
# one unlisted word after a label shaped like a past participle is no name ("Mobilised", "Nurse-led", "Reviewed";
# not "Ahmed", "Saeed", "Fielding")
_VERB_FORM_RE = re.compile(r"[A-Z][a-z-]{2,}(?:ised|ized|ated|ewed|ked|ssed|ged|led|ted|red|ved|ped|hed)")
_VALVE_BEFORE_RE = re.compile(r"(?:\b(?i:mild|moderate|mod|severe|sev|trace|trivial|significant|torrential|functional"
                              r"|residual|worsening|new|chronic|acute)|\b(?:no|of|with|for|and|or)|\d\+)[ \t]+$")


# "Crew: D. Xu, L. Young", "cc: A. Ruiz; B. Okafor": after a label's first name, the next ones of the list when
# shaped like initials and a surname (the surname may be an ordinary word after an initial: "L. Young"), also after
# a role in brackets ("Crew: J. Okoro (P), M. Lindgren (EMT-B)")
_LIST_INITIAL_RE = re.compile(rf"[ \t]*(?:\([^()\n]{{1,40}}\)[ \t]*)?(?:[,;&/]|and)[ \t]*"
                              rf"(?P<name>(?:[{_UP}]\.[ \t]?){{1,2}}(?P<last>{TOKEN}))"
                              rf"(?![\w'’-])")


def _label_list(text: str, end: int) -> list[tuple[int, int]]:
    """The further "X. Surname" names of a list that starts with a label's name, up to 6."""
    out: list[tuple[int, int]] = []
    for _ in range(6):
        m = _LIST_INITIAL_RE.match(text, end)
        if m is None or m.group("last").lower() in _SENTENCE_STARTS or is_eponym_use(text, m.end()):
            break
        out.append((m.start("name"), m.end("name")))
        end = m.end()
    return out


# After a label, words that address a service or a reader, never a person: "To: Utilization Management",
# "From: Utilization Review", "Dear Colleague", "Attn: Prior Authorization Department"; departments too, since
# "consent obtained by" is a label: "consent obtained by Anesthesia", "... by Interventional Radiology"
_SERVICE_WORDS = frozenset("""Management Review Department Dept Services Service Team Office Committee Desk Billing
Admissions Records Authorization Authorisation Colleague Colleagues Sir Madam Sirs Whom Utilization Utilisation
Appeals Intake Scheduling
Anesthesia Anaesthesia Anesthesiology Anaesthesiology Surgery Surgical Neurosurgery Interventional Palliative Endoscopy
Ophthalmology Transplant Ent Icu Hospitalist Hospitalists Medicine Nursing Emergency Oncology Cardiology Radiology
Urology Pediatrics Paediatrics Obstetrics Gynecology Gynaecology Orthopedics Orthopaedics Neurology Psychiatry
Dermatology Nephrology Gastroenterology Pulmonology Rheumatology Endocrinology Hematology Haematology
Cath Lab""".split())
_SENTENCE_STARTS = frozenset("the a an he she it they we this that his her pt patient no not then and but".split())


def _caps_mr_name(text: str, start: int, end: int) -> bool:
    """Upper-case "MR."/"MS." is a title only before an upper-case word ("MR. LOPEZ") and not after
    a grade or a list word ("moderate MR. LA dilated", "AS and MR. EF 35%")."""
    return (re.match(r"[A-Z][A-Z'’-]+(?![\w])", text[end:end + 40]) is not None
            and not _VALVE_BEFORE_RE.search(text, max(0, start - 24), start))


@lru_cache(maxsize=4)
def relation_matches(text: str) -> tuple[re.Match[str], ...]:
    """``RELATION_RE`` matches of ``text`` (shared by ``find_names`` and ``names_cues``)."""
    return tuple(RELATION_RE.finditer(text))


def _add(out: list[Cand], text: str, span: tuple[int, int] | None, rule: str, priority: int) -> None:
    if span is not None:
        out.append(Cand(span[0], span[1], "NAME", rule, priority))


_UNCASED_RE = re.compile(UNCASED_WORD)


def name_like(token: str, caps_ok: bool = True) -> bool:
    """Could ``token`` be part of a name: a listed name, or capitalised and not a common word."""
    bare = token.rstrip(".")
    if len(bare) == 1:
        return bare.isupper()
    title = bare if not bare.isupper() else bare.title()
    if bare.isupper() and not caps_ok:
        return False
    if title in lexicon.first_names() or title in lexicon.surnames():
        return True
    if _UNCASED_RE.fullmatch(bare):
        return True
    return bare[0].isupper() and bare.lower() not in lexicon.common_words()


_ENGLISH_END_RE = re.compile(
    r"(?:ed|ing|ly|tion|sion|ment|ness|nce|ncy|ous|ive|ful|less|able|ible|ity|ism|ics|ogy|al|ward|wise|emia|itis|osis"
    r"|pathy|therapy|ache|algia|plasty|ectomy|otomy|scopy|gram|graphy|iasis|trophy|plegia|uria|rrhea|cyte|ase|['’]s)$")


def english_looking(word: str) -> bool:
    """A word shaped like English vocabulary: an inflection or a derivational/medical suffix, or a
    plural ("Services", "updated", "melanoma"; "Silas" and "Tobias" pass)."""
    low = word.lower().rstrip(".")
    if _ENGLISH_END_RE.search(low):
        return True
    return low.endswith("s") and not re.search(r"[aiou]s$", low) or bool(re.search(r"(?:sis|tis|ous|us)$", low))


def cap_name_ok(word: str) -> bool:
    """A capitalised word for the weaker cues: ``name_like`` and, unless listed, not English-looking."""
    bare = word.rstrip(".")
    if len(bare) == 1:
        return bare.isupper()
    if not name_like(bare, caps_ok=False):
        return False
    return lexicon.is_listed(bare, parts=True) or not english_looking(bare)


def lower_name_ok(word: str, *, listed_only: bool = False, found: bool = False) -> bool:
    """A lower-case word that may be a name ("ingrid", "o'neill"): a listed name, or (unless
    ``listed_only``) a word with a vowel that is neither common nor English-looking. A word of a
    name already ``found`` in the document may look English ("vance", "kettering"): the
    document has shown it is a name."""
    low = word.lower()
    if not re.fullmatch(rf"[{_LOW}]+(?:['’-][{_LOW}]+)*", low) or low in lexicon.common_words():
        return False
    if low.title() in lexicon.AMBIGUOUS:
        return False
    if lexicon.is_listed(low, parts=True):
        return True
    return (not listed_only and len(low) >= 3 and bool(re.search("[aeiouy]", low))
            and (found or not english_looking(low)))


def _take_name(text: str, pos: int, *, caps_ok: bool) -> tuple[int, int] | None:
    """The name that starts at ``pos`` ("Xavi J. Quonset", "QUONSET, XAVI", "de la Cruz, Ana")."""
    pieces: list[tuple[int, int, str]] = []
    i, comma_used = pos, False
    while len(pieces) < 5:
        m = _PIECE_RE.match(text, i)
        if m is None:
            break
        sep, tok = m.group("sep") or "", m.group("tok")
        if (pieces and not sep) or (not pieces and sep):
            break
        kind = "particle" if tok.lower() in PARTICLES else ("initial" if len(tok.rstrip(".")) == 1 else "word")
        if "," in sep:
            words = sum(k == "word" for _, _, k in pieces)
            # "Surname, First" only: "Dr A Whitlock, Castle Street ..." ends at the comma
            if comma_used or words != 1 or kind != "word" or not name_like(tok, caps_ok) or any(
                    k == "initial" for _, _, k in pieces):
                break
            comma_used = True
        if kind != "particle" and not name_like(tok, caps_ok) and not (not pieces and _place_first_name(text, m, caps_ok)):
            break
        pieces.append((m.start("tok"), m.end("tok"), kind))
        i = m.end()
    while pieces and pieces[-1][2] == "particle":
        pieces.pop()
    if not any(kind == "word" for _, _, kind in pieces):
        return None
    return pieces[0][0], pieces[-1][1]


def _place_first_name(text: str, m: re.Match[str], caps_ok: bool) -> bool:
    """A first name that is also a place ("Georgia", "Virginia", "Florence") or a month or word ("June", "April",
    "Grace": ``lexicon.AMBIGUOUS``), taken when a surname follows ("Wife June Fairclough")."""
    tok = m.group("tok")
    title = tok.title() if tok.isupper() else tok
    if not (title in lexicon.STATE_NAMES or title in lexicon.cities() or title in lexicon.COUNTRIES
            or title in lexicon.AMBIGUOUS):
        return False
    nxt = _PIECE_RE.match(text, m.end())
    return bool(nxt and nxt.group("sep") and "," not in nxt.group("sep") and len(nxt.group("tok")) > 1
                and name_like(nxt.group("tok"), caps_ok) and nxt.group("tok").lower() not in lexicon.common_words()
                and not english_looking(nxt.group("tok")))  # "CALIFORNIA ENCEPHALITIS" is no person


def _right_context_name(text: str, start: int, end: int, *, strong: bool = False) -> tuple[int, int] | None:
    """Drop leading common words ("Patient Xavi Quonset is a ..." -> "Xavi Quonset"). A listed
    name, "is a 67-year-old" after it, or (``strong`` verb) two unlisted name-shaped words."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    while words and not name_like(text[words[0][0]:words[0][1]], caps_ok=False):
        words.pop(0)
    if not words or any(not name_like(text[s:e], caps_ok=False) for s, e in words):
        return None
    names = [text[s:e] for s, e in words]
    if len(names) == 1 and names[0] in lexicon.AMBIGUOUS:
        return None
    listed = any(lexicon.is_listed(n, parts=True) and n not in lexicon.AMBIGUOUS for n in names)
    unlisted_ok = strong and len(names) >= 2 and all(cap_name_ok(n) for n in names)
    if not listed and not unlisted_ok and not _AGE_AFTER_RE.match(text, end):
        return None  # "Recent reports", "Bleeding was": a listed name or "is a 67-year-old" is required
    return words[0][0], words[-1][1]


_AGE_AFTER_RE = re.compile(r"(?:['’]s)?,?[ \t]+(?:is|was)[ \t]+an?[ \t]+(?:\d{1,3}|[a-z]+(?:-[a-z]+)?)[ \t-]*"
                           r"(?:years?|yo\b|y/o|y\.o\.|months?)"  # "Latoya Granger is a 44 y.o. F"
                           r"|,[ \t]+an?[ \t]+\d{1,3}[ \t-]*(?:years?|yo\b|y/o|y\.o\.)")


def _title(word: str) -> str:
    return word.title() if word.isupper() else word


def is_eponym_use(text: str, end: int) -> bool:
    """True when the word ending at ``end`` names a disease/sign/test ("Wilson disease",
    "Bell's palsy", "Guillain-Barré syndrome")."""
    # one space or a line break: "Arceneaux   Study ID:" (a header's next field) is no "Arceneaux study"
    m = re.match(rf"(?:['’]s)?(?:[-–][{_UP}][\w'’-]*)?(?:[ \t]?\r?\n[ \t]*|[ \t])([A-Za-z]+)", text[end:end + 40])
    if m and m.group(1) == "type" and _DIABETES_TYPE_RE.match(text, end + m.end()):
        return False  # "Patel type 2 DM": the person's diabetes (no eponymous type of diabetes is written so)
    # an operation named after its surgeons: "Ivor Lewis esophagectomy", "Nissen fundoplication"
    return bool(m) and (m.group(1).lower() in lexicon.EPONYM_NEXT or _OPERATION_RE.search(m.group(1).lower()) is not None)


# " 2 DM", " 1 diabetes" after "type" (also read by ``clinical_terms``: "Patel type 2 DM" is no class)
DIABETES_AFTER_TYPE = r"[ \t]+(?:[12]|I{1,2})[ \t]+(?:DM|T[12]DM|(?i:diabet(?:es|ic)|mellitus))(?![\w'’-])"
_DIABETES_TYPE_RE = re.compile(DIABETES_AFTER_TYPE)
_OPERATION_RE = re.compile(r"(?:ectomy|otomy|ostomy|plasty|plication|pexy|rrhaphy|desis)$")


def _dictionary_names(text: str) -> list[Cand]:
    """First name + name-shaped word, "Surname, First", and unambiguous listed names alone."""
    first, last, common = lexicon.first_names(), lexicon.surnames(), lexicon.common_words()
    out: list[Cand] = []
    tokens = list(TOKEN_RE.finditer(text))
    for idx, m in enumerate(tokens):
        word = m.group()
        title = word.title() if word.isupper() else word
        if word.isupper() and len(word) < 3:
            continue
        nxt = tokens[idx + 1] if idx + 1 < len(tokens) else None
        gap = text[m.end():nxt.start()] if nxt else ""
        if title in first and nxt is not None and _pair_gap(gap):
            other = nxt.group()
            other_title = other.title() if other.isupper() else other
            good = other_title in last if (word in lexicon.AMBIGUOUS or word.isupper()) else (
                other_title in last or name_like(other, caps_ok=False))
            if good and other_title.lower() not in common and other.lower() not in lexicon.EPONYM_NEXT \
                    and not is_eponym_use(text, nxt.end()):  # "Herbert Protocol form": a named procedure
                out.append(Cand(m.start(), nxt.end(), "NAME", "dict-pair", 48))
                continue
        if title in last and nxt is not None and re.fullmatch(r"[ \t]*,[ \t]*", gap):
            other = nxt.group()
            if (other.title() if other.isupper() else other) in first:
                out.append(Cand(m.start(), nxt.end(), "NAME", "dict-pair", 48))
                continue
        if word.isupper() or word in lexicon.AMBIGUOUS or word.lower() in common:
            continue
        if (title in first or title in last) and not is_eponym_use(text, m.end()):
            out.append(Cand(m.start(), m.end(), "NAME", "dict-solo", 40))
    return out


def _pair_gap(gap: str) -> bool:
    """A single space, or a middle initial between two name words ("John Q. Public")."""
    return bool(re.fullmatch(rf"[ \t]+(?:[{_UP}]\.?[ \t]+)?", gap))
