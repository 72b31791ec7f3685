"""A month/day written with a leading zero and followed by a 24-hour clock time ("Crew arrived 03/11 0214",
"seen 07/04 1530hrs"): ambulance and ICU notes stamp events this way, with no date word before them (de-id round
15). ``docs/deid.md`` says a bare month/day needs a date word or a clock time with a colon; the leading zero and
the four-digit time together name a date, not a score ("pain 3/10 1400" stays: no leading zero).

Round 18: a weekday and an ordinal day ("recheck Mon 16th", "review Weds 20th", "Thursday 9th") is a date
whatever comes before it, unless a noun follows that the ordinal counts ("Monday 2nd dose"); a weekday alone stays
a weekday.
"""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

STAMP_RE = re.compile(r"(?<![\w/.-])(?P<date>0[1-9]/(?:0[1-9]|[12]\d|3[01]))[ \t,]+(?:[01]\d|2[0-3])[0-5]\d"
                      r"(?:[ \t]*(?i:h|hrs|hours))?(?![\w/.:-])")


WEEKDAY_ORDINAL_RE = re.compile(r"(?<![\w'’-])(?:Mon|Tue|Tues|Wed|Weds|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday"
                                r"|sday|rsday|urday)?\.?,?[ \t]+(?:the[ \t]+)?(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)\b"
                                # a count of things, not a day: "Monday 2nd dose of co-amoxiclav"
                                r"(?![ \t]+(?!(?:at|and|or|to|in|for|from|of|until|till|with|by|when|then|if|as|before"
                                r"|after|but|please|so|am|pm)\b)[a-z])")


def find_clock_dates(text: str) -> list[Cand]:
    """DATE candidates for the month/day of each stamp (the clock time stays) and a weekday with its ordinal day."""
    return [Cand(m.start("date"), m.end("date"), "DATE", "date-clock", 70) for m in STAMP_RE.finditer(text)] + [
        Cand(m.start(), m.end(), "DATE", "date-weekday-ordinal", 65) for m in WEEKDAY_ORDINAL_RE.finditer(text)]
