"""Names the other cue rules miss (found by the twelfth review's blind notes), and the role words a name never
grows over.

- a relative's first name that is also a modal verb or a word ("son Will attended", "Son Will (07911...)"):
  the relation rule leaves "Will" and "May" alone because "son will attend" is a sentence, so here the word
  must be capitalised and be followed by what follows a person, not a verb's base form;
- an interpreter or advocate named after the language in brackets ("Interpreter (Bengali) Rahima Begum");
- a name after "surname is" / "first name:", Irish and Scottish particles included ("Mac Giolla Phádraig",
  "Ó Súilleabháin", "Nic an tSaoir");
- a name after a ward-list label that abbreviates a role ("Cons: MBEKI", "HV: Pryce", "Keyworker: Osei");
- (the fresh sets after) a listed first name before ", the HCA" ("Grace, the HCA, helped"), a word first name and a
  surname before an age ("Will Gregson, 67,"), a name after an age and a sex ("4 yo girl Zara Begum").

``ROLE_WORDS`` and ``RELATION_WORDS``: job titles and relations written before a first name ("Physio Gemma",
"Liaison Officer Danielle Hampton", "Daughter-in-law Mei Ling Chua"); the detector does not grow a name over them.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import CAPS, TOKEN, cap_name_ok, english_looking
from meddx.deid.names_contexts import _WORD_FIRST_NAMES
from meddx.deid.patterns import Cand

ROLE_WORDS = frozenset("""Physio Physiotherapist Nurse Officer Sister Matron Porter Chaplain Pharmacist
Interpreter Midwife Therapist Dietitian Dietician Paramedic Student Consultant Registrar Carer Keyworker
Caseworker Worker Coordinator Manager Advocate Volunteer Counsellor Psychologist Liaison Physician
Surgeon Receptionist Clerk Technician Assistant Practitioner Visitor Specialist Lead Phlebotomist
Radiographer Sonographer Optometrist Podiatrist Chiropodist Orthoptist Audiologist Psychiatrist Doctor
Houseman Trainee Locum Officer Warden Constable Sergeant Inspector Detective Reg Cons Anaes
Judge Magistrate Solicitor Barrister Coroner Tribunal
Cpl LCpl Pte Spr Gnr Tpr CSgt SSgt Capt""".split())  # (service ranks, round 18: "L/Cpl Tevita Naufahu")

# relations written before a name ("Daughter-in-law Mei Ling Chua"): a name does not grow over them either
RELATION_WORDS = frozenset("""son daughter husband wife partner brother sister mother father mum dad niece nephew
grandson granddaughter friend neighbour neighbor carer cousin aunt uncle stepson stepdaughter son-in-law daughter-in-law
mother-in-law father-in-law brother-in-law sister-in-law fiance fiancee
stepbrother stepsister stepchild grandchild grandniece grandnephew godson goddaughter godchild auntie aunty""".split())
_RELATIONS = (r"son|daughter|husband|wife|partner|brother|sister|mother|father|mum|dad|niece|nephew|grandson"
              r"|granddaughter|friend|neighbou?r|carer|cousin|aunt|uncle|stepson|stepdaughter|nok")
# the word names (``_WORD_FIRST_NAMES``) that are verbs or words in every sentence: the relation rule skips them
_WORD_NAME = "|".join(sorted(_WORD_FIRST_NAMES))
RELATIVE_WORD_NAME_RE = re.compile(rf"(?i:\b(?:{_RELATIONS}))[ \t]+(?P<name>(?:{_WORD_NAME}))(?![\w'’-])")
# what follows a person, not the base form of a verb after a modal ("son Will attend" stays a sentence)
_PERSON_NEXT_RE = re.compile(r"[ \t]*(?:[,;:()]|\.(?:\s|$)|\r?\n|$)|[ \t]+(?:[a-z]+ed|is|was|has|had|says|said|rang"
                             r"|came|and|who|reports|states|visits|phoned|calls|attends|brought|feels|thinks|wants"
                             r"|asked|asks|agrees|agreed|took|gave|drove|left|went|stayed|stays)\b")

# "Interpreter (Bengali) Rahima Begum", "advocate (IMCA) - Joe Kerr": a role, what kind in brackets, then the name
ROLE_BRACKET_RE = re.compile(rf"(?i:\b(?:interpreter|translator|advocate|imca|chaperone|signer))[ \t]*"
                             rf"\([^()\n]{{2,30}}\)[ \t]*(?:[:,–-][ \t]*)?(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,2}})")

_PARTICLE = r"(?:Mac|Mc|Nic|Ní|Ni|Ó|O|Uí|Ua|Ap|ap|ab|ferch|an|bin|bint|ibn|al|el|van|von|de|da|di|du)"
_PIECE = rf"(?:{_PARTICLE}[ \t]+)?(?:{TOKEN}|t[A-Z][a-z]+)"
# "surname is Mac Giolla Phádraig", "first name: Oluwaseun", "maiden name O Briain"
NAME_WORD_RE = re.compile(rf"(?i:\b(?:surname|family[ \t]+name|last[ \t]+name|maiden[ \t]+name|first[ \t]+name"
                          rf"|forename|given[ \t]+name|christian[ \t]+name|middle[ \t]+name)s?)[ \t]*(?:is|was|[:=–-])?"
                          rf"[ \t]*(?P<name>{_PIECE}(?:[ \t]+{_PIECE}){{0,2}})")
# "Grace, the HCA, helped", "Tadhg (our physio)": a first name, then who the person is after a comma and "the"/"our"
APPOSITIVE_ROLE_RE = re.compile(rf"(?<![\w'’-])(?P<name>{TOKEN}(?:[ \t]+{TOKEN})?),[ \t]+"
                                r"(?i:the|our|his|her|their|a|an)"
                                r"[ \t]+(?i:hca|hcsw|nurse|staff[ \t]+nurse|carer|physio|ot|sw|social[ \t]+worker"
                                r"|interpreter|chaplain|pharmacist|porter|cleaner|doctor|gp|registrar|consultant|student"
                                r"|midwife|neighbou?r|daughter|son|wife|husband|partner|friend|sister|brother|niece"
                                r"|nephew|warden|keyworker|key[ \t]+worker|advocate)\b")
# "Will Gregson, 67, attended": a word first name and a surname before an age in commas
WORD_NAME_AGE_RE = re.compile(rf"(?<![\w'’-])(?P<name>(?:{_WORD_NAME})[ \t]+{TOKEN}),[ \t]*\d{{1,3}}[ \t]*,")
# "4 yo girl Zara Begum with barking cough", "72-year-old man Tomasz Nowak": the person an age and a sex describe
AGE_SEX_NAME_RE = re.compile(rf"\d{{1,3}}[ \t]*(?:-[ \t]*)?(?i:yo|y/o|y\.o\.|years?[ -]old|yrs?[ -]old|months?[ -]old"
                             r"|weeks?[ -]old)[ \t]+(?i:girl|boy|man|woman|male|female|lady|gentleman|baby|infant|child"
                             rf"|toddler)[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,2}})")
# "Cons: MBEKI", "HV: Bronwen Pryce", "Keyworker: Osei": a ward list's role abbreviations before a colon
ROLE_LABEL_RE = re.compile(rf"(?<![\w-])(?:Cons|CONS|Con|Cons\.|Named[ \t]+[Cc]ons(?:ultant)?|HV|CPN|Keyworker"
                           rf"|Key[ \t]+worker|Care[ \t]+co-?ordinator)[ \t]*:[ \t]*"
                           rf"(?P<name>(?:{TOKEN}|{CAPS})(?:[ \t]+(?:{TOKEN}|{CAPS})){{0,2}})")

# how an interpreter or a worker was provided, not who ("Interpreter (Polish) Language Line used", "Cons: Duty")
_SERVICE_WORDS = frozenset("""Language Languages Line Telephone Phone Video Face Via Duty Big Word Service Services Used
Present Booked Requested Declined Required Team Rota Bank Agency Locum""".split())


def find_more_cue_names(text: str) -> list[Cand]:
    """NAME candidates of the four shapes above; every word taken is capitalised and not a common word."""
    common = lexicon.common_words()
    out: list[Cand] = []
    for m in RELATIVE_WORD_NAME_RE.finditer(text):
        if m.group("name")[0].isupper() and not m.group("name").isupper() and _PERSON_NEXT_RE.match(text, m.end()):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "relation", 55))
    for rx in (ROLE_BRACKET_RE, NAME_WORD_RE, ROLE_LABEL_RE, APPOSITIVE_ROLE_RE, WORD_NAME_AGE_RE, AGE_SEX_NAME_RE):
        for m in rx.finditer(text):
            first = m.group("name").split()[0]
            if rx is APPOSITIVE_ROLE_RE and not (lexicon.is_listed(first) or first in _WORD_FIRST_NAMES):
                continue  # "Meanwhile, her sister called": only a listed first name before the comma
            word_first = rx in (APPOSITIVE_ROLE_RE, WORD_NAME_AGE_RE)  # "Will Gregson, 67,", "Will, the porter,"
            span = _proper_run(text, m.start("name"), m.end("name"), common, word_first=word_first)
            if span is not None:
                out.append(Cand(span[0], span[1], "NAME", "label", 55))
    return out


def _proper_run(text: str, start: int, end: int, common: frozenset[str], *,
                word_first: bool = False) -> tuple[int, int] | None:
    """The leading words of ``text[start:end]`` that may be a name: particles, capitalised words that pass
    ``cap_name_ok`` ("Language Line", "Duty team" stop) and one word in capitals ("MBEKI"; not "GEN SURG"); with
    ``word_first``, a first word that is a word name ("Will")."""
    words = list(re.finditer(r"\S+", text[start:end]))
    stop = start
    for m in words:
        word = m.group()
        if re.fullmatch(_PARTICLE, word) or (word_first and m is words[0] and word in _WORD_FIRST_NAMES):
            ok = True
        elif word.isupper() and len(word) > 1:
            ok = len(words) == 1 and word.lower() not in common and not english_looking(word)
        else:
            ok = word.lower() not in common and word not in _SERVICE_WORDS and cap_name_ok(word)
        if not ok:
            break
        stop = start + m.end()
    if stop == start or re.fullmatch(_PARTICLE, text[start:stop]):
        return None
    return start, stop
