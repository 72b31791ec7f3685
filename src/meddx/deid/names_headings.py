"""Names with no title and no listed word, found by the shape of the line around them (de-id round 19's blind set):

- a heading, then the name and a record field: one to three words right after a heading's colon, a dash (round 22:
  "Orthoptic note -- Tou Pao Moua (age 7)") or at a line start, but not after a word for an age group ("Infant
  Motrin (2) at night." is a product and a count),
  then an age or a record field ("Wheelchair services assessment: Murugan, 44,", "Allergy clinic: Seo-yeon Kim (8)",
  "renal unit: Chukwuemeka Eze (hosp. no.", "aviation medical: Kai Akana, licence no.", "Lung MDT 21st March:
  Jan-Willem Bakker, T2aN1M0"); one word needs an age, two or three a number, a stage or a field's label;
- a name with a lower-case particle between capitalised words ("Femke de Vries", "Pieter van der Meulen", "Leonie
  van Rijn"), unless the first word names a street or a place ("Avenida da Liberdade", "Rio de Janeiro");
- one to three words after a role that only a person has, at the end of a clause ("HCA Leilani;", "prosthetist
  Chidi;", "claimant Bongani.", "caller Shauna Brennan,", "sonographer R. Achterberg.") or before "may not"/"must
  not" after "pt" ("pt Delroy may not drive");
- two or three words after "given to"/"explained to", or after a login's or session's "for" at the end of a clause
  or before "from"/"by" ("given to Kalani Akana by HCA", "session from 10.2.3.4 for Ines Carvalho"; "auth for
  Humira Pen" stays), the sender of a message ("MyChart message from Shannon O'Rourke-Nakamura:"), one word
  after "given for", "slip for", "sent for" at a clause's end ("contact slip given for Thandiwe;");
- two or three words after a number in a numbered list ("list Fri 28/03: 1. Arturo Giménez 2. Ioana Popescu");
- two or three words at a sentence start before what a patient does or is planned to do ("; Mehmet Ozturk to have
  surveillance", "Fatma Öztürk declined", "Virtual ward: Nomsa Khumalo sats 93%") or before a record number in
  brackets ("first case Isobel Cruickshank (CHI 1208345678)").

Every word must be a person's word (``names_objects._person_word``: capitalised, not common, not English-shaped, no
drug, service, family or role word, no word of ``_SERVICE_WORDS``), so "Plan: Tazocin, 5 days", "Diagnosis:
Sarcoidosis, 2019", "HCA Support;" and "given to Ward Sister" stay; after a login's, a message's or a role's cue two
or three words only need to be uncommon ("Ines Carvalho", "Yohannes Gebremedhin": English-shaped, ending in "s").
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, is_eponym_use
from meddx.deid.patterns import Cand

_PARTICLE = (r"(?:van[ \t]+der|van[ \t]+den|van[ \t]+de|von[ \t]+der|de[ \t]+la"
             r"|van|von|de|da|das|do|dos|du|ter|ten|le|la)")
_NAME = rf"{TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{TOKEN}){{0,2}}"
# a heading's colon (or a line start), then the name, then an age or a record field
_HEADING_RE = re.compile(
    rf"(?:^|(?<=:)|(?<=\n)|(?<=[ \t]--)|(?<=[ \t][–—]))[ \t]*(?P<name>{_NAME})(?:"
    r"(?P<age>,[ \t]*\d{1,3}(?:[ \t]*(?:y|yo|yrs|years|[FM]))?(?=[ \t]*[,;)])|[ \t]*\([ \t]*\d{1,3}[ \t]*\))"
    r"|(?P<field>[ \t]*\([ \t]*(?i:hosp|hospital|dob|d\.o\.b|nhs|mrn|chi|nhi|ur|nric|bsn|aged?)\b"
    r"|,[ \t]*(?:[A-Z]{0,2}\d|(?i:licence|license|hosp|hospital|nhs|mrn|chi|nhi|dob|aged?|passport|nric|bsn|edd"
    r"|lmp)\b)))",
    re.M)
_PARTICLE_RE = re.compile(rf"(?<![\w'’-])(?P<name>{TOKEN}[ \t]+{_PARTICLE}[ \t]+{TOKEN})(?![\w-])")
# first words that make a street or a place of "X da Y": "Avenida da Liberdade", "Rio de Janeiro", "Porto de Galinhas"
_PLACE_FIRST = frozenset("""Rua Avenida Travessa Praça Praca Largo Estrada Alameda Calle Carrera Paseo Plaza Rue Place
Boulevard Chemin Route Allée Piazza Via Viale Vila Villa Cidade Rio Porto Ponte Santa Santo San Sao São Ilha Praia
Costa Monte Puerto Parque Jardim Quinta Casa Hotel Museu Museo Musée Tour Café Cafe Centro Hospital Clínica Clinica
Instituto Universidade Universidad Faculdade Escola Colegio Ciudad Mato Minas Espírito Espirito Belo Juiz
Foz Cri Tour Coup Pont Gare Fleur Maison Coeur Cœur Château Chateau Mont Bois Notre Hôtel Ile Île Isla Isle""".split())
_ROLE_ONE_RE = re.compile(
    rf"(?<![\w-])(?:(?i:prosthetist|orthotist|claimant|detainee|defendant|complainant|endoscopist|hca|hcsw|carer"
    rf"|care[ \t]+worker|support[ \t]+worker|key[ \t]+worker|housemate|flatmate|lodger|physio|dietitian|paramedic"
    rf"|interpreter|chaperone|escort|advocate|student|caller|sonographer|detainee))[ \t]+"
    rf"(?P<name>(?:[A-Z]\.[ \t]?)?{TOKEN}(?:[ \t]+{TOKEN}){{0,2}})(?=[ \t]*(?:[;,.)]|\Z|\n))")
# a numbered list of people (a theatre or a clinic list): "1. Arturo Giménez 2. Ioana Popescu 3. Teuila Faleolo;"
_ITEM = rf"\d{{1,2}}\.[ \t]+{TOKEN}(?:[ \t]+{TOKEN}){{1,2}}"
_LIST_RE = re.compile(rf"(?<![\w.]){_ITEM}(?:[ \t]+{_ITEM})+(?=[ \t]*(?:[;.\n]|\Z))")
_ITEM_RE = re.compile(rf"\d{{1,2}}\.[ \t]+(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{1,2}})")
_PT_NOT_RE = re.compile(rf"(?<![\w-])(?i:pt|patient)[ \t]+(?P<name>{TOKEN})[ \t]+"
                        r"(?:may|must|should|can|could|will|did|does|is)(?:[ \t]+not|n['’]t)\b")
_GIVEN_TO_RE = re.compile(
    rf"(?<![\w-])(?i:given|administered|handed|explained|sent|issued|dispensed|supplied|delivered)[ \t]+to[ \t]+"
    rf"(?P<name>{_NAME})(?=[ \t]*(?:[;,.)]|\Z|\n|[ \t](?:by|on|at|via|today|and)\b))")
_FOR_RE = re.compile(rf"(?<![\w-])(?i:login|log-in|logon|logged[ \t]+in|session|account|access|portal)\b"
                     rf"(?:[^;.\n]|\.(?=\S)){{0,40}}?"
                     rf"\bfor[ \t]+(?P<name>{TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{TOKEN}){{1,2}})"
                     r"(?=[ \t]*(?:[;,.)]|\Z|\n|[ \t](?:from|by|on|at|via)\b))")
_FOR_ONE_RE = re.compile(rf"(?<![\w-])(?i:given|slip|sent|issued|written|left|collected|booked|arranged|letter|leaflet"
                         rf"|prescription|script|card)[ \t]+for[ \t]+(?P<name>{TOKEN})(?=[ \t]*(?:[;,.)]|\Z|\n))")
# the sender of a message: "MyChart message from Shannon O'Rourke-Nakamura:"
_MESSAGE_FROM_RE = re.compile(rf"(?<![\w-])(?i:message|email|e-mail|text|msg|letter|voicemail|note)[ \t]+from[ \t]+"
                              rf"(?P<name>{TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{TOKEN}){{1,2}})"
                              r"(?=[ \t]*(?:[:;,(]|\Z|\n))")
_SUBJECT_RE = re.compile(
    rf"(?:^|(?<=[;:.])[ \t]|(?<=\n))[ \t]*(?P<name>{TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{TOKEN}){{1,2}})[ \t]+"
    r"(?=(?:declined|refused|agreed|consented|withdrew|to[ \t]+(?:have|attend|return|be[ \t]+seen|see|start|stop"
    r"|continue|collect)|sats|saturating|denies|reports|remains|was[ \t]+seen|seen[ \t]+by)\b)", re.M)
_BEFORE_RECORD_RE = re.compile(
    rf"(?<![\w'’-])(?P<name>{TOKEN}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{TOKEN}){{1,2}})[ \t]*\([ \t]*"
    r"(?:CHI|NHI|NHS|MRN|UR|BSN|NRIC|DOB|D\.O\.B|(?i:hosp(?:ital)?[ \t.]*no))\b")


# what follows a role and is no person: "HCA Support;", "escort Required.", "interpreter Bank;"
_SERVICE_WORDS = frozenset("""Support Team Service Services Staff Cover Bank Agency Rota Shift Duty Lead Review Advice
Office Desk Line Hub Unit Ward Clinic Only Present Absent Available Unavailable Aware None Nil Pending Input Role
Post Vacancy Hours Request Referral Contact Visit""".split())


# the first word of a product made for an age group ("Infant Motrin", "Junior Disprol", "Children's Nurofen")
_AGE_GROUP_WORDS = frozenset("""Infant Infants Junior Juniors Child Childrens Children's Children’s Kids Kiddies
Paediatric Pediatric Adult Adults Teen Toddler""".split())


def _words_ok(name: str, minimum: int, loose: bool = False) -> bool:
    """Each word a person's word; the last of two or more may be a listed surname that is also a word ("Min-jun
    Park"), and after a particle any uncommon capitalised word ("de Vries"). ``loose`` (after a login's or a
    message's cue): any uncommon capitalised word that names no service ("Ines Carvalho")."""
    from meddx.deid.names_objects import _NOT_PEOPLE, _person_word

    parts = name.split()
    words = [w for w in parts if not w[0].islower()]  # the particles are the lower-case words
    if any(w in _SERVICE_WORDS for w in words) or (len(parts) > len(words) and parts[0] in _PLACE_FIRST):
        return False
    if loose and len(words) >= minimum and all(
            w.lower() not in lexicon.common_words() and w not in _NOT_PEOPLE and not w.isupper() for w in words):
        return True
    if len(words) < minimum or not all(_person_word(w) for w in words[:-1]):
        return False
    last = words[-1]
    return _person_word(last) or len(words) > 1 and (last in lexicon.surnames() or (
        len(parts) > len(words) and last.lower() not in lexicon.common_words()))


# cheap substring tests (on the lower-cased text) before each pattern: most notes hold none of the cues
_GATES = {
    _ROLE_ONE_RE: ("prosthetist", "orthotist", "claimant", "detainee", "defendant", "complainant", "endoscopist", "hca",
                   "hcsw", "carer", "worker", "housemate", "flatmate", "lodger", "physio", "dietitian", "paramedic",
                   "interpreter", "chaperone", "escort", "advocate", "student", "caller", "sonographer"),
    _PT_NOT_RE: ("not", "n't", "n’t"),
    _GIVEN_TO_RE: (" to ",),
    _FOR_RE: ("log", "session", "account", "access", "portal"),
    _FOR_ONE_RE: (" for ",),
    _SUBJECT_RE: ("declined", "refused", "agreed", "consented", "withdrew", " to ", "sats", "saturating", "denies",
                  "reports", "remains", "seen"),
    _BEFORE_RECORD_RE: ("(",),
    _MESSAGE_FROM_RE: (" from ",),
}
_PARTICLE_GATE_RE = re.compile(rf"[ \t]{_PARTICLE}[ \t]+[A-Z]")


def _eponym_inside(text: str, start: int, end: int) -> bool:
    """A word of the span names a disease or a sign by what follows it ("Bell Palsy", "Wilson disease")."""
    return any(is_eponym_use(text, start + w.end()) for w in re.finditer(r"\S+", text[start:end]))


def find_heading_names(text: str) -> list[Cand]:
    """NAME candidates of the shapes in the module docstring."""
    out: list[Cand] = []
    low = text.lower()
    for m in _HEADING_RE.finditer(text):
        if m.group("name").split()[0] in _AGE_GROUP_WORDS:
            continue  # "Infant Motrin (2) at night.": a product for an age group and a count, no person (round 22)
        if _words_ok(m.group("name"), 1 if m.group("age") else 2) \
                and not _eponym_inside(text, m.start("name"), m.end("name")):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "heading-field", 54))
    for m in _PARTICLE_RE.finditer(text) if _PARTICLE_GATE_RE.search(text) else ():
        if _words_ok(m.group("name"), 2) \
                and not _eponym_inside(text, m.start("name"), m.end("name")):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "particle", 54))
    for m in _LIST_RE.finditer(text) if re.search(r"\d\.[ \t]+[A-Z]", text) else ():
        items = [i for i in _ITEM_RE.finditer(text, m.start(), m.end())]
        if all(_words_ok(i.group("name"), 2) for i in items):
            out += [Cand(i.start("name"), i.end("name"), "NAME", "name-list", 54) for i in items]
    for rx, minimum in ((_ROLE_ONE_RE, 1), (_PT_NOT_RE, 1), (_GIVEN_TO_RE, 2), (_FOR_RE, 2), (_FOR_ONE_RE, 1),
                        (_SUBJECT_RE, 2), (_BEFORE_RECORD_RE, 2), (_MESSAGE_FROM_RE, 2)):
        if not any(word in low for word in _GATES[rx]):
            continue
        for m in rx.finditer(text):
            loose = rx in (_FOR_RE, _MESSAGE_FROM_RE) or rx is _ROLE_ONE_RE and " " in m.group("name")
            if _words_ok(m.group("name"), minimum, loose) and not _eponym_inside(text, m.start("name"), m.end("name")):
                out.append(Cand(m.start("name"), m.end("name"), "NAME", "name-shape", 54))
    return out
