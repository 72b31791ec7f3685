"""A range of days before a month's name (de-id round 24): "locum 4-8 November", "away 12th–19th Oct 2024",
"from 3 to 9 June". Each day is an element of a date; the rules for one day and its month found only the last
(``8 November``) or none. The span is the whole range; it is tagged, not shifted (one offset per day would be
needed)."""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

# a month's name written with its capital ("2-4 mar" is a dose's range, "1-2 may be" a verb)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?"
          r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|JAN|FEB|MAR|APR|MAY|JUNE?|JULY?|AUG|SEPT?|OCT|NOV|DEC)")
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?i:st|nd|rd|th)?"
_RANGE_RE = re.compile(rf"(?<![\w/.-]){_DAY}[ \t]*(?:[-–—]|(?i:to|until|till))[ \t]*{_DAY}[ \t]+{_MONTH}"
                       r"(?:,?[ \t]+(?:19|20)\d\d)?(?![\w'’-])")


def find_date_ranges(text: str) -> list[Cand]:
    """DATE candidates of the shapes in the module docstring."""
    return [Cand(m.start(), m.end(), "DATE", "date-range", 71) for m in _RANGE_RE.finditer(text)]
