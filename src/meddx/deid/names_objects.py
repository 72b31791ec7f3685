"""One-word names with a weak cue that only a person fits (de-id round 16): the object of a verb of care whose
next word says it is a person ("Dad brought Ikechukwu in", "Reassured Chidinma that", "called Magdalena back",
"me and Jolene drove"), one unlisted word after a role or "patient" and before a verb ("Officer Mensah escorted",
"interpreter Grzegorz booked", "patient Begoña prefers"), two unlisted words after "pupil"/"prisoner", a name in
brackets after an interpreter ("interpreter (Thảo, Vietnamese"), and a name after a title and a filler word in
a transcript ("Dr, um, Castellanos"), and two to four name words right before a prison, NHS or hospital
number ("Dariusz Lewandowski (prison no. A4821DK)").

Why the next word matters: a capitalised word after "brought" or "called" can be a drug, a service or a shop
("brought Calpol", "called Pharmacy"); "in", "back", "that" or a verb after it leave only a person. The word must
still pass ``cap_name_ok`` (not a common word, not English-shaped) and not be a family, service or team word.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, cap_name_ok, english_looking, is_eponym_use
from meddx.deid.names_cues import _CRED_TITLE_RE
from meddx.deid.names_more_cues import RELATION_WORDS, ROLE_WORDS
from meddx.deid.patterns import Cand

# a person's family or a service named like a person after these verbs: kept
_NOT_PEOPLE = frozenset("""Mum Mom Mummy Mam Dad Daddy Nan Nana Nanny Gran Granny Grandma Grandad Grandpa Auntie
Police Switchboard Security Pharmacy Matron Outreach Bleep Duty Theatre Theatres Resus Reception Ward Epic Tesco
Boots Asda Lloyds Macmillan Marie Curie Cruse Samaritans Childline Shelter Mind Language Line Interpreting Control
Ambulance Crisis Bank Agency Locum Triage Radiology Switch Porters Portering Estates Facilities Housing Council
Calpol Ventolin Oramorph Nexplanon Paracetamol Epipen EpiPen Gaviscon Lemsip Sudafed Piriton Nurofen Dioralyte
Telephone Phone Video Service Services Used Present Booked Requested Declined Required Team Rota Face Via
Transport Advice Safety Experience Participation Portal Choice Group Panel Forum Voice Information Prescriber
Independent Supplementary Escort Officer Records""".split())

# "brought X in", "reassured X that", "called X back", "accompanied X to": a verb of care, the name, then a word
# or a bracket that only a person's object takes
OBJECT_VERBS = frozenset("""brought carried wheeled reassured counselled counseled comforted consoled settled called
phoned rang rung texted emailed accompanied escorted collected dropped""".split())  # a name never grows over them
_VERB_OBJECT_RE = re.compile(
    rf"(?<![\w'’-])(?i:{'|'.join(sorted(OBJECT_VERBS))})[ \t]+(?P<name>{TOKEN})"
    r"(?=[ \t]*\((?:age|aged|\d)|[ \t]+(?i:in|back|that|about|home|here|off|up)\b)")
# "me and Jolene drove", "Jolene and me": a transcript's pair of a speaker and a person
_ME_AND_RE = re.compile(rf"(?<![\w'’-])(?i:me|myself)[ \t]+and[ \t]+(?P<name>{TOKEN})(?![\w'’-])"
                        rf"|(?<![\w'’-])(?P<name2>{TOKEN})[ \t]+and[ \t]+(?i:me|myself|I)(?![\w'’-])")
# what a person does next: a verb in the past, a third-person verb, an auxiliary
_PERSON_VERB_RE = re.compile(r"[ \t]+(?:[a-z]{2,}ed|is|was|has|had|will|would|can|says|said|rang|came|went|took|gave"
                             r"|left|brought|prefers|wants|feels|declines|agrees|asks|reports|states|speaks|attends"
                             r"|arrived|declined|agreed|asked|reported|stated|spoke|attended)\b")
_PT_RE = re.compile(rf"(?<![\w'’-])(?i:patient|pt|client|resident|service[ \t]+user)[ \t]+(?P<name>{TOKEN})")
# "pupil Yusuf Demirci has", "prisoner Dariusz Lewandowski (": two words after a school's or prison's word for a
# person
_PUPIL_RE = re.compile(rf"(?<![\w'’-])(?i:pupil|student|prisoner|inmate|detainee|offender)[ \t]+"
                       rf"(?P<name>{TOKEN}[ \t]+{TOKEN})(?![\w'’-])")
# "Via interpreter (Thảo, Vietnamese": the name first in the brackets, then the language
_ROLE_PAREN_RE = re.compile(rf"(?i:\b(?:interpreter|translator|advocate|chaperone|signer))[ \t]*\([ \t]*"
                            rf"(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,2}})[ \t]*[,;–-]")
# "Dr, um, Castellanos", "Doctor uh Bianchi": a spoken title, fillers, then the name
_TITLE_FILLER_RE = re.compile(rf"(?<![\w.])(?:Dr|Doctor|Mr|Mrs|Ms|Miss|Nurse|Sister)\.?,?[ \t]+"
                              rf"(?:(?i:um+|uh+|erm*|er|ah+|hm+|like|you[ \t]+know)[ \t]*,?[ \t]+)+(?P<name>{TOKEN})")

# "Dariusz Lewandowski (prison no. A4821DK)", "Ama Owusu, NHS no 943 476 5919": the person whose number follows
_BEFORE_ID_RE = re.compile(rf"(?<![\w'’-])(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,3}})[ \t]*[(,][ \t]*"
                           r"(?i:(?:prison(?:er)?|nhs|hospital|chi)[ \t]+(?:no\b|number)|mrn\b|nomis\b)")


def _person_word(word: str) -> bool:
    """A capitalised word that can be a name and is no family, service, drug or role word."""
    return (cap_name_ok(word) and not english_looking(word) and word not in _NOT_PEOPLE and word not in ROLE_WORDS
            and word.lower() not in RELATION_WORDS and word.lower() not in lexicon.common_words())


def find_object_names(text: str) -> list[Cand]:
    """NAME candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    low = text.lower()
    spoken = "me" in low or "myself" in low or " i " in low  # cheap tests before the patterns that start anywhere
    for rx, group in ((_VERB_OBJECT_RE, "name"), (_ME_AND_RE, "name"), (_ME_AND_RE, "name2"),
                      (_TITLE_FILLER_RE, "name")):
        if rx is _ME_AND_RE and not spoken:
            continue
        for m in rx.finditer(text):
            if m.group(group) and _person_word(m.group(group)) and not is_eponym_use(text, m.end(group)):
                out.append(Cand(m.start(group), m.end(group), "NAME", "person-verb", 54))
    for rx in (_CRED_TITLE_RE, _PT_RE):  # one unlisted word after a role, then what a person does
        for m in rx.finditer(text):
            start = m.start("name") if rx is _PT_RE else m.end()
            word = re.match(TOKEN, text[start:])
            end = start + word.end() if word else start
            if word and _person_word(word.group()) and _PERSON_VERB_RE.match(text, end):
                out.append(Cand(start, end, "NAME", "title", 55))
    for m in _BEFORE_ID_RE.finditer(text) if re.search(r"(?i)\bno\b|number|mrn|nomis", text) else ():  # the words back from the number's label that can be a name
        words = list(re.finditer(r"\S+", m.group("name")))
        while words and not _person_word(words[0].group()):
            words.pop(0)
        if len(words) >= 2 and all(_person_word(w.group()) for w in words):
            out.append(Cand(m.start("name") + words[0].start(), m.end("name"), "NAME", "before-id", 54))
    for rx in (_PUPIL_RE, _ROLE_PAREN_RE):
        for m in rx.finditer(text):
            words = m.group("name").split()
            if all(_person_word(w) for w in words) and not is_eponym_use(text, m.end("name")):
                out.append(Cand(m.start("name"), m.end("name"), "NAME", "title", 55))
    return out
