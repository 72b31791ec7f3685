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

import datetime as dt
import re
from dataclasses import dataclass

from meddx.deid.date_patterns import (
    _AFTER_DATE_RE, _BEFORE, _FULL_BY_RULE, _MONTH_NAMES, _ORD_DAY_GATE_RE, _ORD_GATE_RE, _RANGE_WORD_RE, _WD_ALL,
    BIRTH_BEFORE_RE, DETECTORS, WEEKDAY_ORD_RE, WORD_DATE_RE,
)
# parsing and shifting live in dates_shift; re-exported here, where callers have always imported them
from meddx.deid.dates_shift import _parse, day_first, parse_date, shift_date, yearless_years  # noqa: F401
from meddx.deid.dates_sent import find_sent_dates
from meddx.deid.patterns import TIME_SPANS


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
            if rule == "m-d" and _AGO_RE.match(text, end):
                continue  # "seen 3/7 ago": three days (x/7 days, x/52 weeks, x/12 months in UK notes)
            if rule == "m-d":  # "Friday 10/6": the weekday was the date word, it belongs to the date
                wd = _WD_BEFORE_RE.search(text, max(0, start - 12), start)
                start = wd.start() if wd else start
            birth = bool(BIRTH_BEFORE_RE.search(text, max(0, start - 24), start))
            hits.append(DateHit(start, end, rule, birth or rule == "year"))
    for m in MD_TIME_RE.finditer(text):  # "4/9 9:10 AM": a month/day with a clock time after it
        if _parse(_FULL_BY_RULE["m-d"].fullmatch(text, m.start("core"), m.end("core")), "m-d") is not None:
            hits.append(DateHit(m.start("core"), m.end("core"), "m-d", False))
    for m in FOLLOW_MD_RE.finditer(text):  # "F/u with cardiology 10/21", "recheck BMP 12/2"
        if _parse(_FULL_BY_RULE["m-d"].fullmatch(text, m.start("core"), m.end("core")), "m-d") is not None \
                and not _UNIT_AFTER_RE.match(text, m.end("core")) and not _SPAN_AFTER_RE.match(text, m.end("core")) \
                and not _score_out_of(text, m):
            hits.append(DateHit(m.start("core"), m.end("core"), "m-d", False))
    # "(sent 22/11)", "reviewed 14.11": a day and month after a verb of sending or seeing (a dotted one is tagged)
    hits += [DateHit(d.start, d.end, "m-d" if d.shiftable else "words", False) for d in find_sent_dates(text)]
    hits += [DateHit(m.start(), m.end(), "words", False) for m in FOREIGN_DATE_RE.finditer(text)]
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


# (after a comma, bracket, bar, colon or a line start: "Pain 5/10 14:00" in a flowsheet row is a score)
MD_TIME_RE = re.compile(r"(?m)(?:^|(?<=[,;(|:]))[ \t]*(?P<core>\d{1,2}/\d{1,2})(?![\d/]|\.\d)"
                        r"(?=[ \t]+\d{1,2}:[0-5]\d(?!\d))")
# "F/u with cardiology 10/21", "recheck BMP 12/2": a month/day one to three words after a follow-up word (the m-d rule
# needs the date word right before). Not x/5, x/7, x/10, x/12, x/52: power, days, pain, months and weeks ("repeat
# pain score 7/10", "f/u in clinic 6/52")
FOLLOW_MD_RE = re.compile(r"(?i:\b(?:f/u|follow[- ]?up|recheck|re-check|rtc)\b)(?:[ \t]+(?![\d])[\w&-]+){1,3}[ \t]+"
                          + _BEFORE + r"(?P<core>\d{1,2}/(?!(?:5|7|10|12|52)\b)\d{1,2})(?![\d/]|\.\d)")
# ... nor a span of time: "recheck INR 3/4 weeks", "CT chest 6/9 months" (three to four weeks)
_SPAN_AFTER_RE = re.compile(rf"[ \t]*(?i:{TIME_SPANS}|episodes?|times)\b")
# ... nor a score or an acuity out of its total: "recheck VA R 6/6 L 6/9", "Follow-up GCS 9/15", "f/u MMSE 9/30"
_SCORE_WORD_RE = re.compile(r"\b(?:VA|(?i:acuity|vision|visual|gcs|mmse|moca|amts|ace|score|power|mrc|nihss|sats))\b")
# ... when the total is that score's: "Follow up memory clinic MMSE 11/14" is a date (MMSE is out of 30; a Snellen
# acuity is out of a distance in metres or feet); a word not here ("score", "power") takes any total
_SNELLEN = frozenset({3, 4, 5, 6, 9, 12, 18, 20, 24, 36, 60})
_SCORE_TOTALS = {"va": _SNELLEN, "acuity": _SNELLEN, "vision": _SNELLEN, "visual": _SNELLEN, "gcs": frozenset({15}),
                 "mmse": frozenset({30}), "moca": frozenset({30}), "amts": frozenset({10}), "nihss": frozenset({42})}


def _score_out_of(text: str, m: re.Match[str]) -> bool:
    """A score word between the follow-up word and the month/day, whose total the day can be."""
    den = int(m.group("core").split("/")[1])
    return any(den in _SCORE_TOTALS.get(w.group().lower(), (den,))
               for w in _SCORE_WORD_RE.finditer(text, m.start(), m.start("core")))


_ES_MONTHS = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
_FR_MONTHS = "janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
# "15 de junio", "3 de julio de 2024", "el 2 de mayo del 2023", "15 juin 2024": Spanish and French dates with a day
# (tagged, not shifted: the month words are not rewritten)
FOREIGN_DATE_RE = re.compile(rf"(?<![\w-])\d{{1,2}}(?:º|er)?[ \t]+(?i:de[ \t]+(?:{_ES_MONTHS})(?:[ \t]+(?:de|del)[ \t]+"
                             rf"\d{{4}})?|(?:{_FR_MONTHS})(?:[ \t]+\d{{4}})?)(?![\w-])")


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
_AGO_RE = re.compile(r"[ \t]*(?i:ago)\b")
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
