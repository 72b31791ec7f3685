"""Candidates that are not identifiers although a rule found them (the twelfth review's over-scrubs), dropped or
trimmed before the detector resolves overlaps:

- a word after a title that says how a service is run or who the doctor is, not who: "Nurse Led clinic",
  "Doctor-run", "Dr reg review", "Dr FY1 to see";
- a charity named for a person ("Marie Curie night sitter", "Called Macmillan", "Sue Ryder hospice"), unless a
  title makes it a person ("Dr Macmillan");
- a clinic named only by what it treats and how ("Virtual Fracture Clinic", "Rapid Access Chest Pain Clinic"), or
  by ordinary words (round 22: "Healthy Minds Clinic");
- a team's acronym taken as a name after "discussed with" ("MASH duty SW", "CAMHS team", "MARAC referral");
- a year after "Extension" that names a study, not a telephone ("Extension 2024 substudy", "extension 2019 of the
  trial");
- the field label that ends a name on a ward list ("RAO, Venkata  Ward: 23": "Ward" is the next field's label).
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.patterns import Cand

# how a service is run, after "Nurse"/"Doctor"/"Consultant": never a name
_RUN_BY_WORDS = frozenset("led run delivered based managed initiated only prescriber prescribing".split())
# grades and teams written after "Dr" ("Dr reg review", "Dr SHO to see"): the doctor is not named
_GRADES = frozenset("reg registrar sho spr fy1 fy2 f1 f2 ct1 ct2 ct3 st1 st2 st3 st4 st5 st6 st7 st8 resident intern "
                    "oncall on-call team cover review consultant locum".split())
_CHARITIES = frozenset(("Marie Curie", "Sue Ryder", "Macmillan", "MacMillan", "Maggie", "Barnardo", "Mencap", "Cruse",
                        "Samaritans", "Leonard Cheshire"))
_TITLE_BEFORE_RE = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Doctor)\.?|(?i:\bnamed|\bcalled[ \t]+mr"
                              r"|\bpatient|\bpt))[ \t]+\Z")
# what a clinic does and how, in words that name no place ("Fracture" is a common word already)
_SERVICE_WORDS = frozenset("""virtual rapid access urgent ambulatory integrated community specialist joint combined
outpatient inpatient paediatric pediatric one-stop walk-in daycase day virtual nurse-led consultant-led telephone
video remote hot fracture falls memory stroke frailty respiratory cardiac chest pain breast colorectal
fertility sexual health genitourinary gum eye hand foot ankle spinal spine lymphoedema lymphedema tia dvt
anticoagulation warfarin heart failure diabetes diabetic antenatal postnatal early pregnancy assessment
""".split())
_FACILITY_KINDS = frozenset("Clinic Clinics Service Services Unit Team Hub Pathway".split())
_TEAM_AFTER_RE = re.compile(r"[ \t]+(?i:duty|team|referral|referrals|meeting|worker|sw|nurse|service|hub|panel"
                            r"|conference|strategy|screening|threshold|practitioner|clinician|review)\b")
# the acronyms of safeguarding and mental health teams that have vowels (one without any is an acronym anyway)
_TEAM_ACRONYMS = frozenset("MASH MARAC MAPPA CAMHS CMHT CRHT HTT LADO IDVA ISVA EDT AMHP CLDT PALS IAPT DOLS EIP EIS "
                           "MIU UTC SDEC AMU CDU".split())
_STUDY_AFTER_RE = re.compile(r"[ \t]*(?:\((?i:of|for)\b|(?i:of[ \t]+the|study|substudy|sub-study|trial|phase|protocol"
                             r"|cohort|arm|part|programme|program|period|visit)\b)")
# the labels of a ward list's or a header's next field, taken into a name before them ("Ward:", "Bed:")
_FIELD_LABELS = frozenset("ward bed bay room unit mrn dob hosp cons consultant gp nhs chi age sex gender tel phone "
                          "address ref".split())
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
# a therapist's label in capitals ("PT:" is physiotherapy there, not "patient:")
_THERAPY_LABEL_RE = re.compile(r"(?<![\w-])(?:PT|OT|SLT|SALT|PHYSIO)[ \t]*:[ \t]*\Z")


def drop_overscrubs(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without the look-alikes above, and with a trailing field label cut off a name."""
    out: list[Cand] = []
    for c in cands:
        value = text[c.start:c.end]
        if _not_identifier(text, c, value):
            continue
        if c.type == "NAME":
            c = _without_label(text, c, value)
        out.append(c)
    return out


def _not_identifier(text: str, c: Cand, value: str) -> bool:
    if c.type == "PHONE":
        return (_YEAR_RE.fullmatch(value) is not None and _STUDY_AFTER_RE.match(text, c.end) is not None
                and re.search(r"(?i:extension|extn|ext)\.?[ \t:#]*\Z", text[max(0, c.start - 20):c.start]) is not None)
    if c.type == "NAME" and " " not in value and value.lower() in _RUN_BY_WORDS:
        return True  # "Nurse Led clinic", "Seen by Physio Led team"
    if c.type == "NAME" and c.rule == "label" and value.islower() and _THERAPY_LABEL_RE.search(
            text, max(0, c.start - 12), c.start) and not lexicon.is_listed(value.split()[0]):
        return True  # "PT: stair practice x 12": physiotherapy's label, not the patient's
    if c.type == "NAME" and c.rule == "title" and " " not in value:
        return value.lower() in _GRADES and not value.istitle()
    if c.type in ("NAME", "LOCATION") and re.sub(r"['’]s\Z", "", value) in _CHARITIES:  # ("Macmillan rang": who rang)
        return c.rule != "subject-verb" and _TITLE_BEFORE_RE.search(text, max(0, c.start - 20), c.start) is None
    if c.type == "NAME" and value.isupper() and value.isalpha() and 2 < len(value) <= 6:
        acronym = value in _TEAM_ACRONYMS or not re.search("[AEIOUY]", value)  # "OKONJO team" is a surgeon's
        return acronym and _TEAM_AFTER_RE.match(text, c.end) is not None
    if c.type == "LOCATION" and c.rule == "facility":
        words = value.split()
        common = lexicon.common_words()
        return (len(words) > 1 and words[-1] in _FACILITY_KINDS
                and (all(w.lower() in _SERVICE_WORDS or w.lower() in common for w in words[:-1])
                     or _ordinary_phrase(text, c.start, words[:-1], common)))
    return False


_COMMON_BEFORE_RE = re.compile(r"(?<![\w'’-])([A-Z][a-z]+)[ \t]+\Z")


def _ordinary_phrase(text: str, start: int, words: list[str], common: frozenset[str]) -> bool:
    """"Healthy Minds Clinic" (round 22): the rule left out the common first word; the rest is English-shaped, so the
    clinic is named by ordinary words, not by a place or a person ("Jenkins Clinic" has no common word before)."""
    from meddx.deid.names import english_looking

    before = _COMMON_BEFORE_RE.search(text, max(0, start - 20), start)
    return (before is not None and before.group(1).lower() in common
            and all(english_looking(w) and not lexicon.is_listed(w) for w in words))


def _without_label(text: str, c: Cand, value: str) -> Cand:
    """"RAO, Venkata Subrahmanyam  Ward" before ": 23": the last word, right before a colon, is a field label."""
    m = re.search(r"[ \t]+(\S+)\Z", value)
    if m and m.group(1).lower() in _FIELD_LABELS and text.startswith(":", c.end) and value[:m.start()].strip(" \t,"):
        return Cand(c.start, c.start + m.start(), c.type, c.rule, c.priority)
    return c
