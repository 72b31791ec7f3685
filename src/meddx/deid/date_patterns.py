"""The date patterns ``dates`` finds dates with and ``dates_shift`` parses and re-renders them with (split
out of ``dates`` to keep each module small)."""

from __future__ import annotations

import calendar
import re


_MONTH_NAMES = list(calendar.month_name)[1:]
_MONTH_WORDS: list[str] = []
for _name in _MONTH_NAMES:
    _forms = {_name, _name[:3]} | ({"Sept"} if _name == "September" else set())
    _MONTH_WORDS += sorted(_forms | {f.upper() for f in _forms}, key=len, reverse=True)
MN = r"(?P<mn>" + "|".join(_MONTH_WORDS) + r")(?![A-Za-z])\.?"
_WEEKDAYS = list(calendar.day_name)
_WD_ABBR = ["Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun"]  # "Mon 11/13/2023"
_WD_ALL = sorted(_WEEKDAYS + _WD_ABBR, key=len, reverse=True)
WD = r"(?:(?P<wd>(?:" + "|".join(_WD_ALL + [w.upper() for w in _WD_ALL]) + r")(?![A-Za-z])\.?),?\s+)?"
_SUF = r"(?P<suf>st|nd|rd|th|ST|ND|RD|TH)?"

# (rule, core regex) - the core is the date itself; detection adds boundaries and context.
CORES: list[tuple[str, str]] = [
    ("name-d-y", WD + MN + r"\s+(?P<d>\d{1,2})" + _SUF + r"(?!\d)(?:,?\s+(?P<y>\d{4}|['’]\d{2}))?(?![\d]|:\d)"),
    ("d-name-y", WD + r"(?P<d>\d{1,2})" + _SUF + r"\s+(?:of\s+)?" + MN + r"(?:,?\s+(?P<y>\d{4}|['’]\d{2}))?(?!\d)"),
    ("d-mon-y", r"(?P<d>\d{1,2})(?P<s1>[-\s/]?)" + MN + r"(?P=s1)(?P<y>\d{4}|\d{2})(?!\d)"),
    ("numeric", WD + r"(?P<a>\d{1,2})(?P<sep>[/\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\d/]|[.\-]\d)"),
    ("numeric-dot", r"(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{4})(?![\d/]|[.\-]\d)"),
    ("numeric-dot-yy", r"(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{2})(?![\d/]|[.\-]\d)"),  # after a date word
    ("iso", r"(?P<y>(?:19|20)\d{2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d]|[.\-/]\d)"),
    # "20210304": compact yyyymmdd, month and day checked by the pattern (plausibility in ``find_dates``)
    ("compact", r"(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?![^\W_]|[\-/]|[.,:]\d)"),
    # "March 2021", "Sept '22" (a year of two digits after an apostrophe: the apostrophe says it is a year)
    ("name-y", MN + r",?[\s\-]+(?P<y>(?:18|19|20)\d{2}|['’]\d{2})(?![\d/\-])"),
    ("m-y", r"(?P<m>0?[1-9]|1[0-2])/(?P<y>(?:19|20)\d{2})(?![\d/])"),
    # "on 3/14", and "on 14/3" read day first (the first number > 12), like a numeric date
    ("m-d", WD + r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/]|\.\d)"),
    ("year", r"(?P<y>(?:18|19|20)\d{2})(?![\d/\-])"),
]
_DATE_WORDS = (r"lmp|edd|edc|on|since|from|until|till|through|thru|to|by|dated|date|dos|admitted|admission|discharged|discharge"
               r"|seen|starting|started|effective|as\s+of|between|last|next|due|scheduled|before|after"
               r"|placed|inserted|removed|resumed|discontinued"  # "PICC placed 10/20", "drain removed 3/4"
               # a prisoner's "release 28/11" (not a tablet's "modified release 10/20")
               r"|(?<!modified )(?<!slow )(?<!extended )(?<!sustained )(?<!controlled )(?<!prolonged )"
               r"release[ds]?"
               r"|f/u|follow[- ]?up|rtc|return(?:ed|s)?|revisit|visit|appt|again|clinic"
               r"|(?:scheduled|planned|booked|set|arranged|rescheduled|moved)\s+(?:for|to)|appointment(?:\s+on)?"
               r"|planned|anticipated|next\s+(?:visit|appt|appointment|measurement|labs?|check|infusion"
               r"|follow[- ]?up|f/u|wcc|session|treatment|cycle|scan|mri|ct|echo|clinic|dressing\s+change"
               r"|pick[- ]?up|collection|delivery|refill|fill)"  # a pharmacy's "next pick-up 08/12"
               r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri"
               # "week of 4/14", "w/c 14/4"; "Sat 22/03" (capitalised only: "sat 94/..." is a saturation)
               r"|week\s+(?:of|commencing|beginning)|w/c|(?-i:Sat|SAT|Sun|SUN)")
_BIRTH = r"(?:born(?:\s+(?:in|on))?|year\s+of\s+birth|yob|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*(?:date|year)|birthday)"
_BEFORE = r"(?<![\w/.:\-])"
DETECTORS: list[tuple[str, re.Pattern[str]]] = []
for _rule, _core in CORES:
    if _rule in ("m-d", "numeric-dot-yy"):  # "on 3/14", "DOS: 3.4.21" (not "7/10" or "v2.1.10")
        _rx = rf"(?i:(?:\b(?:{_DATE_WORDS})\b|\b{_BIRTH})[\s:]*){_BEFORE}(?P<core>{_core})"  # "DOB 16.03.50"
    elif _rule == "compact":  # also inside a file name: "IMG_20210304_101500.jpg"
        _rx = rf"(?<![^\W_])(?<![/.:\-])(?P<core>{_core})"
    elif _rule == "year":
        _rx = rf"(?i:\b{_BIRTH}[\s:]*(?:in\s+)?){_BEFORE}(?P<core>{_core})"
    else:
        _rx = rf"{_BEFORE}\b(?P<core>{_core})"
    DETECTORS.append((_rule, re.compile(_rx)))
FULL = [(rule, re.compile(core)) for rule, core in CORES]
_NUMERIC = ("numeric", "numeric-dot", "numeric-dot-yy", "m-d")
# Spelled-out ordinal days: "the fourth of May", "March the third", "twenty-first of June, 2022"
# (found and tagged; not shifted, since the words are not rewritten).
_ORD = (r"(?:(?:twenty|thirty)[-\s])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|tenth|eleventh"
        r"|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth")
_MN_PLAIN = MN.replace("(?P<mn>", "(?:")
# "Friday the 19th", "on Tuesday, the 3rd": a weekday and an ordinal day
_WD_PLAIN = "|".join(_WEEKDAYS + [w.upper() for w in _WEEKDAYS])
# (also without "the": "on Sunday 22nd", "Tuesday 17th Nov"; not "Monday 2nd dose", an ordinal of something else)
WEEKDAY_ORD_RE = re.compile(rf"\b(?:{_WD_PLAIN}),?\s+(?:the\s+)?(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)\b"
                            r"(?!\s+(?i:dose|doses|line|week|weeks|cycle|visit|time|opinion|trimester|degree|floor"
                            r"|generation|attempt|round|episode|day|fraction|session|injection|infusion)\b)")
_ORD_DAY_GATE_RE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)\b")
_ORD_GATE_RE = re.compile(r"(?i:first|second|third|th\b|fifth|ninth|twelfth)")
# a year said in words in a dictation ("nineteen forty", "nineteen oh five", "two thousand and three",
# "twenty twenty-one")
_UNITS = r"one|two|three|four|five|six|seven|eight|nine"
_TENS = r"twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_TEENS = r"ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_TENS_UNITS = rf"(?:{_TENS})(?:[\s-]+(?:{_UNITS}))?"
SPOKEN_YEAR = (rf"(?i:(?:eighteen|nineteen|twenty)[\s-]+(?:{_TENS_UNITS}|{_TEENS}|oh[\s-]+(?:{_UNITS})|hundred)"
               rf"|two[\s-]+thousand(?:[\s-]+(?:and[\s-]+)?(?:{_TENS_UNITS}|{_TEENS}|{_UNITS}))?)(?![\w-])")
WORD_DATE_RE = re.compile(rf"(?<![\w-])(?:(?i:the\s+)?(?i:{_ORD})\s+of\s+{_MN_PLAIN}|{_MN_PLAIN}\s+(?i:the\s+)?"
                          rf"(?i:{_ORD})(?![\w-]))(?:,?\s+(?:(?:18|19|20)\d{{2}}(?!\d)|{SPOKEN_YEAR}))?")
_FULL_BY_RULE = dict(FULL)
_RANGE_WORD_RE = re.compile(r"(?i:\b(?:to|through|thru))[\s:]*$")
_AFTER_DATE_RE = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?\s*(?i:to|through|thru)[\s:]*$")
# "D.O.B. 1/2/1930" (no word boundary after the last dot), "birthday is Jan 2 1930", "b. 1/2/1930"
BIRTH_BEFORE_RE = re.compile(rf"(?i:\b(?:{_BIRTH}|b\.)(?!\w))[\s:]*(?:(?:in|on|is|was|of)\s+)*$")
