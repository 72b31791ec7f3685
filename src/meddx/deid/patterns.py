"""Regular expressions for the identifiers that have a shape: phones, e-mails, URLs, IPs, SSNs,
ages over 89, and numbers announced by a context word (MRN, member id, serial number...).

Each finder returns ``Cand`` tuples (start, end, type, rule, priority); ``detect`` resolves
overlaps by priority, then length. Nothing here keeps or logs the matched text.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Cand(NamedTuple):
    """A candidate span before overlap resolution (``rule`` names the pattern, never text)."""

    start: int
    end: int
    type: str
    rule: str
    priority: int


# ---- shapes without context -------------------------------------------------------------------

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
URL_RE = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'()\[\]]+"
    r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|io|info|health|us)\b(?:/[^\s<>\"'()\[\]]*)?",
    re.I,
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4_RE = re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d]|\.\d)")
IPV6_RE = re.compile(
    r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,6}(?::[0-9A-Fa-f]{1,4}){1,6}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,7}:)(?![\w:])"
)
MAC_RE = re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}(?:([:-])[0-9A-Fa-f]{2})(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-])")
PHONE_RE = re.compile(
    r"(?<![\w+/-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,5})?(?![\w/]|-\d)",
    re.I,
)
# "+33 6 12 34 56 78", "+44 (0)20 7946 0958", "+4915112345678" (8-15 digits, checked in code)
INTL_PHONE_RE = re.compile(r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?[ .-]?\d{1,5}(?:[ .-]\d{1,8}){1,6}(?![\w-])"
                           r"|(?<![\w+])\+[1-9]\d{7,14}(?![\w-])"
                           # "0044 20 7946 0958" (00 for +), "(020) 7946 0958" (a national trunk 0 in brackets)
                           r"|(?<![\w+])00[1-9]\d{0,2}[ .-]\d{1,5}(?:[ .-]\d{1,8}){1,6}(?![\w-])"
                           r"|(?<![\w(])\(0\d{1,4}\)[ ]?\d{3,4}[ -]?\d{3,4}(?![\w-])")
# "Mob 0412 783 556", "partner 0438 119 204": an Australian mobile number (04xx xxx xxx), no phone word needed
AU_MOBILE_RE = re.compile(r"(?<![\w+/.-])04\d{2}[ ]\d{3}[ ]\d{3}(?![\w/-]|[ .]\d)")
# "@midnight_marauder_77 on Instagram": a social-media handle (not the "@" of an e-mail address, nor "@ 10 mg")
# ("O2 @2L", "@0800", "@q6h", "@hs" are the shorthand "at")
HANDLE_RE = re.compile(r"(?<![\w@.])@(?P<h>[A-Za-z_][A-Za-z0-9_.]{1,28}[A-Za-z0-9_])(?![\w@])")
_HANDLE_SHAPE_RE = re.compile(r"_|[A-Za-z]\.[A-Za-z]|(?=(?:.*[A-Za-z]){4})(?=.*\d)")  # "_77", "caius.wren", "jsmith88"
_HANDLE_CTX_RE = re.compile(r"(?i:\b(?:instagram|insta|twitter|tiktok|snapchat|facebook|reddit|discord|threads|youtube"
                            r"|twitch|telegram|handle|username|user\s*name|social\s+media|posted|posting)\b)")
# "can be reached on 07700 900461", "Call us at 555-0148", "fax 07 3397 1290": loose digit groups after a phone word
PHONE_WORD_RE = re.compile(r"(?i:\b(?:phone|ph|tel|telephone|cell|cellphone|mobile|mob|pager|call(?:back)?|reached|reach"
                           r"|landline|whatsapp|fax|facsimile)\b)"
                           r"[^\d\n]{0,14}?(?P<num>\(?\d[\d() -]{5,16}\d)(?![\d/.-]\d)(?!\d)")
# "called her son at 555-1234", "Contact: 867-5309": a 7-digit local number after a phone word on its line
LOCAL_PHONE_RE = re.compile(r"(?<![\w/.+-])[2-9]\d{2}-\d{4}(?![\w/-]|\.\d)(?![ \t]*(?i:mg|mcg|ml|cc|g|kg|l|iu|units?"
                            r"|cells|copies|x|%|ng|pg|u)\b)")
_LOCAL_PHONE_WORD_RE = re.compile(r"(?i:\b(?:call(?:ed|ing|s|back)?|reach(?:ed)?|phone|tel|cell|mobile|contact|text(?:ed)?"
                                  r"|pager|beeper|number|home|work|line)\b|#)[^\n]{0,40}$")
_DATE_SHAPED_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{2,4}")
PHONE_CTX_DIGITS_RE = re.compile(
    r"(?i:\b(?:phone|tel|telephone|cell|mobile|pager|beeper|fax|contact|call|home|work)\b[\s:#.]*)(\d{10})(?!\d)"
)
FAX_BEFORE_RE = re.compile(r"(?i:\bfax(?:ed|ing)?\b|\bf\s*:|facsimile)[^\n\d]{0,14}$")
FAX_AFTER_RE = re.compile(r"^\s*(?i:\(\s*(?:fax|facsimile)\s*\)|(?:fax|facsimile)\b(?![\s:#.]*(?:number|no\.?|#)?[\s:#.]*[\d(+]))")
SSN_RE = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
SSN_CTX_RE = re.compile(
    r"(?i:\b(?:ssn|ss\s*#|soc(?:ial)?\.?\s+sec(?:urity)?\.?)(?:[\s:#.]|\b(?:number|no|on\s+file|is|of)\b)*)"
    r"(\d{3}[\s.-]?\d{2}[\s.-]?\d{4}|[Xx*]{3}-?[Xx*]{2}-?\d{4})(?!\d)"
)
# "IMG_4471.jpg", "wound_0312.png": a photograph's file name (with a digit: "logo.png" stays)
# (a full stop after it ends the sentence: "saved as OPTOS_R_20241204.jpg.")
IMAGE_FILE_RE = re.compile(r"(?<![\w./-])(?=[\w-]*\d)[\w-]+\.(?i:jpe?g|png|heic|heif|tiff?|bmp|gif)(?!\w|\.\w)")
VIN_RE = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]*\d)(?=[A-HJ-NPR-Z0-9]*[A-HJ-NPR-Z])[A-HJ-NPR-Z0-9]{17}\b")

# ---- ages over 89 -----------------------------------------------------------------------------

_OLD = r"(?:9\d|1[01]\d)"
_TENS_WORD = r"(?:ninety(?:[-\s](?:one|two|three|four|five|six|seven|eight|nine))?|one[-\s]hundred(?:[-\s](?:and[-\s])?\w+)?)"
_NO_DECIMAL = r"(?!\d|\.\d)"  # "95." ends a sentence; "95.5" is a measurement
AGE_RES = [
    re.compile(rf"(?<![\d.])(?P<age>{_OLD})(?=\s*-?\s*(?:years?|yrs?|y)\s*-?\s*(?:old|o\.?(?![a-z])|of\s+age))", re.I),
    re.compile(rf"(?<![\d.])(?P<age>{_OLD})(?=\s*(?:yo|y/o|y\.o\.?|yr\.?\s*old)(?!\w))", re.I),
    re.compile(rf"\b(?:age[ds]?|aged)\s*(?:of\s*)?:?\s*(?P<age>{_OLD}){_NO_DECIMAL}", re.I),
    re.compile(rf"\b(?P<age>{_TENS_WORD})(?=[-\s]years?[-\s]old)", re.I),
    # "94 years", "92 yrs": no span of 90+ years in a note is anything but an age
    re.compile(rf"(?<![\d.])(?P<age>{_OLD})(?=\s*(?:years?|yrs?)(?!\w))", re.I),
    # "She is 94.", "he's 91": a person, then the number alone (not "BP is 94/60", "sat is 94%")
    # ("she is ninety-one" too)
    _SHE_IS_RE := re.compile(rf"\b(?:she|he|patient|pt)(?:\s+(?:is|was)|'s)\s+(?:now\s+)?"
                             rf"(?P<age>{_OLD}{_NO_DECIMAL}|{_TENS_WORD}(?<!percent)(?![\w-]))"
                             r"(?!\s*(?:%|/|°|mm|kg|lb|bpm|cm|mg|percent))", re.I),
    # "she turned 92", "pt turns 90 next week", "her 95th birthday"
    _TURNED_RE := re.compile(rf"\b(?:he|she|pt|patient|who|they)\s+(?:just\s+|recently\s+)?turn(?:ed|s)\s+"
                             rf"(?P<age>{_OLD}){_NO_DECIMAL}(?!\s*(?:%|/|°|mm|kg|lb|bpm|cm|mg|percent))", re.I),
    re.compile(rf"(?<![\d.])(?P<age>{_OLD})(?:st|nd|rd|th)?\s*(?:birthday|b-?day)\b", re.I),
    # "a nonagenarian", "centenarians": words that say over 89 by themselves
    re.compile(r"\b(?P<age>(?:super)?centenarians?|nonagenarians?)\b", re.I),
    # "ninety-three y/o", "aged ninety-one", "in her 90s", "in his late nineties"
    re.compile(rf"\b(?P<age>{_TENS_WORD})(?=[-\s]*(?:yo|y/o|y\.o\.?|yrs?\.?[-\s]*old|years?\s+of\s+age)(?!\w))", re.I),
    re.compile(rf"\baged?\s+(?P<age>{_TENS_WORD})\b", re.I),
    # "pt ninety-three, fall on stairs": a spelled-out age over 89 alone between a patient word and a comma
    re.compile(rf"\b(?:pt|patient|client|resident)[ \t]+(?P<age>{_TENS_WORD})(?=[ \t]*[,;)])", re.I),
    # "a woman of ninety-one", "a gentleman of 93": a person "of" an age over 89
    re.compile(rf"\b(?:man|woman|gentleman|lady|patient|female|male|widow(?:er)?|person|veteran)[ \t]+of[ \t]+"
               rf"(?P<age>{_OLD}|{_TENS_WORD})(?![\w%°-]|\.\d|[ \t]*(?:%|kg|lbs?|pounds|mm|percent|mg))", re.I),
    _IN_THE_90S_RE := re.compile(r"\bin\s+(?:his|her|their)\s+(?:(?:early|mid|late)[-\s]*)?(?P<age>90['’]?s|nineties)"
                                 r"(?!\w)", re.I),
    # "92F with CHF", "a 92 M": sex right after the number (AGE_SEX_RE, below: not after a temperature word)
]
AGE_SEX_RE = re.compile(rf"(?<![\w.°-])(?P<age>{_OLD})[ \t]?(?:F|M)(?![\w°])")  # not "sat 92\nM..."
AGE_RES.append(AGE_SEX_RE)
# Forms that say "years" themselves; the others ("she was 92", "in her 90s", "92 F") may be a vital sign
_WEAK_AGES = frozenset({_SHE_IS_RE, _TURNED_RE, _IN_THE_90S_RE, AGE_SEX_RE})
# "sats in her 90s", "SpO2 92 F", "she was 92 on 2L": a saturation or other vital sign, not an age
_VITAL_BEFORE_RE = re.compile(r"(?i:\b(?:sats?|satting|saturations?|desat(?:urat)?(?:s|ed|ing|ion)?|spo2|sao2|o2"
                              r"|pulse[ \t]*ox|pox|hr|heart[ \t]+rate|rr|resp(?:irations|iratory[ \t]+rate)?|pulse|bp"
                              r"|map|glucose|fsbg|bg|wt|weight|fio2|room[ \t]+air)\b)[^.;:,\n]{0,24}$")
_OXYGEN_AFTER_RE = re.compile(r"(?i:[ \t]*(?:%|on[ \t]+(?:ra\b|room[ \t]+air|\d+(?:\.\d+)?[ \t]*(?:l|lpm|liters?)\b"
                              r"|nc\b|nasal|(?:bi)?pap|cpap|hfnc|nrb|high[ \t]*flow|the[ \t]+vent|vent)))")
_TEMPERATURE_BEFORE_RE = re.compile(r"(?i:\b(?:t|temp|temperature|t\s*max|tm|fever|febrile|afebrile|pyrexia)\b"
                                    r"[\s:=]*(?:(?:of|to|was|is|at|up\s+to)\s+)?)$"
                                    # "over 38.3 C (101 F)", "call if above 101 F": a threshold or a conversion
                                    r"|\d[ \t]*°?[ \t]*C[ \t]*[(/=][ \t]*$|(?i:\b(?:over|above|greater\s+than|exceeds?"
                                    r"|higher\s+than|below|under|less\s+than)[ \t]+|[<>≥≤][ \t]*)$")

# ---- identifiers announced by a context word ---------------------------------------------------

_SEP = (r"(?i:[\s:#=.\-№]|n[º°](?!\w)|\b(?:number|num|nbr|no|id|identifier|code|template|record|hash|ref|reference|is|was"
        r"|on|file|as|of)\b)*")
# A value written in groups ("XYP 884 21 9034", "W 2918 4471 03", "2 84 05 75 123 456 78", "CX 55218 Q"),
# else one code with an optional short suffix group ("7ABC 123").
# A dot before a digit continues the value ("Policy # 615.786.6225"): the dotted form is taken whole below.
_SPACED_VALUE = r"(?:[A-Z]{1,4}[ ])?\d[\dA-Z]*(?:[ ]\d[\dA-Z]*){0,7}(?:[ ][A-Z]{1,2}(?!\w))?(?![\w/:-]|\.\d)"
# Letters of any script ("licence no. ДЛ-77812", "Lic# Ü-48213"): ``[^\W_]`` is a Unicode letter or digit.
_VALUE = (_SPACED_VALUE + r"|(?=[\w\-./]*\d)[^\W_][\w\-./]*[^\W_]"
          r"(?:\s(?=[A-Z0-9]{2,6}\b)(?=[A-Z]*\d)[A-Z0-9]{2,6}\b){0,2}")

# (type, context) in order; the first context that matches at a position wins.
# A culture plate is no number plate: "Blood agar plate AB12 CDE", "MacConkey plate 3" (case is ignored where used)
# units of a span of time ("3/4 weeks", "collar 10-12 weeks"): after a number they make it no date or identifier
TIME_SPANS = r"days?|weeks?|wks?|months?|mths?|hours?|hrs?|years?|yrs?"
LAB_PLATE = r"(?<!agar\s)(?<!culture\s)(?<!petri\s)(?<!growth\s)(?<!macconkey\s)(?<!chocolate\s)"
CONTEXT_IDS: list[tuple[str, str]] = [
    ("VEHICLE", r"vin|vehicle\s+identification(?:\s+number)?|vehicle\s*(?:id|#)|licen[cs]e\s+plate(?:\s+number)?"
                r"|" + LAB_PLATE + r"plate\s*(?:number|no\.?|#)?|tag\s*#|registration\s+plate"
                r"|rego|(?:car|vehicle)\s+reg(?:istration)?|reg(?:istration)?\s*(?:no\.?|number|mark)"),  # (round 24)
    ("BIOMETRIC", r"finger\s?print(?:\s+scan)?|thumb\s?print|retina(?:l)?\s+scan|retina|iris\s+scan|iris"
                  r"|voice\s?print|palm\s?print|palm\s+vein|biometric|facial\s+recognition|face\s+template"
                  r"|hand\s+geometry|gait\s+signature|dna\s+profile"),
    ("PHOTO", r"full[-\s]face\s+(?:photo(?:graph)?|image|picture)|facial\s+(?:photo(?:graph)?|image)|photo(?:graph)?\s*id"
              r"|photo(?:graph)?|headshot|portrait\s+(?:photo|image)|clinical\s+photo(?:graph)?|id\s+photo"),
    ("MRN", r"mrn|mr\s*#|mr\s*no|mr\s*number|medical\s+record(?:\s+(?:number|no|#))?|med\.?\s*rec(?:ord)?"
            r"|record\s*#|chart\s*(?:#|no|number)|hosp(?:ital|\.)?\s*(?:#|no|number)|unit\s*(?:#|no|number)"
            r"|patient\s*id|pt\s*id|hospital\s+id"),
    ("HEALTH_PLAN", r"member\s*(?:id|#|no|number)|policy(?:\s*(?:id|#|no|number))?|subscriber(?:\s*(?:id|#|no|number))?"
                    r"|insurance\s*(?:id|#|no|number)|health\s*plan(?:\s*(?:id|#|no|number))?"
                    r"|group\s*(?:#|no|number)|medicare(?:\s*(?:id|#|no|number|beneficiary))?"
                    r"|medicaid(?:\s*(?:id|#|no|number))?|mbi|hicn|beneficiary(?:\s*(?:id|#|no|number))?|plan\s*id"
                    r"|nhs\s*(?:number|no|#|(?=:))|health\s*card(?:\s*(?:#|no|number))?|ohip|phn|ramq"
                    # "insurance: Fax # 615.786.6225" is the insurer's fax: a phone word ends the label's reach
                    r"|(?:insurance|insurer|coverage|carrier|payer|payor)\b"
                    r"(?:(?!\b(?:fax|phone|tel|telephone|mobile|cell|pager|ph)\b)[^\n\d]){0,30}?"
                    r"(?:\b(?:id|no|number|num)\b|#)"),
    ("ACCOUNT", r"account|acct|billing\s*(?:#|no|number|id)|invoice(?:\s*(?:#|no|number))?|financial\s*(?:#|no|number)"
                r"|fin\s*#|har\s*#"),
    ("DEVICE", r"serial(?=[\s:#.]*(?:number|no\b|num|nbr|#|:|(?-i:(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{5,}(?![\w-]))))|s/n|sn|device\s*(?:id|#|identifier|number|serial)"
               r"|udi|imei|implant\s*(?:id|#)|lot\s*(?:#|no|number)"
               # "lot UJ471AB", "LOT 2311045": a code with letters and digits, or 5+ digits ("a lot 2-3 times" stays)
               r"|lot(?=[\s:]*(?-i:(?:(?=[A-Z0-9-]*[A-Z])(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}|\d{5,})(?![\w-])))"
               r"|model\s*(?:#|no|number)|pacemaker\s*(?:id|#)|asset\s*(?:tag|#)|pump\s*(?:id|#)"),
    ("LICENSE", r"licen[cs]e(?!\s+plate)|lic\.?\s*#|dl\s*#|dea(?:\s*(?:#|no|number))?|npi|certificate|cert\.?\s*#"
                r"|board\s+cert(?:ification)?|passport|permit|registration\s*(?:#|no|number)"
                # British professional registers and a commercial driver's licence: "NMC PIN 09A1234E", "HCPC PA54312"
                r"|nmc(?:\s+pin)?|hcpc|gphc|gmc(?:\s*(?:#|no|number))?|cdl(?:\s*(?:#|no\.?|number))?"),
    ("ID", r"study\s*(?:id|#|no|number)|subject\s*(?:id|#|no|number)|case\s*(?:#|no|number|id)|accession"
           r"|specimen\s*(?:#|id|no|number)?|order\s*(?:#|no|number|id)|requisition(?:\s*(?:#|no|number))?"
           r"|encounter\s*(?:#|id|no|number)|visit\s*(?:#|id|no|number)|claim\s*(?:#|no|number|id)"
           r"|reference\s*(?:#|no|number)|ref\s*#|employee\s*(?:id|#|no|number)|badge(?:\s*(?:#|id|no|number))?"
           r"|student\s*(?:id|#)|trial\s*(?:id|#)|registry\s*(?:id|#)|barcode|wristband|confirmation\s*(?:#|no|number)"
           r"|tracking\s*(?:#|no|number)|ticket\s*(?:#|no)|aadhaa?r(?:\s*(?:#|no|number))?|id\s*#|id"),
]
# "group 00 2271" is a plan number only near an insurance word ("age group 40-49" is not)
GROUP_RE = re.compile(rf"(?i:\bgroup\b(?:\s*(?:#|no\b|number|id))?)[\s:#.]*(?P<val>{_SPACED_VALUE})")
_INSURANCE_NEAR_RE = re.compile(r"(?i:insurance|insurer|member|policy|subscriber|\bplan\b|payer|payor|bcbs|blue\s*(?:cross"
                                r"|shield)|aetna|cigna|humana|united\s*health|medicaid|medicare|ppo|hmo)")
_PROTOCOL_RE = re.compile(r"(?i:\bprotocol(?:\s*(?:#|no\.?|number|id))?)[\s:#]*"
                          r"(?P<val>(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)+)(?![\w-])")
CONTEXT_RES = [
    (kind, re.compile(rf"(?P<ctx>(?i:\b(?:{ctx})))(?![^\W\d_]){_SEP}(?P<val>{_VALUE})")) for kind, ctx in CONTEXT_IDS
]

# Generic "other identifier": long digit runs and letter+digit codes with no context word.
GENERIC_ID_RE = re.compile(r"(?<![\w.\-/])(?=(?:[^\W_]|-)*\d)[^\W_]+(?:-[^\W_]+)*(?![\w/]|\.\d)")
# after a code word, also later codes of its list ("CPT 99223, 93306", "ICD-10: I50.23; E11.65 and N18.4")
CODE_CONTEXT_RE = re.compile(r"(?i:\b(?:ndc|loinc|cpt|icd(?:-?\d+)?(?:-cm)?|snomed|rxnorm|hcpcs|drg)\b)[\s:#-]*"
                             r"(?:[A-Za-z]?[\d][\w.-]*[ \t]*(?:[,;/&]|\band\b)[ \t]*){0,8}$")
# clinical notation shaped like a code: "G3P2012" (gravida/para), "90s-100s" (a range of decades)
_CLINICAL_CODE_RE = re.compile(r"(?i:g\d{1,2}p\d{1,5}(?:-?\d+)*)|\d{2,3}s(?:-\d{2,3}s)?")


def find_structured(text: str) -> list[Cand]:
    """Every shaped identifier in ``text``: e-mail, URL, IP, MAC, phone/fax, SSN, VIN, ages > 89."""
    out: list[Cand] = []
    out += [Cand(m.start(), m.end(), "EMAIL", "email", 100) for m in EMAIL_RE.finditer(text)]
    for m in URL_RE.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?":
            end -= 1
        out.append(Cand(m.start(), end, "URL", "url", 95))
    out += [Cand(m.start(), m.end(), "IP", "ipv4", 95) for m in IPV4_RE.finditer(text)]
    out += [Cand(m.start(), m.end(), "IP", "ipv6", 95) for m in IPV6_RE.finditer(text) if _looks_ipv6(m.group())]
    out += [Cand(m.start(), m.end(), "DEVICE", "mac", 90) for m in MAC_RE.finditer(text)]
    out += [Cand(m.start(), m.end(), "SSN", "ssn", 90) for m in SSN_RE.finditer(text)]
    out += [Cand(m.start(1), m.end(1), "SSN", "ssn-context", 92) for m in SSN_CTX_RE.finditer(text)]
    out += [Cand(m.start(), m.end(), "VEHICLE", "vin", 86) for m in VIN_RE.finditer(text)]
    out += [Cand(m.start(), m.end(), "PHOTO", "image-file", 84) for m in IMAGE_FILE_RE.finditer(text)]
    for m in PHONE_RE.finditer(text):
        out.append(Cand(m.start(), m.end(), _phone_or_fax(text, m.start(), m.end()), "phone", 80))
    for m in INTL_PHONE_RE.finditer(text) if ("+" in text or "00" in text or "(0" in text) else ():
        if (10 if m.group().startswith("(") else 8) <= sum(ch.isdigit() for ch in m.group()) <= 15:
            out.append(Cand(m.start(), m.end(), _phone_or_fax(text, m.start(), m.end()), "phone-intl", 80))
    out += [Cand(m.start(), m.end(), _phone_or_fax(text, m.start(), m.end()), "phone-au", 80)
            for m in AU_MOBILE_RE.finditer(text)]
    for m in HANDLE_RE.finditer(text) if "@" in text else ():
        if _HANDLE_SHAPE_RE.search(m.group("h")) or _HANDLE_CTX_RE.search(text, max(0, m.start() - 60), m.start()):
            out.append(Cand(m.start(), m.end(), "ID", "handle", 84))
    for m in PHONE_WORD_RE.finditer(text):
        num = m.group("num").strip("() -")
        start = m.start("num") + m.group("num").index(num)
        if 7 <= sum(ch.isdigit() for ch in num) <= 13 and not _DATE_SHAPED_RE.fullmatch(num):
            out.append(Cand(start, start + len(num), _phone_or_fax(text, start, start + len(num)), "phone-context", 79))
    for m in LOCAL_PHONE_RE.finditer(text):
        if _LOCAL_PHONE_WORD_RE.search(text, max(0, m.start() - 48), m.start()):
            out.append(Cand(m.start(), m.end(), _phone_or_fax(text, m.start(), m.end()), "phone-local", 79))
    for m in PHONE_CTX_DIGITS_RE.finditer(text):
        out.append(Cand(m.start(1), m.end(1), _phone_or_fax(text, m.start(1), m.end(1)), "phone-context", 80))
    for pattern in AGE_RES:
        out += [Cand(m.start("age"), m.end("age"), "AGE", "age", 75) for m in pattern.finditer(text)
                if not (pattern is AGE_SEX_RE and _TEMPERATURE_BEFORE_RE.search(text, max(0, m.start() - 24),
                                                                                m.start()))
                and not (pattern in _WEAK_AGES and _vital_sign(text, m.start(), m.end()))]
    return out


def _vital_sign(text: str, start: int, end: int) -> bool:
    """A number read as an age that is a vital sign: a vital word before it in the clause or oxygen after it."""
    return bool(_VITAL_BEFORE_RE.search(text, max(0, start - 40), start) or _OXYGEN_AFTER_RE.match(text, end))


def find_context_ids(text: str) -> list[Cand]:
    """Values announced by a context word ("MRN: 0048213", "serial number PJN4920")."""
    out: list[Cand] = []
    for kind, pattern in CONTEXT_RES:
        for m in pattern.finditer(text):
            val = m.group("val")
            if len(val) < 3 or (kind == "ID" and len(val) < 4) or (" " in val and sum(c.isdigit() for c in val) < 4):
                continue
            if m.group("ctx") == "ID" and text[max(0, m.start() - 2):m.start()] == ", " and re.fullmatch(
                    r"\d{5}(?:-\d{4})?", val):
                continue  # "Boise, ID 83702": the state Idaho, not an identifier label
            out.append(Cand(m.start("val"), m.end("val"), kind, f"context-{kind.lower()}", 85))
    for m in _PROTOCOL_RE.finditer(text):  # "Protocol HF-ACT-302": a trial's code, letters and 3+ digits in groups
        if sum(c.isdigit() for c in m.group("val")) >= 3:
            out.append(Cand(m.start("val"), m.end("val"), "ID", "context-id", 85))
    for m in GROUP_RE.finditer(text):
        if sum(c.isdigit() for c in m.group("val")) >= 4 and _INSURANCE_NEAR_RE.search(text, max(0, m.start() - 100),
                                                                                       m.start()):
            out.append(Cand(m.start("val"), m.end("val"), "HEALTH_PLAN", "context-group", 85))
    return out


def find_generic_ids(text: str) -> list[Cand]:
    """Codes with no context word: >= 5 digits, or >= 2 letters and >= 4 digits (not ICD/NDC/LOINC...)."""
    out: list[Cand] = []
    for m in GENERIC_ID_RE.finditer(text):
        token = m.group()
        digits = sum(ch.isdigit() for ch in token)
        letters = sum(ch.isalpha() for ch in token)
        if not (digits >= 5 or (letters >= 2 and digits >= 4)):
            continue
        if CODE_CONTEXT_RE.search(text, max(0, m.start() - 120), m.start()) or _is_range(token) or \
                _CLINICAL_CODE_RE.fullmatch(token):
            continue
        out.append(Cand(m.start(), m.end(), "ID", "generic-id", 30))
    return out


def _is_range(token: str) -> bool:
    """"1966-1985", "200-300", "1900-0730": a numeric range or a span of clock times, not an identifier."""
    parts = token.split("-")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 4 for p in parts):
        return False
    if all(len(p) == 4 and int(p[:2]) < 24 and p[2:] in ("00", "15", "30", "45") for p in parts):
        return True  # "NIGHT SHIFT 1900-0730": a span of clock times on the quarter hour
    low, high = int(parts[0]), int(parts[1])
    if len(parts[0]) == 4 and len(parts[1]) == 2:  # "1974-78"
        low %= 100
    return low < high and len(parts[0]) >= len(parts[1]) - 1


def _phone_or_fax(text: str, start: int, end: int) -> str:
    """FAX when "fax" (or "F:") sits just before the number or "(fax)" just after it."""
    if FAX_BEFORE_RE.search(text[max(0, start - 24):start]) or FAX_AFTER_RE.match(text[end:end + 12]):
        return "FAX"
    return "PHONE"


def _looks_ipv6(value: str) -> bool:
    """Rule out clock times ("14:30:00"): an IPv6 address has "::" or more than three groups."""
    return "::" in value or value.count(":") >= 4
