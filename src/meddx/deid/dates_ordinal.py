"""A bare ordinal day in a date context (de-id round 19): "symptomatic from the 21st;", "reading high since the 3rd,",
"by phone the 21st", "review on the 14th." The day of a month is a date element under Safe Harbor even without its
month.

Only after a word that places something in time ("since", "from", "on", "by", "until", "before", "after", "due",
"phone"/"call"), and only at the end of a clause (a punctuation mark, the text's end, "at" and a clock time),
so an ordinal of something else stays: "on the 2nd floor", "the 3rd dose", "the 95th centile", "from the 1st
attempt", "on the 2nd and 5th postoperative days". Found and tagged, not shifted (there is no month to shift).
"""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

_ORDINAL_DAY_RE = re.compile(
    r"(?<![\w-])(?i:since|from|on|by|until|till|before|after|due|phone|call|booked[ \t]+for|planned[ \t]+for)[ \t]+"
    r"(?P<day>the[ \t]+(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th))"
    r"(?=[ \t]*(?:[;,.)!?\"”]|\Z|\n)|[ \t]+(?:at[ \t]+\d|to[ \t]+the[ \t]+\d))")


def find_ordinal_days(text: str) -> list[Cand]:
    """DATE candidates for the shape above."""
    if "the" not in text:
        return []
    return [Cand(m.start("day"), m.end("day"), "DATE", "date-ordinal-day", 60) for m in _ORDINAL_DAY_RE.finditer(text)]
