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

Round 22 adds two cues of the same kind:

- a noun of a planned or past event with ``next``/``last``/``missed`` before it ("next review 22/11", "missed
  dialysis 21/11", "last appt 04/12"); a UK interval stays ("next review 6/12" is in six months, "review
  6/52"): a pair over 7, 52 or 12 is read as days, weeks or months unless written with a leading zero
  ("04/12") or, over 12, with a first number no interval takes (22/12; 18/12 and 24/12 stay months);
- a dotted pair with a one-digit day after ``seen``/``reviewed``/``sent`` when a clause ends or ``by``,
  ``at``, ``in``, ``with`` follows ("seen 3.11 by own GP"); "was seen: 4.03 per patient" stays.

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
# the pair itself: day and month with a slash, or day and month with a dot ("14.11", "02.12."; its last dot stays
# out; a one-digit day only after a verb and before a clause's end, round 22); "4.03 per patient" is a rate
_PAIR_RE = re.compile(r"(?:(?P<a>\d{1,2})/(?P<b>\d{1,2})|(?P<da>[0-3]\d|[1-9])\.(?P<dm>0[1-9]|1[0-2]))"
                      r"(?![\d/]|[.,:]\d)")
# what may follow a dotted pair with a one-digit day ("seen 3.11 by own GP", "sent 4.12;")
_SHORT_DOT_END_RE = re.compile(r"[ \t]*(?:[;,)]|\.(?!\d)|$)|[ \t]+(?:by|at|in|with|and|for|to|from)\b", re.M)
# a noun of an event with a word that dates it: "next review 22/11", "missed dialysis 21/11", "last appt 04/12"
_EVENT_RE = re.compile(r"(?i:\b(?:next|last|previous|missed|planned|booked|provisional)[ \t]+(?:review|appt|appointment"
                       r"|dialysis|bloods|clinic|visit|session|scan|dose|infusion|f/?u|follow-?up|check"
                       r"|tests?|inr|injection|jab|procedure|operation|smear|swab|echo|ecg|x-?ray|mri|ct)"  # (round 24)
                       r"(?:[ \t]+(?:date|due))?)(?![\w'’-])[ \t]*:?[ \t]*(?:(?i:on|is|due)[ \t]+)?")
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
    cues = [(v, False) for v in _VERB_RE.finditer(text)] + [(v, True) for v in _EVENT_RE.finditer(text)]
    for verb, event in cues:
        m = _PAIR_RE.match(text, verb.end())
        if m is None:
            continue
        day_month = _day_month(m)
        if day_month is None or _NOT_DATE_AFTER_RE.match(text, m.end()):
            continue
        if len(m.group("da") or "..") == 1 and (event or not _SHORT_DOT_END_RE.match(text, m.end())):
            continue
        if event and _interval(m):
            continue
        if _SCORE_BEFORE_RE.search(text, max(0, verb.start() - 40), verb.start()):
            continue
        out.append(SentDate(m.start(), m.end(), m.group("b") is not None))
    return out


def _interval(m: re.Match[str]) -> bool:
    """A slash pair that UK notes write for a span after an event noun: x/7 days, x/52 weeks, x/12 months ("next
    review 6/12"); a leading zero ("04/12") or a number no interval takes (22/12) makes it a date."""
    a, b = m.group("a"), m.group("b")
    if a is None or a.startswith("0"):
        return False
    n = int(a)
    return (b == "7" and n <= 7) or (b == "52" and n <= 52) or (b == "12" and (n <= 12 or n in (15, 18, 24)))


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

