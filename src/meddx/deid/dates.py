"""Dates: find every element of a date except a lone year, and shift a date keeping its format.

Formats found: 03/14/2021, 3/14/21, 14/03/2021 (day first when the first number is > 12, and
05/04/2021 too in a note whose numeric dates are day first: ``day_first``),
2021-03-14, 20210314, 03.14.2021, March 14, 2021, Mar 14th, 14 March 2021, 14th of March, 14-Mar-2021,
14MAR21, March 2021, 03/2021, "on 3/14" and "on 14/3" (a month/day pair, read day first when the
first number is > 12, only after a date word, so "pain 7/10" and "strength 5/5" stay), a weekday
before a date, and a year after a birth word ("born in 1931", "YOB 1931": birth years are scrubbed
even though Safe Harbor allows years, because they reveal ages over 89). A year alone ("in 2019") is kept.

Shifting adds the same number of days to every date of a patient, so intervals survive, and
renders the result in the input's own style (month names full/abbreviated/upper case, zero
padding, ordinal suffix, 2- or 4-digit year). A date without a year is shifted within the year
that puts it nearest the note's dated dates (``yearless_years``); month-year dates are shifted from
the 15th.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from dataclasses import dataclass

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
    ("name-d-y", WD + MN + r"\s+(?P<d>\d{1,2})" + _SUF + r"(?!\d)(?:,?\s+(?P<y>\d{4}|'\d{2}))?(?![\d:])"),
    ("d-name-y", WD + r"(?P<d>\d{1,2})" + _SUF + r"\s+(?:of\s+)?" + MN + r"(?:,?\s+(?P<y>\d{4}))?(?!\d)"),
    ("d-mon-y", r"(?P<d>\d{1,2})(?P<s1>[-\s/]?)" + MN + r"(?P=s1)(?P<y>\d{4}|\d{2})(?!\d)"),
    ("numeric", WD + r"(?P<a>\d{1,2})(?P<sep>[/\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\d/]|[.\-]\d)"),
    ("numeric-dot", r"(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{4})(?![\d/]|[.\-]\d)"),
    ("numeric-dot-yy", r"(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{2})(?![\d/]|[.\-]\d)"),  # after a date word
    ("iso", r"(?P<y>(?:19|20)\d{2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d]|[.\-/]\d)"),
    # "20210304": compact yyyymmdd, month and day checked by the pattern (plausibility in ``find_dates``)
    ("compact", r"(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?![^\W_]|[\-/]|[.,:]\d)"),
    ("name-y", MN + r",?[\s\-]+(?P<y>(?:18|19|20)\d{2})(?![\d/\-])"),
    ("m-y", r"(?P<m>0?[1-9]|1[0-2])/(?P<y>(?:19|20)\d{2})(?![\d/])"),
    # "on 3/14", and "on 14/3" read day first (the first number > 12), like a numeric date
    ("m-d", WD + r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/]|\.\d)"),
    ("year", r"(?P<y>(?:18|19|20)\d{2})(?![\d/\-])"),
]
_DATE_WORDS = (r"on|since|from|until|till|through|thru|to|by|dated|date|dos|admitted|admission|discharged|discharge"
               r"|seen|starting|started|effective|as\s+of|between|last|next|due|scheduled|before|after"
               r"|f/u|follow[- ]?up|rtc|return(?:ed|s)?|revisit|visit|appt|again"
               r"|(?:scheduled|planned|booked|set|arranged|rescheduled|moved)\s+(?:for|to)|appointment(?:\s+on)?"
               r"|planned|anticipated|next\s+(?:visit|appt|appointment|measurement|labs?|check|infusion"
               r"|follow[- ]?up|f/u|wcc|session|treatment|cycle|scan|mri|ct|echo|clinic|dressing\s+change)"
               r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri")
_BIRTH = r"(?:born(?:\s+(?:in|on))?|year\s+of\s+birth|yob|dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*(?:date|year)|birthday)"
_BEFORE = r"(?<![\w/.:\-])"
DETECTORS: list[tuple[str, re.Pattern[str]]] = []
for _rule, _core in CORES:
    if _rule in ("m-d", "numeric-dot-yy"):  # "on 3/14", "DOS: 3.4.21" (not "7/10" or "v2.1.10")
        _rx = rf"(?i:\b(?:{_DATE_WORDS})\b[\s:]*){_BEFORE}(?P<core>{_core})"
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
WEEKDAY_ORD_RE = re.compile(rf"\b(?:{_WD_PLAIN}),?\s+the\s+\d{{1,2}}(?:st|nd|rd|th)\b")
_ORD_DAY_GATE_RE = re.compile(r"\bthe\s+\d{1,2}(?:st|nd|rd|th)\b")
_ORD_GATE_RE = re.compile(r"(?i:first|second|third|th\b|fifth|ninth|twelfth)")
WORD_DATE_RE = re.compile(rf"(?<![\w-])(?:(?i:the\s+)?(?i:{_ORD})\s+of\s+{_MN_PLAIN}|{_MN_PLAIN}\s+(?i:the\s+)?"
                          rf"(?i:{_ORD})(?![\w-]))(?:,?\s+(?:18|19|20)\d{{2}}(?!\d))?")
_FULL_BY_RULE = dict(FULL)
_RANGE_WORD_RE = re.compile(r"(?i:\b(?:to|through|thru))[\s:]*$")
_AFTER_DATE_RE = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?\s*(?i:to|through|thru)[\s:]*$")
# "D.O.B. 1/2/1930" (no word boundary after the last dot), "birthday is Jan 2 1930", "b. 1/2/1930"
BIRTH_BEFORE_RE = re.compile(rf"(?i:\b(?:{_BIRTH}|b\.)(?!\w))[\s:]*(?:(?:in|on|is|was|of)\s+)*$")


@dataclass(frozen=True)
class DateHit:
    """A date found in a text: where it is, the rule, and whether a birth word precedes it."""

    start: int
    end: int
    rule: str
    birth: bool


def find_dates(text: str) -> list[DateHit]:
    """Every date in ``text`` (overlaps between rules are left to the caller's resolution)."""
    hits: list[DateHit] = []
    for rule, pattern in DETECTORS:
        for m in pattern.finditer(text):
            start, end = m.span("core")
            if _parse(_FULL_BY_RULE[rule].fullmatch(text, start, end), rule) is None:
                continue
            if rule == "compact" and not _plausible_compact(text, start, end):
                continue
            if rule == "m-d" and _RANGE_WORD_RE.search(text, max(0, start - 12), start) and not _AFTER_DATE_RE.search(
                    text, max(0, start - 40), start):
                continue  # "improved to 3/10": "to"/"through" count only after another date
            if rule == "m-d" and _UNIT_AFTER_RE.match(text, end):
                continue  # "decreased blood pressure by 14/5 mm Hg"
            if rule == "m-d":  # "Friday 10/6": the weekday was the date word, it belongs to the date
                wd = _WD_BEFORE_RE.search(text, max(0, start - 12), start)
                start = wd.start() if wd else start
            birth = bool(BIRTH_BEFORE_RE.search(text, max(0, start - 24), start))
            hits.append(DateHit(start, end, rule, birth or rule == "year"))
    hits += _listed_month_days(text, hits)
    hits += [DateHit(m.start("core"), m.end("core"), "words", False) for m in MONTH_ALONE_RE.finditer(text)]
    hits += [DateHit(m.start(), m.end(), "words", False) for m in HOLIDAY_RE.finditer(text)]
    if _ORD_DAY_GATE_RE.search(text):
        hits += [DateHit(m.start(), m.end(), "words", False) for m in WEEKDAY_ORD_RE.finditer(text)]
    for m in WORD_DATE_RE.finditer(text) if _ORD_GATE_RE.search(text) else ():
        end = m.end() - (m.group().endswith("."))  # the full stop of "the fourth of May."
        hits.append(DateHit(m.start(), end, "words", bool(BIRTH_BEFORE_RE.search(text, max(0, m.start() - 24),
                                                                                   m.start()))))
    # "on the 2nd of January." / "seen 5 Jan.": the full stop after a final month stays in the text (a tag
    # swallowed the sentence's end)
    return [DateHit(h.start, h.end - 1, h.rule, h.birth) if text[h.end - 1] == "." and text[h.end - 2].isalpha() else h
            for h in hits]


# An identifier cue before an 8-digit number makes it an identifier, not a date ("MRN 20210304", "#20210304")
_ID_CUE_BEFORE_RE = re.compile(r"(?:#|№|(?i:\b(?:id|no|num|nbr|number|mrn|mr|acct|account|ref|reference|code|lot|batch"
                               r"|serial|s/n|sn|order|accession|specimen|case|claim|member|policy|invoice|ticket"
                               r"|tracking|confirmation|record|chart|encounter|visit|npi|dea|licen[cs]e|phone|tel|fax"
                               r"|pager|cell|ext)\b))[\s:#.=-]*$")


def _plausible_compact(text: str, start: int, end: int) -> bool:
    """A compact yyyymmdd date (not inside a longer number: the pattern checks that) with a year
    from 1900 to ten years ahead, not after an identifier cue ("MRN 20210304", "Acct #20210304")."""
    year = int(text[start:start + 4])
    if not 1900 <= year <= dt.date.today().year + 10:
        return False
    return _ID_CUE_BEFORE_RE.search(text, max(0, start - 24), start) is None


# "fall in August", "quit last May": a month named alone after a time word (tagged; without a day or
# a year it cannot be shifted)
MONTH_ALONE_RE = re.compile(r"(?i:\b(?:in|since|until|till|during|last|next|this|early|mid|late|end\s+of|beginning\s+of"
                            r"|start\s+of)[\s-]+)(?P<core>" + "|".join(_MONTH_NAMES) + r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?"
                            r"|Oct|Nov|Dec)\.)(?![\w-])(?![ \t]+\d)")


_WD_BEFORE_RE = re.compile(r"(?<![A-Za-z])(?:" + "|".join(_WD_ALL + [w.upper() for w in _WD_ALL]) + r")\.?,?[ \t]+$")
_UNIT_AFTER_RE = re.compile(r"[ \t]*(?i:mm\b|mmhg|cm\b|%|mg\b|kg\b|ml\b|units?\b|mcg\b|g\b)")
# "died last Christmas Eve", "over Thanksgiving": a holiday names a day (tagged, not shifted); not "Christmas disease"
HOLIDAY_RE = re.compile(r"\b(?:Christmas(?:[ \t]+(?:Eve|Day))?|New[ \t]+Year['’]?s(?:[ \t]+(?:Eve|Day))?"
                        r"|Thanksgiving(?:[ \t]+Day)?|Halloween|Valentine['’]?s[ \t]+Day|Independence[ \t]+Day"
                        r"|Fourth[ \t]+of[ \t]+July|Easter(?:[ \t]+Sunday)?|Memorial[ \t]+Day|Labor[ \t]+Day"
                        r"|Veterans['’]?[ \t]+Day|Mother['’]?s[ \t]+Day|Father['’]?s[ \t]+Day)"
                        r"(?![\w'’-])(?![ \t]+(?:disease|factor|tree|island)\b)")


# "seen 3/4, 3/11 and 3/18": a month/day right after another date and a list word is a date too
_LISTED_MD_RE = re.compile(r"[ \t]*(?:,|;|&|\band\b|\bor\b)[ \t]*(?:(?:and|or|then)[ \t]+)?" + _BEFORE
                           + r"(?P<core>(?P<a>\d{1,2})/(?P<b>\d{1,2}))(?![\d/]|\.\d)")


def _listed_month_days(text: str, hits: list[DateHit]) -> list[DateHit]:
    """Month/day pairs that follow a found date in a list ("on 3/4 and 3/18")."""
    out: list[DateHit] = []
    todo = [h for h in hits if h.rule != "year"]
    seen = {(h.start, h.end) for h in hits}
    while todo:
        hit = todo.pop()
        m = _LISTED_MD_RE.match(text, hit.end)
        if m is None or (m.start("core"), m.end("core")) in seen:
            continue
        if _parse(_FULL_BY_RULE["m-d"].fullmatch(text, m.start("core"), m.end("core")), "m-d") is None:
            continue
        new = DateHit(m.start("core"), m.end("core"), "m-d", hit.birth)
        seen.add((new.start, new.end))
        out.append(new)
        todo.append(new)
    return out


@dataclass(frozen=True)
class _Parsed:
    year: int | None
    month: int | None
    day: int | None


def day_first(text: str) -> bool:
    """Whether the note writes numeric dates day first: some of its numeric dates can only be read
    day first (14/03/2021) and none only month first (03/14/2021). Its ambiguous ones (05/04/2021)
    are then read, and written back, day first too, so a UK letter's intervals survive."""
    day, month = 0, 0
    for rule, pattern in DETECTORS:
        if rule in _NUMERIC:
            for m in pattern.finditer(text):
                a, b = int(m.group("a")), int(m.group("b"))
                day += a > 12 >= b
                month += b > 12 >= a
    return day > 0 and month == 0


def parse_date(value: str, *, day_first: bool = False) -> tuple[int | None, int | None, int | None] | None:
    """``(year, month, day)`` of a date string as written (missing parts ``None``), or ``None``;
    ``day_first`` reads an ambiguous numeric date (05/04/2021) as 5 April."""
    for rule, pattern in FULL:
        parsed = _parse(pattern.fullmatch(value), rule, day_first)
        if parsed is not None:
            return parsed.year, parsed.month, parsed.day
    return None


def shift_date(value: str, days: int, *, day_first: bool = False, year: int | None = None) -> str | None:
    """``value`` moved by ``days`` and written in its own format (``day_first``: an ambiguous numeric
    date read and written day first); ``None`` if it is not a date. ``year`` is the year of a date
    written without one ("3/18"; ``yearless_years``), else the leap year 2000."""
    for rule, pattern in FULL:
        m = pattern.fullmatch(value)
        parsed = _parse(m, rule, day_first)
        if m is None or parsed is None:
            continue
        if parsed.month is None:  # a birth year alone
            new = dt.date(parsed.year or 2000, 7, 1) + dt.timedelta(days=days)
        else:
            base_year = parsed.year or (year if year and _valid(year, parsed.month, parsed.day or 15) else 2000)
            new = dt.date(base_year, parsed.month, parsed.day or 15) + dt.timedelta(days=days)
        return _render(m, rule, new, day_first)
    return None


def yearless_years(dates: list[tuple[int, str, bool]], *, day_first: bool = False) -> dict[int, int]:
    """The year of each date written without one, keyed by its offset: ``dates`` holds (offset,
    text, is a birth date) for a note's dates. Shifting "3/18" within any other year than its own
    moves it a day off the note's dated dates when the shift crosses a 29 February ("3/11/2021"
    and "3/18", shifted by -90 days, gave 12/11/2020 and 12/19), so a year-less date takes the year,
    among the nearest dated date's year and the years around it, that puts it closest to that date
    (the dated date before it, else the one after it; "12/28/2020 ... on 1/3": 2021). Without any
    dated date the year is unknown: a common year (2001), or the leap year 2000 for a note that
    writes 29 February."""
    anchors: list[tuple[int, dt.date]] = []
    yearless: list[tuple[int, int, int]] = []
    for start, value, birth in dates:
        parsed = parse_date(value, day_first=day_first)
        if parsed is None or parsed[1] is None:
            continue
        year, month, day = parsed
        if year is None:
            yearless.append((start, month, day or 15))
        elif not birth:
            anchors.append((start, dt.date(year, month, day or 15)))
    fallback = 2000 if any((m, d) == (2, 29) for _, m, d in yearless) else 2001
    anchors.sort()
    starts = [a[0] for a in anchors]
    out: dict[int, int] = {}
    for start, month, day in yearless:
        i = bisect.bisect_left(starts, start)  # a binary search: a huge note has thousands of dates
        anchor = anchors[i - 1][1] if i else (anchors[0][1] if anchors else None)
        years = [y for y in ((anchor.year - 1, anchor.year, anchor.year + 1) if anchor else ()) if _valid(y, month, day)]
        out[start] = min(years, key=lambda y: abs((dt.date(y, month, day) - anchor).days)) if years else fallback
    return out


def _valid(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _month_first(a: int, b: int, day_first: bool) -> bool:
    """Whether a numeric date a/b/y names the month first: when it must, or when it may and the
    note does not write dates day first."""
    return a <= 12 and not (day_first and b <= 12)


def _parse(m: re.Match[str] | None, rule: str, day_first: bool = False) -> _Parsed | None:
    if m is None:
        return None
    g = m.groupdict()
    year = _year(g.get("y"))
    if rule in _NUMERIC:
        a, b = int(g["a"]), int(g["b"])
        month, day = (a, b) if _month_first(a, b, day_first) else (b, a)
    else:
        month = _month_number(g["mn"]) if g.get("mn") else (int(g["m"]) if g.get("m") else None)
        day = int(g["d"]) if g.get("d") else None
    if rule == "year":
        return _Parsed(year, None, None) if year else None
    if month is None or not 1 <= month <= 12:
        return None
    if year is not None and not 1850 <= year <= 2100:
        return None
    if day is not None:
        last = calendar.monthrange(year or 2000, month)[1]
        if not 1 <= day <= last:
            return None
    return _Parsed(year, month, day)


def _year(value: str | None) -> int | None:
    if not value:
        return None
    digits = value.lstrip("'")
    if len(digits) == 4:
        return int(digits)
    yy = int(digits)
    return 2000 + yy if yy <= (dt.date.today().year % 100) + 1 else 1900 + yy


def _month_number(word: str) -> int:
    key = word.rstrip(".")[:3].title()
    return [name[:3] for name in _MONTH_NAMES].index(key) + 1


def _render(m: re.Match[str], rule: str, new: dt.date, day_first: bool = False) -> str:
    """Rewrite the groups of ``m`` (weekday, month, day, suffix, year) for the date ``new``."""
    g = m.groupdict()
    edits: list[tuple[int, int, str]] = []

    def put(group: str, value: str) -> None:
        if g.get(group) is not None:
            edits.append((m.start(group), m.end(group), value))

    if rule == "year":
        put("y", str(new.year))
    else:
        if g.get("wd"):
            wd = g["wd"].rstrip(".")
            name = calendar.day_name[new.weekday()] if wd.title() in _WEEKDAYS else calendar.day_abbr[new.weekday()]
            put("wd", _styled(name, g["wd"]) + g["wd"][len(wd):])
        if g.get("mn"):
            put("mn", _month_word(new.month, g["mn"]))
        numbers = [g[k] for k in ("a", "b", "m", "d") if g.get(k)]
        padded = any(v.startswith("0") for v in numbers) or all(len(v) == 2 for v in numbers)
        if rule in _NUMERIC:
            first_is_month = _month_first(int(g["a"]), int(g["b"]), day_first)
            put("a", _pad(new.month if first_is_month else new.day, padded))
            put("b", _pad(new.day if first_is_month else new.month, padded))
        else:
            if g.get("m"):
                put("m", _pad(new.month, padded))
            if g.get("d"):
                # numeric and DD-Mon-YYYY styles pad two-digit days; "March 14" pads only "March 04"
                put("d", _pad(new.day, padded if rule in ("iso", "compact", "d-mon-y") else g["d"].startswith("0")))
        if g.get("suf"):
            put("suf", _ordinal(new.day, g["suf"]))
        if g.get("y"):
            old = g["y"]
            put("y", ("'" if old.startswith("'") else "") + (f"{new.year % 100:02d}" if len(old.lstrip("'")) == 2
                                                               else str(new.year)))
    text = m.group(0)
    base = m.start()
    for start, end, value in sorted(edits, reverse=True):
        text = text[:start - base] + value + text[end - base:]
    return text


def _pad(value: int, padded: bool) -> str:
    return f"{value:02d}" if padded else str(value)


def _styled(word: str, like: str) -> str:
    return word.upper() if like.isupper() else word


def _month_word(month: int, like: str) -> str:
    full = calendar.month_name[month]
    if len(like) > 4 or (len(like) == 4 and like.lower() != "sept"):
        word = full
    elif like.lower() == "sept":
        word = "Sept" if month == 9 else full[:3]
    else:
        word = full[:3]
    return _styled(word, like)


def _ordinal(day: int, like: str) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return suffix.upper() if like.isupper() else suffix
