"""A day and month with no year right after a verb of sending, seeing or receiving (de-id round 21b):
"(sent 22/11)", "reviewed 14/11", "letter received 3/4", "seen 14.11", "faxed: 02.12.".

The month/day rule of ``date_patterns`` takes a pair only after a date word ("on", "since", "seen"),
because "pain 7/10", "GCS 14/15", "power 4/5" and "2/3 doses" are scores and fractions. A verb that says
when something was sent, seen or received is as good a date word: a score does not follow it. Guards,
each for a look-alike measured on notes and abstracts:

- a score word in the three words before the verb ("pain reviewed 7/10", "power checked 4/5");
- a span, a dose, a unit, a share or a time ago after the pair ("seen 3/7 ago", "sent 1/2 of the
  tablets", "reviewed 2/3 doses", "received 5/10 mg", "seen 6/12 later"): UK notes write days, weeks
  and months as x/7, x/52 and x/12;
- a dotted pair only with a two-digit day and month ("14.11", "02.12."), since a value after a verb has
  one decimal or a one-digit whole part ("received 1.7", "K+ reviewed 4.2", "was seen: 4.03 per patient"
  in an abstract), and nothing after it that a number takes ("per", "vs", "±"); a dotted date is tagged,
  not shifted (``dates_shift`` reads slashes only).

Hand-written like the other rules of ``meddx.deid`` (``detect`` says why).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from meddx.deid.patterns import TIME_SPANS

# verbs after which a day and month is when it happened (past tense: "sent", not "send 2/3 samples")
_VERBS = (r"sent|re-?sent|seen|reviewed|re-?reviewed|received|rec['’]?d|recv['’]?d|faxed|e-?mailed|posted|texted"
          r"|messaged|phoned|telephoned|rang|called|dictated|typed|signed|countersigned|co-?signed|issued|dispatched"
          r"|visited|examined|referred|contacted|wrote|written|letter\s+dated")
_VERB_RE = re.compile(rf"(?i:\b(?:{_VERBS}))(?![\w'’-])[ \t]*:?[ \t]*(?:(?i:out|off|back|on)[ \t]+){{0,2}}"
                      r"(?:\((?=\d))?")
# the pair itself: day and month with a slash, or two-digit day and month with a dot ("14.11", "02.12."; its
# last dot stays out); "4.03 per patient" after "was seen:" in an abstract is a rate
_PAIR_RE = re.compile(r"(?:(?P<a>\d{1,2})/(?P<b>\d{1,2})|(?P<da>[0-3]\d)\.(?P<dm>0[1-9]|1[0-2]))(?![\d/]|[.,:]\d)")
# a score or a measure named just before the verb: "pain reviewed 7/10", "MRC power checked 4/5"
_SCORE_BEFORE_RE = re.compile(r"(?i:\b(?:pain|score|scores|scored|gcs|bp|power|mrc|oxford|mmse|moca|amts|ace|acuity|va"
                              r"|vision|snellen|sats|spo2|nihss|apgars?|barthel|berg|tinetti|rating|rated|grade|ratio"
                              r"|fev1|fvc|peak\s+flow|hb|inr|k\+?|na\+?|crp|egfr|bm|bms|glucose|level|levels|dose"
                              r"|doses|tabs?|tablets?|sites?|fraction|out\s+of)\b)(?:[ \t]+[\w'’-]+){0,2}[ \t]*$")
# what follows a score, a share or a span of time, not a date
_NOT_DATE_AFTER_RE = re.compile(rf"[ \t]*(?:%|±|\+/-|(?i:per|vs|versus|fold|points?|ago|hx|history|prior"
                                rf"|previously|later|before|after|post|of|doses?|tabs?|tablets?|caps?|capsules?"
                                rf"|sachets?|puffs?|units?|mg|mcg|mls?|mmol|mmhg|kg|g|cm|mm|sites?|times?|episodes?"
                                rf"|pain|power|score|fractions?|cycles?|x|{TIME_SPANS})\b)")


class SentDate(NamedTuple):
    """A day and month found after a verb: where, and whether it can be shifted (slash form)."""

    start: int
    end: int
    shiftable: bool


def find_sent_dates(text: str) -> list[SentDate]:
    """Day/month pairs right after a verb of sending, seeing or receiving (see the module docstring)."""
    out: list[SentDate] = []
    for verb in _VERB_RE.finditer(text):
        m = _PAIR_RE.match(text, verb.end())
        if m is None:
            continue
        day_month = _day_month(m)
        if day_month is None or _NOT_DATE_AFTER_RE.match(text, m.end()):
            continue
        if _SCORE_BEFORE_RE.search(text, max(0, verb.start() - 40), verb.start()):
            continue
        out.append(SentDate(m.start(), m.end(), m.group("b") is not None))
    return out


def _day_month(m: re.Match[str]) -> tuple[int, int] | None:
    """(day, month) of a pair read day first when the first number is over 12 (as ``m-d`` reads it), or
    ``None`` when no reading is a calendar day."""
    if m.group("dm") is not None:  # dotted: always day then month (European)
        day, month = int(m.group("da")), int(m.group("dm"))
    else:
        a, b = int(m.group("a")), int(m.group("b"))
        day, month = (a, b) if a > 12 else (b, a)
    if not 1 <= month <= 12 or not 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31):
        return None
    return day, month

