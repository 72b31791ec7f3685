"""A telephone number's extension belongs to the number (de-id round 18): "(02) 9555 0147 ext. 213",
"+44 20 7946 0321 x4410", "0161 306 5000 ext 4471". The number alone was found; the extension was left
("x4410") or flagged as a separate internal number ("213"), so its label stayed between two spans.
"""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

_PHONES = frozenset({"PHONE", "FAX"})
_EXT_RE = re.compile(r"[ \t]*,?[ \t]*(?:(?i:ext|extn|extension)\.?[ \t]*(?:no\.?[ \t]*)?|x[ \t]?)\d{1,6}"
                     r"(?![\w/-]|\.\d)")


def extend_phone_extensions(text: str, chosen: list[Cand]) -> list[Cand]:
    """``chosen`` (sorted, non-overlapping) with each PHONE or FAX span grown over an extension right after it; spans
    inside the extension are dropped."""
    if not any(c.type in _PHONES for c in chosen):
        return chosen
    out: list[Cand] = []
    grown_end = -1
    for c in chosen:
        if c.start < grown_end:
            continue  # inside an extension taken by the phone before it
        m = _EXT_RE.match(text, c.end) if c.type in _PHONES else None
        if m is not None:
            c = Cand(c.start, m.end(), c.type, c.rule, c.priority)
            grown_end = m.end()
        out.append(c)
    return out
