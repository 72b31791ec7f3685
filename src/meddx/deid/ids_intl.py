"""Identifier numbers of other countries whose shape alone names them (de-id round 17): a Brazilian CPF
("CPF 123.456.789-09", also written without its label, "documento 987.654.321-00").

Why by shape: three groups of three digits split by full stops, then two check digits after a hyphen, is no
dose, date, version or measurement. Translated discharge letters carry such numbers with labels in the first
language that the context rules do not know, and the generic rule reads digits split by full stops as decimals.
(A Philippine PhilHealth number, "12-050335561-7", is already found by the generic rule.)
"""

from __future__ import annotations

import re

from meddx.deid.patterns import Cand

_CPF_RE = re.compile(r"(?<![\w.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w.-]|\.\d)")


def find_intl_ids(text: str) -> list[Cand]:
    """ID candidates of the shapes in the module docstring."""
    if "-" not in text:
        return []
    return [Cand(m.start(), m.end(), "ID", "id-intl", 80) for m in _CPF_RE.finditer(text)]
