"""What ``evaluate`` says about a table's or a series' values, as ``predict`` does: zeros that look
like a missing-value code (the source's ``warnings``), table columns far outside the bundle's training
range or holding a category no training row had, and series values far from any training value.

Why: a bundle trained on the UCI Cleveland file (``chol`` 126 to 564) evaluated on the Switzerland
file, whose ``chol`` is 0 in every row, reported its metrics without a word, while ``predict`` on the
same rows printed both notes; a clinician reading ``metrics.json`` must see them too. The same held
for a site whose ``site`` or ``sex`` codes training never saw (read as ``COLUMN=other``), for a
series file holding a missing-value code such as ``HR`` 99999, and for observations the series
readers left out (162 values outside the valid ranges in 200 PhysioNet files), variables no
training stay observed and stays without any observation.
"""

from __future__ import annotations

from typing import Any


def table_warnings(predictor: Any, source: Any, split: str) -> list[str]:
    """The source's warnings and the predictor's notes on ``split`` (without their ``note:``): for
    tables the range, unseen-category and mostly-missing notes (``TabularPredictor.range_notes``,
    ``category_notes``, ``missing_notes``),
    for series what predict notes of the files (:func:`series_input_notes`); none for images and text."""
    found = list(getattr(source, "warnings", None) or [])
    data = source.split(split)
    if getattr(data, "table", None) is not None:
        names = list(data.ids)
        for notes in (getattr(predictor, "range_notes", None), getattr(predictor, "category_notes", None),
                      getattr(predictor, "missing_notes", None)):
            if notes is not None:
                found += [n.removeprefix("note: ") for n in notes(data.table, names)]
    records = getattr(data, "records", None)
    if records is not None and hasattr(predictor, "far_values_note"):
        found += series_input_notes(predictor, source, records)
    return found


def series_input_notes(predictor: Any, source: Any, records: list) -> list[str]:
    """What ``predict`` notes of series files, for the evaluated stays ``records`` of ``source``: the
    observations the reader left out (by reason and variable; :func:`meddx.data.series_notes.not_read_note`),
    rows repeated exactly or clashing values (a long CSV), observations of variables no training stay had
    (:meth:`SeriesPredictor.unused_note`), values far from training and stays without any observation."""
    from meddx.data.series_notes import not_read_note

    found = [not_read_note(source), *((getattr(source, "cleaning", None) or {}).get("row_notes") or [])]
    for note in ("unused_note", "far_values_note", "empty_stays_note"):
        method = getattr(predictor, note, None)
        found.append(method(records) if method is not None and records else None)
    return [n for n in found if n]
