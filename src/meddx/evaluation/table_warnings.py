"""What ``evaluate`` says about a table's or a series' values, as ``predict`` does: zeros that look
like a missing-value code (the source's ``warnings``), table columns far outside the bundle's training
range or holding a category no training row had, and series values far from any training value.

Why: a bundle trained on the UCI Cleveland file (``chol`` 126 to 564) evaluated on the Switzerland
file, whose ``chol`` is 0 in every row, reported its metrics without a word, while ``predict`` on the
same rows printed both notes; a clinician reading ``metrics.json`` must see them too. The same held
for a site whose ``site`` or ``sex`` codes training never saw (read as ``COLUMN=other``), and for a
series file holding a missing-value code such as ``HR`` 99999.
"""

from __future__ import annotations

from typing import Any


def table_warnings(predictor: Any, source: Any, split: str) -> list[str]:
    """The source's warnings and the predictor's notes on ``split`` (without their ``note:``): for
    tables the range and unseen-category notes (``TabularPredictor.range_notes``, ``category_notes``),
    for series the far-value note (``SeriesPredictor.far_values_note``); none for images and text."""
    found = list(getattr(source, "warnings", None) or [])
    data = source.split(split)
    if getattr(data, "table", None) is not None:
        names = list(data.ids)
        for notes in (getattr(predictor, "range_notes", None), getattr(predictor, "category_notes", None)):
            if notes is not None:
                found += [n.removeprefix("note: ") for n in notes(data.table, names)]
    records = getattr(data, "records", None)
    if records and hasattr(predictor, "far_values_note"):
        far = predictor.far_values_note(records)
        if far:
            found.append(far)
    return found
