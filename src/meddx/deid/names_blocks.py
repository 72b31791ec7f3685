"""Names that sit in blocks rather than sentences: employers after an employment cue ("works at
Home Depot", "retired from Union Pacific"), a first name alone on its line in a signature
("Cheers,\\nTom", "Tom\\nNurse Practitioner", "Jane\\nSmith, RN", a note's last line "- maria"),
and two spaced initials before a surname ("J. Q. Public reports").

Why separate rules: the name rules in ``names`` take only name-shaped words (listed, or
capitalised and not common), so an employer made of ordinary words ("Home Depot", "General
Motors") and a listed name that is also a word ("Tom", "Will") were kept. Here the cue itself
says what follows is a name: after an employment cue a run of capitalised words is the
employer, whatever the words; on a line of its own between a sign-off and a role line, a listed
name is a person.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.letters import LOWER, UPPER
from meddx.deid.names import TOKEN, cap_name_ok, english_looking, is_eponym_use, lower_name_ok
from meddx.deid.patterns import Cand

# ---- employers ------------------------------------------------------------------------------

_EMPLOYER_CUE_RE = re.compile(
    r"(?i:\b(?:employer[ \t]*:?|(?:concentrator[ \t]+|equipment[ \t]+)?supplier[ \t]*:?"  # (round 25: no colon needed)
    r"|(?:employed\s+(?:by|at|with)|employee\s+(?:of|at)|(?:works|working|worked)\s+"
    r"(?:(?:part[ -]time|full[ -]time|nights|days|weekends|overnights|seasonally)\s+)?"
    r"(?:as\s+an?\s+(?:[a-z/-]+\s+){1,3})?(?:for\s+\d+\s+(?:years?|yrs?|months?)\s+)?(?:for|at)"
    r"|retired\s+(?:[a-z/-]+\s+){0,3}?from|retiree\s+of|(?:laid\s+off|fired|let\s+go)\s+(?:by|from)"
    r"|(?:job|employment)\s+at|employment\s+with|on\s+(?:disability|leave)\s+from)\b))[ \t]*(?:\r?\n[ \t]*)?"
    r"(?:the[ \t]+)?"
)
# A capitalised word of a company name: "Home", "McDonald's", "AT&T", "Wal-Mart", "J.P.", "3M"
_ORG_WORD = rf"(?:[{UPPER}][{UPPER}{LOWER}0-9'’&.\-]*|\d[{UPPER}]+)(?!/)"  # not "N/A"
_ORG_RE = re.compile(rf"{_ORG_WORD}(?:(?:[ \t]+(?:&|and|of|de)[ \t]+|[ \t]*&[ \t]*|[ \t]+){_ORG_WORD}){{0,4}}")
# Capitalised words that end an employer run or are no employer at all ("Employer: Retired",
# "works at Home Depot As A Cashier" in title case)
_NOT_EMPLOYER = frozenset("""
self retired none unemployed disabled unknown n/a na student homemaker housewife disability
as for since until in on at with from to and or but the a an who where when which because since after
before during while part full time nights days weekends currently now still previously formerly there here
""".split())

# A national armed service names no one: "retired from the Army", "served in the U.S. Navy Reserve" are
# kept (Safe Harbor's employer is one that narrows down who the patient is)
_SERVICE_WORDS = frozenset("army navy air force marines marine corps coast guard national guard military armed forces "
                           "reserve reserves space us u.s u.s. usa united states of royal".split())
_JOINERS = frozenset(("and", "of", "de"))
_ABBREVIATIONS = frozenset(("inc", "co", "corp", "ltd", "bros", "st", "llc"))


def find_employers(text: str) -> list[Cand]:
    """The employer after an employment cue: a run of capitalised words, whatever they are."""
    out: list[Cand] = []
    for cue in _EMPLOYER_CUE_RE.finditer(text):
        m = _ORG_RE.match(text, cue.end())
        if m is None:
            continue
        words = [w for w in re.finditer(r"\S+", m.group()) if w.group() != "&"]
        keep: list[tuple[int, int]] = []
        for w in words:
            word = w.group().rstrip(".,")
            low = word.lower()
            if low in _JOINERS:
                if not keep:
                    break
            elif low in _NOT_EMPLOYER or low.split("-")[0] in _NOT_EMPLOYER:  # "Self-employed"
                break
            keep.append((m.start() + w.start(), m.start() + w.start() + len(word)))
            if w.group().endswith(",") or (w.group().endswith(".") and len(word) > 1 and "." not in word
                                           and low not in _ABBREVIATIONS):
                break  # "works at Acme. Smokes daily", "employed at the VA. Works": the sentence ends
        while keep and text[keep[-1][0]:keep[-1][1]].lower() in _JOINERS:
            keep.pop()
        if keep and not is_eponym_use(text, keep[-1][1]) and not _armed_service(text, keep):
            out.append(Cand(keep[0][0], keep[-1][1], "NAME", "employer", 55))
    return out


def _armed_service(text: str, words: list[tuple[int, int]]) -> bool:
    """Whether the employer is a national armed service ("Army", "U.S. Air Force", "Navy Reserve")."""
    names = [text[s:e].lower() for s, e in words]
    national = ("us", "u.s", "u.s.", "usa", "united", "states", "of", "royal")
    return all(w in _SERVICE_WORDS for w in names) and any(w not in national for w in names)


# ---- signature blocks -------------------------------------------------------------------------

_SIGNOFF = (r"(?:many\s+|with\s+|again\s+)?thanks(?:\s+(?:again|so\s+much|a\s+lot))?|thank\s+you(?:\s+so\s+much)?|thx|tx"
            r"|(?:best|kind|warm|warmest|with\s+(?:best|kind))?\s*regards|best(?:\s+wishes)?|all\s+the\s+best|cheers"
            r"|sincerely(?:\s+yours)?|yours(?:\s+(?:truly|sincerely))?|respectfully(?:\s+yours)?|cordially|warmly"
            r"|take\s+care|talk\s+soon|gratefully|with\s+gratitude|appreciate\s+it")
_SIGNOFF_RE = re.compile(rf"(?im)^[ \t]*(?:{_SIGNOFF})[ \t]*[,!.:\-–—]*[ \t]*\r?\n(?:[ \t]*\r?\n)?")
_ROLE = (r"RN|LPN|LVN|NP|PA-C|PA|MD|DO|CNA|CMA|MA|LCSW|MSW|PharmD|RD|APRN|FNP|(?i:registered\s+nurse|nurse"
         r"|practitioner|medical\s+assistant|physician(?:\s+assistant)?|case\s+manager|care\s+(?:coordinator|manager|team)"
         r"|social\s+worker|front\s+desk|scheduler|scheduling|receptionist|secretary|unit\s+clerk|clerk|pharmacist"
         r"|dietitian|therapist|navigator|coordinator|advocate|educator|manager|supervisor|director|technician"
         r"|technologist|clinic\s+(?:coordinator|manager|staff|nurse)|office\s+(?:manager|staff)|triage|chaplain"
         r"|interpreter|resident|fellow|attending|intern|hospitalist|patient|care|nursing|staff|assistant|aide)")
# A line that holds only a role ("Nurse Practitioner, Cardiology", "RN Case Manager") or a signature
# with a credential ("Smith, RN"): the line above it may hold the writer's first name alone.
_ROLE_LINE_RE = re.compile(rf"[ \t]*(?:(?P<role>(?:{_ROLE})(?:[ \t]+(?:{_ROLE}))*)[ \t]*(?:[,|/(–—-]|\r?\n|$)"
                           rf"|(?:{TOKEN}[ \t]+){{0,2}}{TOKEN},[ \t]*(?:RN|LPN|NP|MD|DO|PA-C|PA|CNA|CMA|MA|LCSW|MSW|PharmD)\b)")
_NAME_LINE_RE = re.compile(rf"(?m)^[ \t]*(?:-{{1,2}}|—)?[ \t]*(?P<name>[{UPPER}{LOWER}][{LOWER}{UPPER}'’.\-]*"
                           rf"(?:[ \t]+[{UPPER}{LOWER}][{LOWER}{UPPER}'’.\-]*)?)[ \t]*,?[ \t]*(?:\r?\n|$)")
# Team words written where a name would be ("Thanks,\nFront Desk", "Regards,\nthe team")
_TEAM = frozenset("front desk staff team office clinic nursing triage scheduling billing pharmacy reception care "
                  "mom dad mum papa mama".split())


def find_signature_names(text: str) -> list[Cand]:
    """A first name alone on its line after a sign-off, above a role or credential line, or as the
    note's last line ("-maria")."""
    out: list[Cand] = []
    for m in _SIGNOFF_RE.finditer(text):
        line = _NAME_LINE_RE.match(text, m.end())
        if line and _signature_words(line.group("name"), strong=True):
            out.append(Cand(line.start("name"), line.end("name"), "NAME", "signature", 55))
    for line in _NAME_LINE_RE.finditer(text):
        role = _ROLE_LINE_RE.match(text, line.end()) if line.end() < len(text) else None
        if role is None or not _signature_words(line.group("name"), strong=False):
            continue
        # one role word ("Patient", "Resident,") follows lists and headings too: then only a listed name
        # ("Allergies\nPenicillin\nPatient reports" is no signature)
        if role.group("role") and " " not in role.group("role").strip() and not all(
                lexicon.is_listed(w.rstrip("."), parts=True) for w in line.group("name").split()):
            continue
        out.append(Cand(line.start("name"), line.end("name"), "NAME", "signature", 55))
    last = _NAME_LINE_RE.search(text, text.rstrip().rfind("\n") + 1)
    if last and last.end() >= len(text.rstrip()) and _listed_first(last.group("name").split()[0]) and \
            len(last.group("name").split()) == 1 and "\n" in text.strip():
        out.append(Cand(last.start("name"), last.end("name"), "NAME", "signature", 55))
    return out


def _listed_first(word: str) -> bool:
    title = word.title() if word.isupper() or word.islower() else word
    return title in lexicon.first_names()


def _signature_words(name: str, *, strong: bool) -> bool:
    """Words alone on a signature line that are a name: listed (also "Tom", "Will"), or one
    capitalised or lower-case word shaped like a name. ``strong``: right after a sign-off."""
    words = name.split()
    if strong and len(words) == 1 and words[0].title() in lexicon.AMBIGUOUS and not re.fullmatch(_SIGNOFF, words[0],
                                                                                                  re.I):
        return True  # "Thanks,\nWill", "Best,\nhope": alone on the line after a sign-off a name-word is a name
    if any(w.lower().strip(".") in _TEAM or w.lower() in lexicon.common_words() and not lexicon.is_listed(w)
           for w in words):
        return False
    if all(lexicon.is_listed(w.rstrip("."), parts=True) or len(w.rstrip(".")) == 1 for w in words):
        return any(len(w.rstrip(".")) > 1 for w in words)
    if len(words) != 1 or (not strong and words[0].islower()):
        return False
    word = words[0]
    return lower_name_ok(word) if word.islower() else cap_name_ok(word) and not english_looking(word)


# ---- a name after an age phrase or a contact verb -------------------------------------------------

# "Pt is a 4 yo boy, Eli Vandermeer.": a name in apposition after age and sex
_APPOSITION_RE = re.compile(r"(?i:\d{1,3}[ \t-]*(?:yo|y/o|y\.o\.|year[ -]old|yr[ -]old|mo|month[ -]old)[ \t]+"
                            r"(?:boy|girl|man|woman|male|female|gentleman|lady|infant|child|toddler|baby|son|daughter))"
                            rf",[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}})(?=[ \t]*[,.;(]|[ \t]+(?:who|with|is|was)\b)")
# "Contact Rafael Ybarra-Quintanilla", "paged Amadou Diallo": a person to reach
_CONTACT_RE = re.compile(r"(?i:\b(?:contact|contacted|call|called|page|paged|notify|notified|text|texted|email|emailed"
                         rf"|message|messaged|spoke\s+to|talked\s+(?:to|with)|per))[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}})"
                         r"(?![\w'’-])")


# "Transportation by Wendell, her neighbor", "Lorraine (his ex-wife)": a name in apposition before a relation
_BEFORE_RELATION_RE = re.compile(rf"(?<![\w'’.-])(?P<name>{TOKEN}(?:[ \t]+{TOKEN})?)(?:[ \t]*,[ \t]*|[ \t]+\([ \t]*)"
                                 r"(?i:(?:his|her|their|the\s+patient['’]s|pt['’]s|patient['’]s)[ \t]+"
                                 r"(?:ex-?|step-?|late[ \t]+)?"
                                 r"(?:wife|husband|spouse|partner|son|daughter|mother|father|mom|dad|brother|sister"
                                 r"|niece|nephew|aunt|uncle|cousin|grandson|granddaughter|grandmother|grandfather"
                                 r"|neighbou?r|friend|roommate|caregiver|boyfriend|girlfriend|fianc[ée]e?"
                                 r"|(?:son|daughter|brother|sister)-in-law)s?)\b")


# "accessed the chart of Ximena Balderrama (MRN K4471902)": two name-shaped words before a record number or birth date
_BEFORE_RECORD_RE = re.compile(rf"(?<![\w'’.-])(?P<name>{TOKEN}[ \t]+{TOKEN})[ \t]*[(,][ \t]*"
                               r"(?i:mrn|mr[ \t]*#|dob|d\.o\.b|date[ \t]+of[ \t]+birth|born)\b")


def find_named_people(text: str) -> list[Cand]:
    """Two or three name-shaped words after an age phrase ("a 4 yo boy, Eli Vandermeer") or a contact
    verb ("Contact Rafael Ybarra-Quintanilla"). After a contact verb one word must be a listed name
    or a double-barrelled surname, so "Called Rapid Response" and "page Night Float" stay."""
    out: list[Cand] = []
    for m in _APPOSITION_RE.finditer(text):
        words = m.group("name").split()
        if all(cap_name_ok(w) for w in words) and not any(english_looking(w) and not lexicon.is_listed(w) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "named", 54))
    low = text.lower()  # cheap gates: both patterns scan every capitalised word
    for m in _BEFORE_RECORD_RE.finditer(text) if any(w in low for w in ("mr", "dob", "d.o.b", "birth", "born")) else ():
        words = m.group("name").split()
        if all(cap_name_ok(w) and (lexicon.is_listed(w) or not english_looking(w)) for w in words):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "named", 54))
    possessive = any(w in low for w in ("his ", "her ", "their ", "'s ", "’s "))
    for m in _BEFORE_RELATION_RE.finditer(text) if possessive else ():
        words, start = m.group("name").split(), m.start("name")
        if len(words) == 2 and not _person_words(words):  # "Called Okafor, her son": the word before is no name
            words, start = words[1:], m.end("name") - len(words[1])
        sentence_start = re.search(r"(?:^|[.!?:;]\s+|\n\s*)$", text[max(0, start - 4):start]) is not None
        if _person_words(words) and not (sentence_start and len(words) == 1 and not lexicon.is_listed(words[0])):
            out.append(Cand(start, m.end("name"), "NAME", "named", 54))  # not "However, her husband ..."
    for m in _CONTACT_RE.finditer(text):
        words = m.group("name").split()
        if not all(cap_name_ok(w) for w in words) or is_eponym_use(text, m.end("name")):
            continue
        listed = any(lexicon.is_listed(w, parts=True) and w not in lexicon.AMBIGUOUS for w in words)
        if listed or re.fullmatch(rf"[{UPPER}][{LOWER}]+-[{UPPER}][{LOWER}]+", words[-1]):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "contact", 54))
    return out


def _person_words(words: list[str]) -> bool:
    return all(cap_name_ok(w) and w.lower() not in SENTENCE_WORDS for w in words) and (
        len(words) == 2 or lexicon.is_listed(words[0]) or not english_looking(words[0]))


# ---- spaced initials --------------------------------------------------------------------------

# "J. Q. Public reports": two spaced initials make the next capitalised word a surname, even an
# ordinary word ("U.S. Army" has no space between its letters and stays)
_INITIALS_RE = re.compile(rf"(?<![\w.])[{UPPER}]\.[ \t]+[{UPPER}]\.[ \t]+(?P<last>{TOKEN})(?![\w'’-])")
# Dotted letter pairs that are abbreviations, not initials (anteroposterior, postscript, right eye, ...)
_DOTTED_ABBREVIATIONS = frozenset("US UK UN AP PA PS OD OS OU AD AS AU TB BP MD DO RN NP ER IV IM PO QD HS AM PM GI GU ED "
                                  "OR DC BS CT MR".split())
SENTENCE_WORDS = frozenset("""
the this that these those he she it they we i you his her their our its a an in on at for to with and but or if when
after before per patient pt plan no not will please pain denies reports states today yesterday tomorrow follow
continue continued discussed called seen also then there here see exam labs vitals assessment impression history
allergies medications meds family social note was is has had did does
""".split())


def find_initial_surnames(text: str) -> list[Cand]:
    """"J. Q. Public": two spaced initials and a capitalised word that does not start a sentence."""
    out: list[Cand] = []
    for m in _INITIALS_RE.finditer(text):
        last = m.group("last")
        letters = re.sub(r"[^A-Z]", "", m.group()[:m.start("last") - m.start()])
        if last.lower() in SENTENCE_WORDS or letters in _DOTTED_ABBREVIATIONS or is_eponym_use(text, m.end()) or (
                english_looking(last) and not lexicon.is_listed(last)):
            continue  # "U. S. Surgical Corp", "A. P. View", "P. S. Call me", "O. D. Drops"
        out.append(Cand(m.start(), m.end(), "NAME", "initials", 54))
    return out
