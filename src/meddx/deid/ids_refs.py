"""A reference made of letter groups and digits split by slashes, after a reference's label (de-id round 19):
"custody ref CU/26/118844", "solicitor's ref RA/PI/5521", "Our ref: KM/LT/20931", "file no. HR/2024/0087", "Home Office ref G1234567/002".

The context rule reads "ref" only before "#" ("ref #") and its value stops at the first slash; the generic rule
takes no code shorter than five digits. Guarded: the value starts with a letter, has at least one slash and at
least three digits, so "ref range 3.5-5.0", "ref 1/2" and "ref ACR/EULAR criteria" stay.
"""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

_REF_RE = re.compile(
    r"(?<![\w-])(?i:ref|reference|our[ \t]+ref|your[ \t]+ref|file|case|claim|crime|incident"
    r"|custody(?:[ \t]+(?:ref|record))?)\.?"  # (round 25: "custody record WY/2231/24")
    r"(?:[ \t]*(?i:no|number|#)\.?)?[ \t]*:?[ \t]*"
    r"(?P<id>[A-Z]{1,5}\d{0,9}(?:/[A-Z0-9]{1,8}){1,4})(?![\w/-])")


def find_ref_ids(text: str) -> list[Cand]:
    """ID candidates for the shape above."""
    if "/" not in text:
        return []
    return [Cand(m.start("id"), m.end("id"), "ID", "id-ref", 80) for m in _REF_RE.finditer(text)
            if sum(c.isdigit() for c in m.group("id")) >= 3]
