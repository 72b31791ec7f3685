"""Names from cues that real notes use and the strong rules in ``names`` miss: lower-case names
after a person cue ("pt john o'neill", "wife ingrid", "dtr kirsten called"), signatures with a
credential ("A. Mbeki, PA-C", "-- dana, rn"), "Pt Eleanor Vance-Whitaker", "Surname, Firstname"
with one part listed ("Ng, Henry reports"), "named Abena" / "goes by", a name before an age
("Camille Lefebvre, 41, visiting") and lower-case header lines ("bakker, femke  45F").

A lower-case word is taken only after such a cue and only when it is a listed name or has a vowel
and is neither a common word nor English-looking (inflections, derivational and medical suffixes,
plurals): after a relation word an unlisted one also needs a verb or a preposition after it
("dtr kirsten called", not "uncle colon ca" or "husband angry."). Lower-case "dr"/"mrs." count as
titles ("paged dr nwosu"), roles as titles too ("caseworker Latoya Briggs", "RN Kelsey").
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import (
    _LOW,
    CAPS,
    HEADER_FOLLOW_RE,
    INITIAL,
    RIGHT_CTX_RE,
    _PERSON_VERBS,
    TOKEN,
    _take_name,
    cap_name_ok,
    english_looking,
    is_eponym_use,
    lower_name_ok,
    name_like,
    relation_matches,
)
from meddx.deid.names_calls import bare_title_name
from meddx.deid.patterns import Cand

_LW = rf"[{_LOW}]+(?:['’-][{_LOW}]+)*"
_LOWER_WORD_RE = re.compile(rf"[ \t]+({_LW})(?![\w'’-])")
_PT_RE = re.compile(r"(?i:\b(?:pt|patient|resident|client))\b(?![:'’.-])[ \t]+")
_PERSON_LABEL_RE = re.compile(
    r"(?i:\b(?:patient(?:'s)?\s+name|pt\s+name|name|full\s+name|patient|pt|caller|emergency\s+contact|nok"
    r"|next\s+of\s+kin|hcp|guardian|caregiver|spouse|signed|signature|nurse|rn|attending|pcp)[ \t]*:)"
)
_NAMED_RE = re.compile(r"(?i:\b(?:(?:to\s+be\s+|is\s+|was\s+|be\s+)?(?:named|nicknamed)|goes\s+by"
                       r"|prefers\s+to\s+be\s+called|a\.?k\.?a\.?))[ \t]+[\"“'‘]?|(?i:\bprefers)[ \t]+[\"“'‘]")
# "RN Kelsey", "caseworker Latoya Briggs", "Fr. Okonjo": a role or credential used as a title
_CRED_TITLE_RE = re.compile(r"(?<![\w-])(?:RN|LPN|NP|CNA|PA-C|SW|CM|Fr\.|(?i:case\s*worker|social\s+worker|chaplain"
                            r"|interpreter|translator|dietitian|pharmacist|coordinator|navigator|counsel+or|advocate"
                            r"|therapist|aide|doula|midwife|priest|pastor|rabbi|imam|case\s+manager|care\s+manager"
                            r"|adjuster|teacher|paramedic|technologist|sonographer|hygienist|witness"
                            r"|officer|deputy|detective|trooper"
                            r"|(?:dog|pet|animal|home|property)\s+owner|landlord|landlady|babysitter|nanny))"
                            rf"(?:[ \t]+|[ \t]*\r?\n[ \t]*)(?={TOKEN})")  # any script: "interpreter Kübra"
# "paged dr nwosu", "ms. achebe", "seen by Dr. smith", "Mr o'sullivan's bloods": a lower-case name after a title
# (without a full stop only when capitalised: "mr" and "ms" are mitral regurgitation and multiple sclerosis)
_LOWER_TITLE_RE = re.compile(r"(?<![\w.-])(?<!the )(?<!dq )(?:[dD]r\.?|[mM]rs\.|[mM]r\.|[mM]s\.|Mrs|Mr|Ms|Miss)[ \t]+"
                             r"(?=[a-z])")
# "sons Aaron and Eli", "daughters Mia, Zoe and Leah"
_PLURAL_REL_RE = re.compile(r"(?i:\b(?:sons|daughters|brothers|sisters|children|kids|grandchildren|grandsons"
                            r"|granddaughters|parents|siblings))[ \t]+\(?|(?i:\b(?:two|three|four|five|six|\d)[ \t]+"
                            r"(?:sons|daughters|brothers|sisters|children|kids|grandchildren))[ \t]*,[ \t]*")  # "two children, Milo"
_LIST_NEXT_RE = re.compile(rf"(?:[ \t]*,[ \t]*|[ \t]+and[ \t]+|[ \t]*&[ \t]*)(?={TOKEN})")
_CREDS = (r"M\.?D\.?|D\.?O\.?|R\.?N\.?|BSN|MSN|N\.?P\.?|FNP(?:-[A-Z]{1,2})?|ANP|AGNP|APRN|CNM|CRNA|CNS|PA-C|PA|PharmD"
          r"|RPh|LCSW|LICSW|LMSW|MSW|LPN|LVN|CNA|CMA|MA|DNP|DPT|OTR(?:/L)?|SLP|CCC-SLP|RDN?|CDCES|CDE|RRT|EMT(?:-P)?"
          r"|PhD|PsyD|DDS|DMD|DPM|MBBS|MBChB|MRCP|FRCP|FACP|FACS|FACC|MPH|CCRN|LMFT|LPC|LMHC|BCBA|IBCLC")
CRED_RE = re.compile(rf",[ \t]*(?:{_CREDS})(?![\w-])|(?<=[{_LOW}])[ \t]+(?:{_CREDS})(?![\w-])")
_BEFORE_CRED_RE = re.compile(rf"(?<![\w'’.])(?<!\w-)((?:(?:{TOKEN}|{INITIAL}|{CAPS})[ \t]+){{0,3}}(?:{TOKEN}|{CAPS}))$")
_LOWER_SIG_RE = re.compile(
    rf"(?m)(?:^|--|—|(?<=\s)-)[ \t]*(?P<name>{_LW}(?:[ \t]+{_LW})?),[ \t]*(?i:rn|lpn|lvn|cna|np|md|do|pa-c|pa|lcsw"
    rf"|msw|pharmd|slp|rd|rrt|cma|ma)\b"
)
_ZIP_AFTER_RE = re.compile(r"[ \t]+\d{5}(?:-\d{4})?(?!\d)")
PAIR_RE = re.compile(rf"(?<![\w'’-])(?P<a>{TOKEN}|{CAPS})[ \t]*,[ \t]*(?P<b>{TOKEN}|{CAPS})(?![\w'’-])")
_AGE_TAIL = (r",[ \t]*(?:age[ \t]*|aged[ \t]*)?\d{1,3}(?:[ \t]*(?:[,;]|y/?o\b|yo\b|y\.o\.|[FM]\b|years?\b|-year|yrs?\b"
             r"|(?P<young>mos?\b|months?\b|wks?\b|weeks?\b)[ \t]*(?:old)?,))")
_AGE_TAIL_RE = re.compile(_AGE_TAIL)
# "Daniel Okafor-Reid, 27. Section 2 MHA": a name that starts its line, then an age and a full stop
_AGE_DOT_TAIL_RE = re.compile(r",[ \t]*\d{1,3}\.(?=[ \t]+[A-Z]|[ \t]*$)", re.M)
# searched backwards from an age tail: the name that ends there
NAME_BEFORE_RE = re.compile(rf"(?<![\w'’-])(?P<name>(?:(?:{TOKEN}|{INITIAL})[ \t]+){{0,3}}{TOKEN})$")
_LOWER_NAME_BEFORE_RE = re.compile(rf"(?:\A|(?<=\n)|(?<=:))[ \t]*(?P<name>{_LW}(?:[ \t]+{_LW}){{1,2}})$")
_LOWER_HEADER_RE = re.compile(
    rf"(?m)^[ \t]*(?P<a>{_LW}),[ \t]*(?P<b>{_LW})(?=[ \t]+\d{{1,3}}[ \t]*(?:[FfMm]\b|y/?o\b|yo\b|years?\b)"
    rf"|[ \t]*[,;(]?[ \t]*(?i:mrn|dob|d\.o\.b)\b)"
)
_PERSON_VERB_AFTER_RE = re.compile(rf"[ \t]+(?:{_PERSON_VERBS})\b")
_PAST_VERB_RE = re.compile(r"[ \t]+[a-z]{3,}ed\b")
_LOWER_AGE_RE = re.compile(r"(?<=[a-z])[ \t]+(?:is|was)[ \t]+an?[ \t]+\d{1,3}[ \t-]*(?:years?|yo\b|y/o|y\.o\.)")
_LOWER_RUN_RE = re.compile(rf"(?:(?<=^)|(?<=[\s(,;:]))((?:{_LW}[ \t]+){{0,2}}{_LW})$")
_LOWER_RELATION_RE = re.compile(
    r"(?i:wife|husband|hubby|son|daughter|dtr|dau|mother|father|mom|dad|brother|sister|sis|bro|spouse|partner|boyfriend"
    r"|girlfriend|fianc[ée]e?|niece|nephew|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather|grandma"
    r"|grandpa|friend|neighbou?r|caregiver|(?:son|daughter|brother|sister)-in-law)[ \t]+")
_PAREN_LOWER_RE = re.compile(rf"({_LW})\)")
_CAPS_NAME_RE = re.compile(rf"({CAPS})(?:[ \t]+({CAPS}))?")
# "Rm 514 - feldman, ruth - 94F", "okonkwo - 67M", "bakker, femke  45F": a name before age and sex
_AGE_SEX = r"(?:[ \t]+[-–,(]?|[ \t]*[,(]|[ \t]*[-–][ \t])[ \t]*\d{1,3}[ \t]*(?:[FM]|yo|y/o|y\.o\.)(?![\w/])"
_AGE_SEX_RE = re.compile(_AGE_SEX)
_AGE_SEX_NAME_RE = re.compile(
    rf"(?:\A|(?<=\n)|(?<=[-–:|][ \t])|(?<=[-–:|]))[ \t]*(?P<name>(?:{_LW}|{TOKEN}|{CAPS})(?:[ \t]*,[ \t]*(?:{_LW}|{TOKEN}"
    rf"|{CAPS}))?(?:[ \t]+(?:{_LW}|{TOKEN}))?)$")
# "Dictated by: smithj", "signed by jdoe2", "User: kpatel": a login name after an author label
_USER_ID_RE = re.compile(r"(?i:\b(?:(?:dictated|transcribed|(?:electronically\s+)?signed|cosigned|entered|documented"
                         r"|authored|prepared)\s+by|user(?:\s*name|\s*id)?|login"
                         r"|author))[ \t]*:?[ \t]*\(?(?P<u>[a-z][a-z0-9._-]{2,19}[a-z0-9])(?![\w@-])(?!\.\w)")
_SELF_RE = re.compile(r"(?i:\b(?:this\s+is|my\s+name\s+is|i\s+am|i['’]m))[ \t]+")
# After a relation word, an unlisted lower-case word is a name only before a verb or a preposition
# ("dtr kirsten called", "son tomasz at 16 elm ct"), not before punctuation ("husband angry.").
_CONTINUE_RE = re.compile(r"(?:[ \t]+|[ \t]*\r?\n[ \t]*)(?:is|was|will|would|can|could|and|who|has|had|here|also|at|with"
                          r"|in|on|to|from|went|came|left|took|brought|drove|said|told|got|gave|made|saw|felt|kept"
                          r"|[a-z]+ed|[a-z]+s)(?![\w'’-])")


def find_cue_names(text: str) -> list[Cand]:
    """Names from the cues above, as ``Cand``s of type NAME."""
    out: list[Cand] = []
    for m in _PT_RE.finditer(text):
        span = _after_pt(text, m.end())
        if span:
            out.append(Cand(span[0], span[1], "NAME", "pt-prefix", 54))
    for m in _PERSON_LABEL_RE.finditer(text):
        words = _lower_words(text, m.end(), 3)
        if words and (lexicon.is_listed(_w(text, words[0])) or len(words) >= 2):
            out.append(Cand(words[0][0], words[-1][1], "NAME", "label", 55))
    for m in relation_matches(text):
        span = _after_relation(text, m.start(), m.end())
        if span:
            out.append(Cand(span[0], span[1], "NAME", "relation", 55))
    low = text.lower()
    for m in (_NAMED_RE.finditer(text) if any(w in low for w in ("named", "goes by", "prefers", "a.k.a", "aka")) else ()):
        span = _take_name(text, m.end(), caps_ok=False)
        if span and all(cap_name_ok(w) for w in text[span[0]:span[1]].split()) and not is_eponym_use(text, span[1]):
            out.append(Cand(span[0], span[1], "NAME", "named", 55))
    for m in _CRED_TITLE_RE.finditer(text):
        if m.group().startswith("Fr.") and re.search(r"\d[ \t]*$", text[max(0, m.start() - 4):m.start()]):
            continue  # "16 Fr. Foley": French gauge
        span = _take_name(text, m.end(), caps_ok=False)
        words = text[span[0]:span[1]].split() if span else []
        short = m.group().strip() in ("RN", "LPN", "NP", "CNA", "PA-C", "SW", "CM", "Fr.")
        if "\n" in m.group() and (short or not re.search(r"[a-z]", text[text.rfind("\n", 0, m.start()) + 1:m.start()])):
            continue  # "coordinator\nSaoirse Mulcahy" after running text, not "PA-C\nAnesthesia:" or a heading
        # "Chaplain Hope", "officer Grace Baker": after a person's role, names that are words (AMBIGUOUS) too
        word_names = bool(words) and all(w.rstrip(".,") in lexicon.AMBIGUOUS for w in words)
        if words and (names_ok(words) or word_names) and not is_eponym_use(text, span[1]) and (
                short or len(words) >= 2 or lexicon.is_listed(words[0]) or word_names):
            out.append(Cand(span[0], span[1], "NAME", "title", 55))
    for m in _LOWER_TITLE_RE.finditer(text):
        if m.group().rstrip() in ("Mr", "Ms", "Mrs", "Miss") and not bare_title_name(text, m.end()):
            continue  # "34,000 Mr form", "high Mr isoform": relative molecular mass, not "Mr o'sullivan"
        words = _lower_words(text, m.end() - 1, 2)
        first = _LOWER_WORD_RE.match(text, m.end() - 1)
        if not words and first and not m.group().lower().startswith("ms") and _plural_shaped_name(first.group(1)):
            words = [first.span(1)]  # "w/ Dr hargreaves": after "Dr"/"Mr."/"Mrs." a surname may look like a plural
        if words:
            out.append(Cand(words[0][0], words[-1][1], "NAME", "title", 55))
    for m in (_PLURAL_REL_RE.finditer(text) if re.search(r"(?:son|ter|her|ren|ids|nts|ngs)s?\b", low) else ()):
        out += _name_list(text, m.end())
    out += _credential_names(text)
    out += _pairs(text)
    for tail in _AGE_TAIL_RE.finditer(text):  # "Camille Lefebvre, 41, visiting"; "seen today: priya desai, 36,"
        lm = _LOWER_NAME_BEFORE_RE.search(text, max(0, tail.start() - 60), tail.start())
        if lm and all(lower_name_ok(w) for w in lm.group("name").split()):
            out.append(Cand(lm.start("name"), lm.end("name"), "NAME", "name-age", 54))
        m = NAME_BEFORE_RE.search(text, max(0, tail.start() - 80), tail.start())
        span = _strip_to_names(text, m.start("name"), m.end("name")) if m else None
        if span:
            out.append(Cand(span[0], span[1], "NAME", "name-age", 54))
        elif m and tail.group("young") and _alone_at_line_start(text, m.start("name"), m.end("name")) and (
                lexicon.is_listed(m.group("name")) or _CHILD_VISIT_RE.match(text, tail.end())):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "name-age", 54))  # "Amara, 6 mo, here with mom"
    for tail in _AGE_DOT_TAIL_RE.finditer(text):
        m = NAME_BEFORE_RE.search(text, max(0, tail.start() - 80), tail.start())
        span = _strip_to_names(text, m.start("name"), m.end("name")) if m else None
        if span and span[0] == m.start("name") and not text[text.rfind("\n", 0, span[0]) + 1:span[0]].strip():
            out.append(Cand(span[0], span[1], "NAME", "name-age", 54))
    for m in _LOWER_AGE_RE.finditer(text):  # "jamal reed is a 27yo man"
        span = _lower_run_before(text, m.start())
        if span:
            out.append(Cand(span[0], span[1], "NAME", "person-verb", 54))
    for m in _LOWER_HEADER_RE.finditer(text):
        if lower_name_ok(m.group("a")) and lower_name_ok(m.group("b")):
            out.append(Cand(m.start("a"), m.end("b"), "NAME", "header", 55))
    for tail in _AGE_SEX_RE.finditer(text):
        m = _AGE_SEX_NAME_RE.search(text, max(0, tail.start() - 60), tail.start())
        if m is None:
            continue
        words = re.findall(r"[^\s,]+", m.group("name"))
        if len(words) == 1 and words[0].isupper() and len(words[0]) <= 4 and not lexicon.is_listed(words[0].title()):
            continue  # "Donor: DBD, 41 y/o": an acronym (brain-death donor), not a name
        if all(lower_name_ok(w) if w.islower() else (cap_name_ok(w) or (w.isupper() and name_like(w))) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "header", 55))
    for m in _USER_ID_RE.finditer(text):
        user = m.group("u")
        shaped = any(c.isdigit() or c in "._" for c in user)  # "jdoe2", "j.smith"
        alone = ":" in text[m.start():m.start("u")] or re.match(r"[ \t)]*(?:\r?\n|$)", text[m.end():]) or (
            len(user) >= 6 and re.match(r"\.[ \t]*(?:\r?\n|$)", text[m.end():]))  # "Dictated by tokaforl." at the end
        if user.lower() not in lexicon.common_words() and (shaped or (alone and not english_looking(user))):
            out.append(Cand(m.start("u"), m.end("u"), "NAME", "user-id", 55))
    selfish = ("this is" in low or "my name" in low or "i am" in low or "i'm" in low or "i’m" in low)
    for m in (_SELF_RE.finditer(text) if selfish else ()):  # "this is Grace Otieno", "my name is ..."
        span = _take_name(text, m.end(), caps_ok=False)
        words = text[span[0]:span[1]].split() if span else []
        if words and all(cap_name_ok(w) for w in words) and (len(words) >= 2 or lexicon.is_listed(words[0])):
            out.append(Cand(span[0], span[1], "NAME", "named", 55))
    return out


_CHILD_VISIT_RE = re.compile(r"[ \t]*(?i:here|seen|brought|presents|accompanied|with[ \t]+(?:mom|dad|mother|father|parents?"
                             r"|grand\w+|foster))\b")


def _alone_at_line_start(text: str, start: int, end: int) -> bool:
    """One name-shaped word, not English-looking, that starts its line (an infant's first name)."""
    word = text[start:end]
    line_start = text.rfind("\n", 0, start) + 1
    return (" " not in word and not text[line_start:start].strip() and cap_name_ok(word) and not english_looking(word)
            and not any(part.lower() in lexicon.common_words() for part in word.split("-")))


def names_ok(words: list[str], *, surname_free: bool = False) -> bool:
    """Every word passes ``cap_name_ok``; a last word may be a surname in -s ("Latoya Briggs").

    With ``surname_free`` (after "Pt"/"Patient"), a last word that fails only for looking like
    English ("Vance", "Kettering", "Florence") passes after first words that pass and do not look
    English themselves: "Pt Eleanor Vance" is a name, "Pt Denied Chest" is not."""
    if len(words) >= 2 and cap_name_ok(words[0]) and words[-1].endswith("s") and cap_name_ok(words[-1][:-1]):
        words = words[:-1]
    if bool(words) and all(cap_name_ok(w) for w in words):
        return True
    last = words[-1].rstrip(".") if words else ""
    return (surname_free and len(words) >= 2 and all(cap_name_ok(w) and not english_looking(w) for w in words[:-1])
            and name_like(last, caps_ok=False) and last.lower() not in lexicon.common_words())


def _w(text: str, span: tuple[int, int]) -> str:
    return text[span[0]:span[1]]


def _plural_shaped_name(word: str) -> bool:
    """"hargreaves", "reyes": a word that looks English only by its final -s and is no plural of a common
    word ("appointments", "visits")."""
    common = lexicon.common_words()
    return (word.endswith("s") and lower_name_ok(word, found=True) and word[:-1] not in common
            and word[:-2] not in common and not english_looking(word[:-1]))


def _lower_words(text: str, pos: int, limit: int) -> list[tuple[int, int]]:
    """Up to ``limit`` lower-case name-like words from ``pos`` (each after spaces)."""
    words: list[tuple[int, int]] = []
    while len(words) < limit:
        m = _LOWER_WORD_RE.match(text, pos)
        if m is None or not lower_name_ok(m.group(1)):
            break
        words.append((m.start(1), m.end(1)))
        pos = m.end(1)
    return words


def _lower_run_before(text: str, end: int) -> tuple[int, int] | None:
    """Lower-case name words ending at ``end``, at least one of them a listed name."""
    m = _LOWER_RUN_RE.search(text, max(0, end - 60), end)
    if m is None:
        return None
    words = [(w.start() + m.start(1), w.end() + m.start(1)) for w in re.finditer(r"\S+", m.group(1))]
    while words and not lower_name_ok(_w(text, words[0])):
        words.pop(0)
    if not words or not all(lower_name_ok(_w(text, w)) for w in words):
        return None
    heading = re.search(r"(?:^|[\n:])[ \t]*$", text[max(0, words[0][0] - 20):words[0][0]]) is not None
    if not any(lexicon.is_listed(_w(text, w)) for w in words) and not (heading and len(words) >= 2):
        return None  # unlisted: two words that open a line or follow a label ("hpi: hortense delacroix is a 91 yo")
    return words[0][0], words[-1][1]


def _after_pt(text: str, pos: int) -> tuple[int, int] | None:
    """"Pt Eleanor Vance-Whitaker, 96" (two name-shaped words or a listed one) and "pt john o'neill"
    (a listed first name, then an optional surname)."""
    if pos < len(text) and text[pos].isupper():
        span = _take_name(text, pos, caps_ok=False)
        if span is None or text[span[1]:span[1] + 1] == ":" or is_eponym_use(text, span[1]):
            return None
        words = text[span[0]:span[1]].split()
        if not names_ok(words, surname_free=True):
            return None
        listed = any(lexicon.is_listed(w.rstrip(".")) and w not in lexicon.AMBIGUOUS for w in words)
        full = sum(len(w.rstrip(".")) > 1 for w in words)
        return span if listed or full >= 2 else None
    words = _lower_words(text, pos - 1, 2)
    if len(words) == 2 and _PERSON_VERB_AFTER_RE.match(text, words[1][1]):  # "Pt reginald okoye arrived"
        return words[0][0], words[1][1]
    if len(words) == 2 and _PAST_VERB_RE.match(text, words[1][1]) and all(lower_name_ok(_w(text, w)) for w in words):
        return words[0][0], words[1][1]  # "pt bernard kowalczyk settled after evening meds": any verb in the past
    first = _w(text, words[0]).title() if words else ""
    if not words or not any(part in lexicon.first_names() for part in first.split("-")):  # "mary-ann"
        return None
    return words[0][0], words[-1][1]


def _name_list(text: str, pos: int) -> list[Cand]:
    """Capitalised names separated by commas / "and" from ``pos`` ("sons Aaron and Eli")."""
    out: list[Cand] = []
    while len(out) < 6:
        span = _take_name(text, pos, caps_ok=False)
        if span is None or not all(cap_name_ok(w) for w in text[span[0]:span[1]].split()):
            break
        out.append(Cand(span[0], span[1], "NAME", "relation", 55))
        nxt = _LIST_NEXT_RE.match(text, span[1])
        if nxt is None:
            break
        pos = nxt.end()
    return out


def _after_relation(text: str, start: int, end: int) -> tuple[int, int] | None:
    """"wife ingrid", "dtr kirsten called": lower-case first names after a relation word."""
    paren = _PAREN_LOWER_RE.match(text, end) if text[start:end].rstrip().endswith("(") else None
    if paren and lower_name_ok(paren.group(1)):  # "mom (keisha)"
        return paren.span(1)
    if not _LOWER_RELATION_RE.fullmatch(text, start, end):
        return None  # "mother: breast ca", "father - MI" (family-history lists), "twin is put at risk"
    caps = _CAPS_NAME_RE.match(text, end)  # "W/ SON MIGUEL" in an upper-case note: listed names only
    if caps and lexicon.is_listed(caps.group(1)) and caps.group(1).title() not in lexicon.AMBIGUOUS:
        more = caps.group(2)
        keep = more and lexicon.is_listed(more) and more.title() not in lexicon.AMBIGUOUS
        return caps.start(1), caps.end(2) if keep else caps.end(1)
    words = _lower_words(text, end - 1, 2)
    if not words:
        return None
    first = _w(text, words[0])
    if lexicon.is_listed(first):
        if len(words) == 2 and not (lexicon.is_listed(_w(text, words[1])) or _CONTINUE_RE.match(text, words[1][1])):
            words = words[:1]
        return words[0][0], words[-1][1]
    return words[0] if _CONTINUE_RE.match(text, words[0][1]) else None


def _credential_names(text: str) -> list[Cand]:
    """"A. Mbeki, PA-C", "Tamara Jovanovic, CMA", "-- dana, rn"."""
    out: list[Cand] = []
    for m in CRED_RE.finditer(text):
        b = _BEFORE_CRED_RE.search(text, max(0, m.start() - 80), m.start())
        if b is None or _ZIP_AFTER_RE.match(text, m.end()):
            continue  # "Frederick, MD 21702" is a city and state
        if not text[m.start()] == "," and not re.search(r"(?:^|\n|--|—|(?<=\s)-)[ \t]*$", text[max(0, b.start(1) - 4):b.start(1)]):
            continue  # "T. Robichaux RN" without a comma only where a signature starts
        span = _strip_to_names(text, b.start(1), b.end(1), need_two=False)
        if span and _w(text, span) not in lexicon.cities():
            out.append(Cand(span[0], span[1], "NAME", "credential", 54))
    for m in _LOWER_SIG_RE.finditer(text):
        words = m.group("name").split()
        if all(lower_name_ok(w) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "credential", 54))
    return out


def _strip_to_names(text: str, start: int, end: int, *, need_two: bool = True) -> tuple[int, int] | None:
    """Drop leading words that are not name-shaped; the rest must all be (initials allowed).
    ``need_two``: two full words unless one is a listed, unambiguous name."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    while words and (not (cap_name_ok(_w(text, words[0])) or name_like(_w(text, words[0])))
                     or len(words) > 1 and _unit_letter(text, words[0])):
        words.pop(0)  # "NS 1 L. Passenger ...": the litre, then "Passenger" (a role, no name)
    names = [_w(text, w) for w in words]
    if not names or not (names_ok(names) or all(cap_name_ok(n) or (n.isupper() and name_like(n))
                                                or len(names) > 1 and _plural_shaped_name(n.lower()) for n in names)):
        return None  # "Lourdes Ybanez, LCSW": a name word may end in -s like a plural
    full = [n for n in names if len(n.rstrip(".")) > 1]
    listed = any(lexicon.is_listed(n, parts=True) and n not in lexicon.AMBIGUOUS for n in full)
    if not full or (need_two and len(full) < 2 and not listed) or is_eponym_use(text, words[-1][1]):
        return None
    return words[0][0], words[-1][1]


def _unit_letter(text: str, word: tuple[int, int]) -> bool:
    """A single letter without a full stop, or one after a number ("NS 1 L."): a unit, not an initial."""
    letter = _w(text, word)
    return len(letter.rstrip(".")) == 1 and (not letter.endswith(".")
                                             or re.search(r"\d[ \t]*$", text[max(0, word[0] - 4):word[0]]) is not None)


def _pairs(text: str) -> list[Cand]:
    """"Surname, Firstname" with one part listed: "Ng, Henry reports", "Whitfield, Karen"."""
    out: list[Cand] = []
    first, cities = lexicon.first_names(), set(lexicon.cities())
    for m in PAIR_RE.finditer(text):
        a, b = m.group("a"), m.group("b")
        a_t, b_t = (w.title() if w.isupper() else w for w in (a, b))
        if not (name_like(a) and name_like(b)) or a_t in cities or is_eponym_use(text, m.end()) or (  # "Antunes, TTA"
                b.isupper() and not a.isupper()) or not (b_t in first or (a_t in lexicon.surnames() and cap_name_ok(b_t))):
            continue
        strong = (re.search(r"(?:^|[\n:])[ \t]*$", text[max(0, m.start() - 40):m.start()]) is not None
                  or HEADER_FOLLOW_RE.match(text, m.end()) is not None
                  or RIGHT_CTX_RE.match(text, m.start("b")) is not None)
        if (a_t in lexicon.AMBIGUOUS or b_t in lexicon.AMBIGUOUS or not lexicon.is_listed(a_t)) and not strong:
            continue
        out.append(Cand(m.start(), m.end(), "NAME", "pair", 50))
    return out
