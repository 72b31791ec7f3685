"""Candidates that are not identifiers although a rule found them (the fourteenth round's over-scrubs), dropped
before the detector resolves overlaps:

- hospital areas after a plural relation word ("Sisters Ward and Theatre staff", "parents Ward and Theatre
  informed"): the relation rule reads "Sisters"/"parents" as kin, but a department word joined by "and" to
  another, or followed by "staff"/"team", is a place in the hospital (``Mr Ward`` after a title stays a name);
- a laboratory cell line taken as an unlabelled code ("Cell line R3230AC", "R3230AC cells", "HeLa cells");
- a listed surname that names a show ("Watched Hamilton on Broadway", "tickets for Hamilton", "saw Wicked in the
  West End"): after "tickets for"/"the musical", or after a verb of seeing with a theatre word after it, so "Saw
  Hamilton in clinic" stays a name.
"""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

# places and teams of a hospital that are also surnames or look like names after a relation word
_AREAS = frozenset("""ward wards theatre theatres theater recovery resus pharmacy radiology physio physiotherapy
outpatients endoscopy maternity portering porters security housekeeping catering estates medical surgical nursing
admissions reception switchboard bed bay icu itu hdu ed a&e""".split())
_AREA_WORD = r"(?:" + "|".join(sorted((re.escape(w) for w in _AREAS), key=len, reverse=True)) + r")"
_AREA_FOLLOW_RE = re.compile(r"[ \t]*(?:(?:and|&|or|/|,)[ \t]*(?i:" + _AREA_WORD + r")\b|(?i:staff|teams?|nurses?|"
                             r"colleagues|managers?|sisters?|co-?ordinators?|leads?)\b)", re.I)
_AREA_BEFORE_RE = re.compile(r"(?i:\b" + _AREA_WORD + r")[ \t]*(?:and|&|or|/|,)[ \t]*\Z")
_CELL_BEFORE_RE = re.compile(r"(?i:\bcell[ \t-]+lines?|\bcells?|\bline)[ \t:]*\Z")
_CELL_AFTER_RE = re.compile(r"(?:[ \t]+(?:and|or|,)[ \t]+\S+)?[ \t-]+(?i:cells?|cell[ \t-]+lines?|xenografts?|"
                            r"tumou?rs?[ \t]+cells)\b")
_SHOW_BEFORE_RE = re.compile(r"(?i:\b(?:watched|watching|saw|seen|see|went[ \t]+to[ \t]+see))[ \t]+\Z")
_SHOW_NAMED_RE = re.compile(r"(?i:\b(?:tickets?[ \t]+(?:for|to)|the[ \t]+musical|the[ \t]+show|the[ \t]+play"
                            r"|production[ \t]+of))[ \t]+\Z")
_SHOW_AFTER_RE = re.compile(r"[ \t]+(?i:on[ \t]+Broadway|in[ \t]+the[ \t]+West[ \t]+End|at[ \t]+the[ \t]+"
                            r"(?:theatre|theater|cinema|movies)|the[ \t]+musical|on[ \t]+tour)\b")
_TITLE_BEFORE_RE = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Sister|Nurse)\.?[ \t]+\Z")


def drop_more_overscrubs(text: str, cands: list[Cand]) -> list[Cand]:
    """``cands`` without the look-alikes above."""
    return [c for c in cands if not _look_alike(text, c)]


def _look_alike(text: str, c: Cand) -> bool:
    value = text[c.start:c.end]
    before = text[max(0, c.start - 30):c.start]
    if c.type == "NAME" and " " not in value and value.lower() in _AREAS and c.rule != "title":
        return (_TITLE_BEFORE_RE.search(before) is None
                and (_AREA_FOLLOW_RE.match(text, c.end) is not None or _AREA_BEFORE_RE.search(before) is not None))
    if c.type == "ID" and c.rule == "generic-id":
        return _CELL_BEFORE_RE.search(before) is not None or _CELL_AFTER_RE.match(text, c.end) is not None
    if c.type == "NAME" and c.rule == "dict-solo":
        return _SHOW_NAMED_RE.search(before) is not None or (
            _SHOW_BEFORE_RE.search(before) is not None and _SHOW_AFTER_RE.match(text, c.end) is not None)
    return False
