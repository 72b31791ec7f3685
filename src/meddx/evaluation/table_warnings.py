"""What ``evaluate`` says about a table's values, as ``predict`` does: zeros that look like a
missing-value code (the source's ``warnings``) and columns far outside the bundle's training range.

Why: a bundle trained on the UCI Cleveland file (``chol`` 126 to 564) evaluated on the Switzerland
file, whose ``chol`` is 0 in every row, reported its metrics without a word, while ``predict`` on the
same rows printed both notes; a clinician reading ``metrics.json`` must see them too.
"""

from __future__ import annotations

from typing import Any


def table_warnings(predictor: Any, source: Any, split: str) -> list[str]:
    """The source's warnings and the predictor's range notes on ``split`` (without their ``note:``);
    none for images, text and series."""
    found = list(getattr(source, "warnings", None) or [])
    data = source.split(split)
    if getattr(data, "table", None) is not None and hasattr(predictor, "range_notes"):
        found += [n.removeprefix("note: ") for n in predictor.range_notes(data.table, list(data.ids))]
    return found
