"""A month/day written with a leading zero and followed by a 24-hour clock time ("Crew arrived 03/11 0214",
"seen 07/04 1530hrs"): ambulance and ICU notes stamp events this way, with no date word before them (de-id round
15). ``docs/deid.md`` says a bare month/day needs a date word or a clock time with a colon; the leading zero and
the four-digit time together name a date, not a score ("pain 3/10 1400" stays: no leading zero).
"""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

STAMP_RE = re.compile(r"(?<![\w/.-])(?P<date>0[1-9]/(?:0[1-9]|[12]\d|3[01]))[ \t,]+(?:[01]\d|2[0-3])[0-5]\d"
                      r"(?:[ \t]*(?i:h|hrs|hours))?(?![\w/.:-])")


def find_clock_dates(text: str) -> list[Cand]:
    """DATE candidates for the month/day of each stamp; the clock time stays."""
    return [Cand(m.start("date"), m.end("date"), "DATE", "date-clock", 70) for m in STAMP_RE.finditer(text)]
