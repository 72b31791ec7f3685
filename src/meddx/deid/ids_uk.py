"""Identifiers in British shapes that the US-centred patterns of ``patterns`` miss: a National
Insurance number ("QQ 12 34 56 C"), a vehicle registration ("DX19 KLP"), a mobile written 5-3-3
("07449 802 116"), a landline ("0161 474 3870"), an NHS or CHI number without "No" ("NHS 401 023 2137",
"CHI 1208754431"), an ambulance call sign ("CALLSIGN NW-417"), a police reference or collar number ("crime ref
12/3456/22", "PC 1234") and an internal bleep, pager or extension number ("bleep 4421", "pager #2231", "ext
2214": a telephone number, Safe Harbor item D, however short).

Hand-written (no library knows these shapes offline); a spaced NI number and a 07 mobile stand
alone, the others need a context word.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.patterns import LAB_PLATE, TIME_SPANS, Cand

# National Insurance number: two letters, three pairs of digits, a final A-D; spaced it stands alone,
# run together it needs "NI"/"NINO"/"National Insurance" before it (else it is any 9-character code)
NI_SPACED_RE = re.compile(r"(?<![\w-])[A-Z]{2} \d{2} \d{2} \d{2} [A-D](?![\w-])")
NI_CTX_RE = re.compile(r"(?:\bNI(?:NO)?|(?i:\bnational\s+insurance))(?:\s*(?:No\.?|Number|#))?[\s:#.]*"
                       r"(?P<val>[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D])(?![\w-])")
# Current-style registration after a vehicle word: two letters, two digits, three letters ("vehicle DX19 KLP",
# "VEHICLE REG YN68 ZTR"); alone the shape is also a virus or a gene ("SV40 DNA")
# (not a culture plate: "Blood agar plate AB12 CDE" is a laboratory label)
PLATE_CTX_RE = re.compile(r"(?i:\b(?:vehicle|reg(?:istration)?|vrm|car|van|lorry|truck|" + LAB_PLATE
                          + r"plate))\b[^\n\d]{0,12}?"
                          r"(?P<val>(?-i:[A-Z]{2}\d{2}\s?[A-Z]{3}|[A-Z]\d{1,3}\s?[A-Z]{3}|[A-Z]{3}\s?\d{1,3}[A-Z]))(?![\w-])")
# (and, round 24, the older prefix and suffix shapes after the same words: "car reg A123 BCD", "reg ABC 123D")
# "07449 802 116", "07700 900461": a UK mobile (07xxx) in 5-3-3 or 5-6 groups, no phone word needed
UK_MOBILE_RE = re.compile(r"(?<![\w+/.-])07\d{3} (?:\d{3} \d{3}|\d{6})(?![\w/-]|[ .]\d)")
# "(020 8947 3310)", "duty line 0161 474 3870", "029 2034 1189": a UK or Irish landline, trunk 0 and spaced groups,
# 10-11 digits; no phone word needed. Not "010..." (no such area code in either country) and not before a unit:
# "Dose 0100 200 300 units" is a list of doses (a unit of one or two letters in lower case only: "0161 474 3870 G
# Harris (son)" and "ML Patel" are the owner's initials)
_LANDLINE = r"(?<![\w+/.-])0(?!10)[1-9]\d{1,3} \d{3,4} ?\d{3,4}(?![\w/-]|[ .]\d)"
UK_LANDLINE_RE = re.compile(_LANDLINE + r"(?![ \t]*(?:(?i:units?|iu|mg|mcg|micrograms?|mmol|doses?|tablets?|tabs?)"
                                         r"|ml|mL|g|kg)\b)")
# the same without its unit test, for ``_landlines_before_initials``
_LANDLINE_NO_UNIT_RE = re.compile(_LANDLINE)
# "bleep 4421", "Bleep: 2871", "pager #2231", "pager 5-3390", "ext 2214", "extension 4471": an internal number,
# 3-6 digits (or 1-2, a hyphen and 4) after the word (not "page 2 of 4", "knee extension 10 degrees": "page" is left
# out and "extension" needs four digits or more; nor a number before a unit, a per cent, an angle or a force: "Knee
# extension 1000 N"; nor a product's model: "ward pager 500 series")
INTERNAL_PHONE_RE = re.compile(r"(?i:\b(?:bleep|bleeper|pager|beeper|ext|extn|extension)\b)\.?[ \t]*"
                               r"(?:(?i:no|number)\.?)?"
                               r"[ \t:#]*(?P<val>\d{1,2}-\d{4}|\d{3,6})(?![\w/°]|[.,]\d)"
                               r"(?![ \t]*(?:%|(?i:units?|mg|ml|degrees?|deg|newtons?|series|models?|range|version"
                               r"|generation|mk)\b|N\b|Nm\b))")
# "Knee flex 120 ext 180", "lumbar flex/ext 100%", "Hip ext 120": a range of movement ("flex" shortly before, or a
# joint right before; "Hip fracture CNS ext 4471" and "call back ext 2214" are telephone numbers), three digits at most:
# an angle is no more than 360, and "Knee clinic ext 2214", "Flex sig booked, call ext 2231" are telephone numbers
_MOVEMENT_BEFORE_RE = re.compile(r"(?i:\bflex(?:ion)?\b[^\n]{0,20}|\b(?:knee|hip|elbow|wrist|shoulder|spine|lumbar"
                                 r"|cervical|neck|ankle|finger|thumb|toe|mcpj?|pipj?|dipj?|rom)[ \t]+(?:[\w/]+[ \t]+)?)$")
# "NHS 401 023 2137" (no "No"), "CHI 1208754431" (Scotland's community health index): a health-service number
HEALTH_NO_RE = re.compile(r"\b(?:NHS|CHI)(?:\s*(?:No\.?|Number|#))?[\s:#]*(?P<val>\d{3}[ -]?\d{3}[ -]?\d{4})(?![\w-])")
# "crime ref 12/3456/22", "incident number 4567 of 12/03", "Police ref CAD 4471/14JAN", "collar no. 4471": a police
# reference or an officer's number (a unique identifying number, Safe Harbor R); a reference word is needed after
# "crime"/"incident"/"log" ("log 10 reduction" and "incident 2 of 3" stay) and three digits or more
POLICE_REF_RE = re.compile(r"(?i:\b(?:crime|incident|occurrence|police|storm)[ \t]*(?:ref(?:erence)?|no|number|num|log|#)"
                           r"(?![\w])\.?|\bcollar(?:[ \t]*(?:no|number|num|#)(?!\w))?\.?"
                           r"|\bwarrant[ \t]*(?:no|number|num|#)(?!\w)\.?|\bshoulder[ \t]*(?:no|number|num)(?!\w)\.?)"
                           r"[ \t:#]*(?:(?i:no|number)\.?[ \t:#]*)?"
                           r"(?P<val>\d{2,6}[ \t]+of[ \t]+\d{1,2}/\d{1,2}(?:/\d{2,4})?"
                           r"|(?:[A-Z]{2,4}[ ])?(?=[A-Z0-9/-]*\d)[A-Z0-9]+(?:[/-][A-Z0-9]+)*)(?![\w/])")
# ("shoulder #" is no shoulder number but a fracture: "R shoulder # 6/52 ago"); after "collar" alone, a number in
# digits (a letter or two after them) before no span or size: "Philadelphia collar 6/52", "Hard collar 10-12 weeks" are a spinal collar
_COLLAR_NO_RE = re.compile(r"\d{3,6}[A-Z]{0,2}")
_SPAN_OR_SIZE_RE = re.compile(rf"[ \t]*(?i:{TIME_SPANS}|mm|cm)\b")
# the public numbers of the police and the NHS, never a reference: "Police number 101", "PC 999 call" (a
# presenting complaint)
_PUBLIC_NUMBERS = frozenset({"999", "111", "101", "112", "911"})
# "PC 1234 Smith", "PCSO 4471": a constable's collar number (not "DC 200J", "PC 2 of 3", nor a pressure-control
# setting or a diet: "PC 100 mmHg", "DC 1500 kcal")
OFFICER_NO_RE = re.compile(r"\b(?:PC|PCSO|Sgt|DC(?=[ \t]+\d{4}))[ \t]+(?P<val>\d{3,5})(?![\w%./°-]|[ \t]*(?i:j|joules?|mg|ml"
                           r"|v|volts?|w|watts?|units?|mcg|g|kcal|cal|mmhg|cmh2o)\b)")
# "0161 474 3870 g harris (son)": a landline, then its owner's initial and surname in lower case, which the unit test
# above reads as grams; a listed surname that is no common word after the letter ("g of paracetamol", "g iron" stay)
_LANDLINE_INITIAL_RE = re.compile(r"[ \t]+g[ \t]+(?P<surname>[a-z]{2,}(?:['’-][a-z]+)*)(?![\w'’-])")
# Australian numbers: "02 9845 6000" (a landline: area code, two groups of four), "0412 345 678" (a mobile)
AU_PHONE_RE = re.compile(r"(?<![\w+-])(?:0[2378][ \t]\d{4}[ \t]\d{4}|04\d{2}[ \t]\d{3}[ \t]\d{3})(?![\w-]|[.,]\d)")
CALLSIGN_RE = re.compile(r"(?i:\bcall[\s-]?sign)[\s:#]*(?P<val>[A-Z0-9]+(?:-[A-Z0-9]+)*)(?![\w-])")


def find_uk_ids(text: str) -> list[Cand]:
    """SSN (NI number), VEHICLE, PHONE and ID candidates of the shapes above."""
    out = [Cand(m.start(), m.end(), "SSN", "ni-number", 91) for m in NI_SPACED_RE.finditer(text)]
    out += [Cand(m.start("val"), m.end("val"), "SSN", "ni-number", 91) for m in NI_CTX_RE.finditer(text)]
    out += [Cand(m.start("val"), m.end("val"), "VEHICLE", "uk-plate", 86) for m in PLATE_CTX_RE.finditer(text)]
    out += [Cand(m.start(), m.end(), "PHONE", "phone-uk-mobile", 80) for m in UK_MOBILE_RE.finditer(text)]
    out += [Cand(m.start(), m.end(), "PHONE", "phone-uk-landline", 78) for m in UK_LANDLINE_RE.finditer(text)
            if len(re.sub(r"\D", "", m.group())) in (10, 11)]
    out += [Cand(m.start(), m.end(), "PHONE", "phone-uk-landline", 78) for m in _landlines_before_initials(text)]
    out += [Cand(m.start(), m.end(), "PHONE", "phone-au", 78) for m in AU_PHONE_RE.finditer(text)]
    out += [Cand(m.start("val"), m.end("val"), "PHONE", "phone-internal", 79) for m in INTERNAL_PHONE_RE.finditer(text)
            if not (m.group().lower().startswith("extension") and len(m.group("val")) < 4)
            and not (m.group().lower().startswith("ext") and len(m.group("val")) <= 3  # an angle: 0-360
                     and _MOVEMENT_BEFORE_RE.search(text, max(0, m.start() - 30), m.start()))]
    out += [Cand(m.start("val"), m.end("val"), "HEALTH_PLAN", "health-no", 92) for m in HEALTH_NO_RE.finditer(text)]
    for rx in (POLICE_REF_RE, OFFICER_NO_RE):
        out += [Cand(m.start("val"), m.end("val"), "ID", "police-ref", 85) for m in rx.finditer(text)
                if _police_number(text, m)]
    out += [Cand(m.start("val"), m.end("val"), "ID", "callsign", 85) for m in CALLSIGN_RE.finditer(text)
            if any(ch.isdigit() for ch in m.group("val"))]
    return out


def _landlines_before_initials(text: str) -> list[re.Match[str]]:
    """Landlines that ``UK_LANDLINE_RE`` refused for a one-letter unit that is the owner's initial ("0161 474 3870 g
    harris"): a listed surname, no common word, follows the letter."""
    found = []
    for m in _LANDLINE_NO_UNIT_RE.finditer(text) if " g " in text else ():
        after = _LANDLINE_INITIAL_RE.match(text, m.end())
        word = after.group("surname") if after else ""
        if word and word.capitalize() in lexicon.surnames() and word not in lexicon.common_words() \
                and len(re.sub(r"\D", "", m.group())) in (10, 11):
            found.append(m)
    return found


def _police_number(text: str, m: re.Match[str]) -> bool:
    """A police reference or collar number: three digits or more, not a public number, and after "collar"
    alone a number that is no span of time nor a size."""
    val = m.group("val")
    if sum(ch.isdigit() for ch in val) < 3 or val in _PUBLIC_NUMBERS:
        return False
    if re.match(r"(?i:collar)\.?[ \t:#]*$", m.group()[:m.start("val") - m.start()]):
        return bool(_COLLAR_NO_RE.fullmatch(val)) and not _SPAN_OR_SIZE_RE.match(text, m.end("val"))
    return True
