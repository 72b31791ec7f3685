"""Dates found by ``dates``: parse them, shift them by a patient's offset and write them back in their own
style; pick the year of a date written without one (split out of ``dates``)."""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from dataclasses import dataclass

from meddx.deid.date_patterns import _MONTH_NAMES, _NUMERIC, _WEEKDAYS, DETECTORS, FULL


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
    digits = value.lstrip("'’")
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
            mark = old[0] if old[0] in "'’" else ""  # "Sept '22" stays in its own style: "Jun '22"
            put("y", mark + (f"{new.year % 100:02d}" if len(old.lstrip("'’")) == 2 else str(new.year)))
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
