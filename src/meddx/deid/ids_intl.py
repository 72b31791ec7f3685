"""Identifier numbers of other countries whose shape alone names them (de-id round 17): a Brazilian CPF
("CPF 123.456.789-09", also written without its label, "documento 987.654.321-00").

Why by shape: three groups of three digits split by full stops, then two check digits after a hyphen, is no
dose, date, version or measurement. Translated discharge letters carry such numbers with labels in the first
language that the context rules do not know, and the generic rule reads digits split by full stops as decimals.
(A Philippine PhilHealth number, "12-050335561-7", is already found by the generic rule.)

Round 18: a blood donor's number after "donor" ("donor G092 418 773 220"): a letter and groups of digits split by
spaces, which the generic rule reads as separate counts.
"""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

_CPF_RE = re.compile(r"(?<![\w.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w.-]|\.\d)")


_DONOR_RE = re.compile(r"(?i:\bdonor)[ \t]+(?:(?i:no|number|id)\.?[ \t]*:?[ \t]*)?"
                       r"(?P<id>[A-Z]?\d{3,4}(?:[ \t]\d{3}){2,3})(?![\w.-]|\.\d)")


def find_intl_ids(text: str) -> list[Cand]:
    """ID candidates of the shapes in the module docstring."""
    out = [Cand(m.start("id"), m.end("id"), "ID", "id-donor", 80) for m in _DONOR_RE.finditer(text)]
    if "-" not in text:
        return out
    return out + [Cand(m.start(), m.end(), "ID", "id-intl", 80) for m in _CPF_RE.finditer(text)]
