"""Table columns named as a bundle's only when case is ignored (``GLUCOSE`` for ``Glucose``).

Every table reader finds columns by name ignoring case (:func:`meddx.data.tabular_read.find_column`),
and refuses a file whose names differ only by case. Matching so is allowed, since an export may
upper-case its header, but said: before, ``predict`` read such columns without a word and ``evaluate``
refused the file because its label names (``OUTCOME=1``) were not the bundle's (``Outcome=1``).
"""

from __future__ import annotations

from pathlib import Path

from meddx.data.tabular_read import find_column


def case_matched(header: list[str], wanted: list[str]) -> dict[str, str]:
    """``{file column: wanted name}`` for the ``header`` entries that equal a ``wanted`` name (the model's
    columns) only when case is ignored (``GLUCOSE`` for ``Glucose``); exact matches are left out."""
    return {found: name for name in wanted if name not in header
            for found in [find_column(header, name)] if found is not None}


def case_note(path: Path, matched: dict[str, str]) -> str:
    """The note naming the columns :func:`case_matched` found: matched by name ignoring case, said."""
    shown = ", ".join(f"{a!r} as {b!r}" for a, b in list(matched.items())[:8])
    more = f" and {len(matched) - 8} more" if len(matched) > 8 else ""
    return (f"{path.name}: {len(matched)} column(s) named as the model's only when case is ignored, read as its "
            f"columns: {shown}{more}; check that they hold the same measurements")
