"""Names after cues the other name rules do not know: any "<verb>ed by:" label ("Reconciled by:",
"Screened by:"), a British role or title before the name ("carer Precious Moyo", "HCA B. Holloway"),
a name in capitals before an MRN or DOB field in the middle of a line ("Case 4 of 11: MARGARET ANNE
DOYLE   MRN ..."), and hyphenated initials ("Dr S.-J. Lindqvist").

Split out of ``names`` to keep each module small; the word tests are those of ``names``.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.names_lines import result_term
from meddx.deid.patterns import Cand

# "Reconciled by:", "Screened by:", "Triaged by:": what a person does to a record or a patient (not "Caused by:",
# "Complicated by:", which a finding follows)
BY_LABEL_RE = re.compile(r"(?i:\b(?:reconciled|screened|triaged|assessed|checked|administered|dispensed|counsell?ed"
                         r"|interviewed|recorded|supervised|countersigned|co-signed|handed[ \t]+over|received|booked"
                         r"|taken|clerked|scribed|escorted|swabbed|consented|vaccinated|immuni[sz]ed|injected"
                         r"|inserted|removed|reported|attended|accompanied|updated|amended|edited)[ \t]+by)[ \t]*:[ \t]*")
# Roles written before a name in British notes (a care worker, a healthcare assistant, a nurse specialist);
# "carer" in lower case too ("found by carer Precious Moyo")
# (the ninth review: any nurse, a physio, dietitian, pharmacist, paramedic, a fellow, a district nurse "DN", an OT or
# SLT, a police constable "PC"/"DC", a housemate: "Parkinson's nurse Tracey Hume", "PC Jane Hollis", "OT: Shona
# MacPhail"; one word alone must be a listed name, "nurse Prescriber", "OT Kitchen assessment" stay)
ROLE_RE = re.compile(r"(?<![\w-])(?:(?i:carer|care[ \t]+worker|support[ \t]+worker|key[ \t]+worker|health[ \t]+visitor"
                     r"|social[ \t]+worker|district[ \t]+nurse|practice[ \t]+nurse|nurse|physio|physiotherapist"
                     r"|dietitian|dietician|pharmacist|paramedic|housemate|flatmate|lodger|participant|owner|keeper)"
                     r"|HCA|HCSW|CNS|ANP|RMN|RGN|SHO|FY[12]|F[12]|Registrar|Porter|DSN|Fellow|DN|OT|SLT|PC|DC|PCSO"
                     r"|HV|CPN|SpR|StR|ACP|SNOD"  # health visitor, community psychiatric nurse, registrars, advanced
                     # clinical practitioner (the thirteenth review's fresh lines: "shared ... by HV Angharad Price");
                     # round 18: a pet's owner or keeper in a vet record filed in error, an organ-donation nurse
                     r"|DS|DI|Sgt|SGT|Sergeant|Constable|Inspector|Insp)"
                     r"(?:[ \t]*:[ \t]*|[ \t]+)(?=[A-Z])")
# "by J. Haworth OH nurse", "given by K. Sandhu": an initial and a surname after "by" (a person; an organism
# is written with a lower-case species, "caused by E. coli")
BY_INITIAL_RE = re.compile(r"(?<![\w-])by[ \t]+(?P<name>[A-Z]\.[ \t]?[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?![\w'’-])")
# A name in capitals (2-4 words, "SURNAME, FIRST M" too) right before a record field on the same line
CAPS_BEFORE_FIELD_RE = re.compile(
    r"(?<![\w'’-])(?P<name>[A-Z][A-Z'’-]+(?:,?[ \t][A-Z][A-Z'’-]+){1,3}(?:[ \t][A-Z]\.?)?)"
    r"(?=[ \t]{2,}(?:MRN|DOB|D\.O\.B|NHS[ \t]+(?:No|Number)|Hosp(?:ital)?[ \t]+No|UR[ \t]+No)\b)")
# "Dr S.-J. Lindqvist": initials joined by a hyphen, then a surname
HYPHEN_INITIALS_RE = re.compile(r"(?<![\w.])(?:Dr|Mr|Mrs|Ms|Prof)\.?[ \t]+(?P<name>[A-Z]\.-[A-Z]\.[ \t]+"
                                r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?)")


# A role, not a person, ending what follows a by-label: "Checked by: Ward Pharmacist", "Taken by: Ambulance Crew",
# "Reported by: Duty Radiographer" (a person's name after the role, "Staff Nurse Jones", ends in the name)
_ROLE_END_RE = re.compile(r"(?:ologist|acist|apist|ician|grapher|edic|crew|nurse|staff|midwife|porter|clerk|team|doctor"
                          r"|consultant|registrar|student|assistant|practitioner|worker|carer|pharmacy|receptionist"
                          r"|prescriber)s?$")
# An institution after the role is no person: "Fellow Royal College of Surgeons", "Fellow Royal Society"
_BODY_WORDS = frozenset("Royal College Colleges Society Academy University Institute Faculty Association".split())

# A staff role written before a name or alone after a label: "Referred by GP Dr. Amelia Hart" (the name has its own
# title), "Seen by Physio", "Reviewed by Registrar Okafor" (the name is "Okafor")
_ROLE_WORDS = frozenset("GP Physio Physiotherapist Dietitian Dietician Pharmacist OT SLT SALT HCA SHO FY1 FY2 "
                        "Registrar Midwife Paramedic Podiatrist Judge Magistrate Solicitor Barrister Coroner".split())


def drop_roles(text: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """``span`` without its leading role words; ``None`` when nothing else is left."""
    while span is not None:
        m = re.match(r"(\S+)[ \t]*", text[span[0]:span[1]])
        if m is None or m.group(1) not in _ROLE_WORDS:
            return span
        span = (span[0] + m.end(), span[1]) if span[0] + m.end() < span[1] else None
    return None


# Police ranks; the short ones ("PC", "DC", "DS", "DI": presenting complaint, discharge, discharge summary, diabetes
# insipidus) only in a note that mentions the police
_POLICE_RANKS = frozenset("PC DC PCSO DS DI Sgt SGT Sergeant Constable Inspector Insp".split())
_POLICE_SELF = frozenset("Sgt SGT Sergeant Constable".split())
_POLICE_CONTEXT_RE = re.compile(r"(?i:\b(?:police|officers?|constable|collar|custody|arrest(?:ed)?|crime|cid)\b)")
# A role written as a word ("physio", "carer", "nurse"), not an abbreviation ("OT Kitchen assessment", "SHO Rota")
_WORD_ROLE_RE = re.compile(r"[A-Za-z][a-z]+(?:[ \t]+[a-z]+)?")


def _one_word_name(text: str, m: re.Match[str], word: str) -> bool:
    """One unlisted name-shaped word after a role is a name ("physio Gemma today", "carer Precious", "PC Halsted" in
    a note about the police): after a role written as a word, or a police rank; not a common or English-looking
    word ("nurse Prescriber", "physio Assessment", "DC Cardioversion"), nor a short or verb-shaped one ("Nurse Led")."""
    from meddx.deid.names import _VERB_FORM_RE, cap_name_ok, english_looking, name_like

    word = word.strip(",.")
    if _police_rank(text, m):  # (an -ed surname too: "PC Halsted"; not what a patient was: "PC Collapsed")
        return (name_like(word, caps_ok=False) and word.lower() not in _COMPLAINTS and len(word) > 2
                and not (english_looking(word) and not word.endswith("ed")))
    cue = text[m.start():m.end()].rstrip(": \t")
    return (cap_name_ok(word) and word.lower() not in lexicon.common_words() and len(word) > 3
            and not _VERB_FORM_RE.fullmatch(word) and _WORD_ROLE_RE.fullmatch(cue) is not None
            and cue not in ("Registrar", "Porter", "Fellow") and cue not in _POLICE_RANKS)


_COMPLAINTS = frozenset("collapsed collapse intoxicated assaulted arrested injured stabbed found unresponsive "
                        "agitated aggressive overdose".split())


def _police_rank(text: str, m: re.Match[str]) -> bool:
    """The role of ``m`` is a police rank, and the rank is spelt out or the note mentions the police."""
    cue = text[m.start():m.end()].rstrip(": \t")
    return cue in _POLICE_RANKS and (cue in _POLICE_SELF or _POLICE_CONTEXT_RE.search(text) is not None)


def find_role_names(text: str) -> list[Cand]:
    """NAME candidates after the cues above."""
    from meddx.deid.names import _SERVICE_WORDS, _VERB_FORM_RE, _take_name, cap_name_ok, english_looking, is_eponym_use

    out: list[Cand] = []
    for rx, caps_ok, rule in ((BY_LABEL_RE, True, "label"), (ROLE_RE, False, "title")):
        for m in rx.finditer(text):
            span = _take_name(text, m.end(), caps_ok=caps_ok)
            if span is None or is_eponym_use(text, span[1]):
                continue
            words = text[span[0]:span[1]].title().split()
            if _ROLE_END_RE.search(words[-1].strip(",.").lower()) or not _BODY_WORDS.isdisjoint(words):
                continue
            bare = [w.strip(",.") for w in words]
            unlisted = [w for w in bare if not lexicon.is_listed(w, parts=True)]
            officer = len(bare) == 1 and _police_rank(text, m)  # "PC Halsted" (an -ed surname) near "police"
            if rule == "title" and not officer and (any(_VERB_FORM_RE.fullmatch(w) for w in unlisted if w != bare[0])
                                                    or len(unlisted) == len(bare) and english_looking(bare[-1])
                                                    and not bare[-1].endswith("y")
                                                    and not (len(bare) > 1 and cap_name_ok(bare[0]))):
                # a heading after a role: "Paramedic Crew Arrived", "DC Cardioversion Successful" (not "carer
                # Precious Moyo", nor a surname in -ly: "F1 Holly Brennan", "Paramedic Tom Reilly"; a heading's
                # verb follows its noun, a first word in -led or -hed is a first name: "HCA Khaled Mansour"; and
                # a heading's first word is no name either: "Carer Rutendo Masters", "HCA Tendai Blessings")
                continue
            # one word alone (an acronym beside it aside: "Ascites NEC") must be a listed name ("Covered by: Physio"
            # stays), and no drug or salt word ("Reconciled by: Calcium Gluconate" is a slip, not a person)
            kept = [w for w in text[span[0]:span[1]].split() if not (w.isupper() and 1 < len(w.strip(",.")) <= 4)]
            alone = len(kept) <= 1 and not (kept and (lexicon.is_listed(kept[0].strip(",.").title())
                                                      or rule == "title" and _one_word_name(text, m, kept[0])))
            if _SERVICE_WORDS.isdisjoint(words) and not alone and not any(result_term(w) for w in words) and not all(
                    w.lower().rstrip(".") in lexicon.common_words() for w in words):
                out.append(Cand(span[0], span[1], "NAME", rule, 55))
    common = lexicon.common_words()
    fields = any(f in text for f in ("MRN", "DOB", "D.O.B", "NHS", "Hosp", "UR "))
    for m in CAPS_BEFORE_FIELD_RE.finditer(text) if fields else ():
        words = [w.strip(",.'’") for w in m.group("name").split()]
        # a listed first name or surname among them (or the "SURNAME, FIRST I" shape), and no organism, drug or finding word ("Diagnosis:
        # ESCHERICHIA COLI   MRN ..." and "ABSOLUTE COUNT   DOB" stay)
        shaped = "," in m.group("name") and len(words[-1]) == 1  # "LINCOLN, DAKOTA R": surname, first name, initial
        if (shaped or any(lexicon.is_listed(w.title()) for w in words)) and not any(
                w.lower() in common or result_term(w) or (english_looking(w) and not lexicon.is_listed(w.title()))
                for w in words if len(w) > 1):  # "CALIFORNIA ENCEPHALITIS   DOB" stays
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "header", 55))
    out += [Cand(m.start("name"), m.end("name"), "NAME", "title", 56) for m in HYPHEN_INITIALS_RE.finditer(text)
            if ".-" in text]
    for m in BY_INITIAL_RE.finditer(text):
        surname = m.group("name").split(".")[-1].strip()
        if not result_term(surname) and cap_name_ok(surname):
            out.append(Cand(m.start("name"), m.end("name"), "NAME", "label", 55))
    return out
