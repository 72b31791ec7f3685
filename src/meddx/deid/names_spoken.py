"""Names in three shapes the other cue rules miss (found by the thirteenth review's blind lines):

- a spoken title in a dictation transcript, written in lower case ("dictated by doctor Fiona MacLeod", "mister
  Hiroshi Tanaka", "cc professor Anand Rao"); ``names.TITLE_RE`` wants "Dr", "Doctor", "Mr" capitalised;
- the signer of a consent form or a statement, in the first person ("I, Oluwaseun Adebayo-Williams, consent to",
  "I, Dr Mei-Ling Tan, have explained");
- a person at the start of a sentence, before a verb only a person does ("Macmillan rang re repeat prescription",
  "Bolanle works night shifts", "Okonkwo lives alone"). A charity named like a person ("Macmillan",
  ``overscrub_guards``) is kept as a charity elsewhere; as the subject of "rang" it is the person who rang.
  Round 17 added "attended", "consented", "may drive", "disclosed that/to/her", "collects" before a capitalised
  word or "his"/"her" ("Ibrahim collects Warfarin"; "Sputum collects in" stays), and an age in brackets between
  the name and the verb ("Crisis team note: Jaden (19) texted"); round 18 a journey ("Travel clinic: Laila Haddad
  flies to Kisumu", "travels abroad", "flew back"), a request or a missed session ("Hinemoa asked to stop",
  "Tamati Kereama missed Tuesday session") and "sleeping rough".

Every word taken passes ``cap_name_ok`` (capitalised, not a common word, not English-looking unless a listed name)
and is no team, department or service word, so "Pharmacy rang", "Radiology phoned" and "Switchboard rang" stay.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names import TOKEN, cap_name_ok, is_eponym_use
from meddx.deid.patterns import Cand

_SPOKEN_TITLE_RE = re.compile(rf"(?<![\w'’-])(?:doctor|mister|missus|misses|professor)[ \t]+"
                              rf"(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,2}})")
_FIRST_PERSON_RE = re.compile(rf"(?<![\w'’-])I,[ \t]*(?:(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor)\.?[ \t]+)?"
                              rf"(?P<name>{TOKEN}(?:[ \t]+{TOKEN}){{0,3}})[ \t]*(?:,|\((?i:patient|parent|nok|next)"
                              r"|[ \t](?i:of|hereby|consent|agree|confirm|understand|declare|give|have|am|was|being"
                              r"|the[ \t]+undersigned|acknowledge|authori[sz]e|request|wish|do)\b)")
# a sentence start: the text's start, a line start, or after ". ", "; ", "! ", "? " or "- "
_SUBJECT_RE = re.compile(rf"(?:^|(?<=[.;!?][ \t])|(?<=[.;!?][ \t]{{2}})|(?<=\n)|(?<=\n[ \t])|(?<=[:–-][ \t]))"
                         rf"(?P<name>{TOKEN}(?:[ \t]+{TOKEN})?)[ \t]+(?:\([ \t]*\d{{1,2}}[ \t]*\)[ \t]+)?"
                         r"(?=(?:rang|phoned|telephoned|rung|emailed|texted|attended|consented|may[ \t]+drive"
                         r"|disclose[sd][ \t]+(?:that|to|her|his|their|a|an)\b"
                         r"|collects[ \t]+(?:his|her|their|[A-Z][\w-]*)"
                         r"|(?:flies|flew|travels|travelled|traveled|is[ \t]+(?:flying|travelling|traveling))[ \t]+"
                         r"(?:to|from|abroad|out|back)|asked[ \t]+(?:to|for|if|whether|about)\b"
                         r"|missed[ \t]+(?:his|her|their|today's|[A-Z][a-z]+day(?:['’]s)?)[ \t]"
                         r"|(?:is[ \t]+)?sleeping[ \t]+rough"
                         r"|called[ \t]+(?:back|in|to|re|about|asking|from|the[ \t]+ward|this)"
                         r"|works[ \t]+(?:as|at|in|for|nights?|night[ \t]+shifts|shifts|part[ -]time|full[ -]time|from)"
                         r"|lives[ \t]+(?:alone|with|in|at|on|independently)|smokes|drinks[ \t]+(?:\d|alcohol|socially)"
                         r"|cares[ \t]+for|is[ \t]+(?:his|her|their|the[ \t]+patient's|pt's)[ \t]+"
                         r"(?:wife|husband|partner"
                         r"|son|daughter|mother|father|mum|dad|carer|sister|brother|niece|nephew|friend))\b)", re.M)
# who rings without being a person: departments, services, teams and places in a hospital
_NOT_PEOPLE = frozenset("""Pharmacy Switchboard Reception Radiology Lab Labs Laboratory Haematology Biochemistry
Microbiology Theatres Theatre Recovery Police Ambulance Control Housing Council Safeguarding Hospice Surgery Practice
Matron Ward Bay Triage Resus Majors Minors Clinic Team Family Patient Pt Daughter Son Wife Husband Mum Dad Carer
Neighbour Nobody Someone Everyone Staff Security Porters Portering Endoscopy Cardiology Oncology Renal Dialysis
Outpatients Admissions Bed Bureau Booking Appointments Coroner Registry Tusla Barnardos Mencap NSPCC
Samaritans Autopsy Biopsy Necropsy""".split())


def find_spoken_names(text: str) -> list[Cand]:
    """NAME candidates of the three shapes above."""
    common = lexicon.common_words()
    out: list[Cand] = []
    for rx, rule in ((_SPOKEN_TITLE_RE, "title"), (_FIRST_PERSON_RE, "label"), (_SUBJECT_RE, "subject-verb")):
        for m in rx.finditer(text) if rx is not _FIRST_PERSON_RE or "I," in text else ():
            span = _name_words(text, m.start("name"), m.end("name"), common)
            if span is not None and not is_eponym_use(text, span[1]):
                out.append(Cand(span[0], span[1], "NAME", rule, 55))
    return out


def _name_words(text: str, start: int, end: int, common: frozenset[str]) -> tuple[int, int] | None:
    """The leading words of ``text[start:end]`` that may be a name (see the module's docstring), or ``None``."""
    stop = start
    for m in re.finditer(r"\S+", text[start:end]):
        word = m.group()
        if word.lower() in common or word in _NOT_PEOPLE or not cap_name_ok(word):
            break
        stop = start + m.end()
    return (start, stop) if stop > start else None
