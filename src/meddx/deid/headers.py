"""Column names of a table given to ``meddx deid``: refuse one that reads as an identifier.

A CSV exported without a header row has its first note read as the column names. ``data.text.check_header``
catches a long first line, but a short note ("Pt Maria Gonzalez seen 3/1/2021") passed as a column name: deid
then echoed it in its notes ("using 'Pt Maria Gonzalez ...'") and copied it unscrubbed into the output's header,
with exit 0. Column names are copied as they are, so one the detector finds an identifier in is refused, naming
the column's position and the type found, never its text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable


def check_header_phi(src: Path, names: Iterable[object], what: str = "column") -> None:
    """Raise ``DataError`` when a column name (JSONL: a key) holds what the detector takes for an identifier."""
    from meddx.core.errors import DataError
    from meddx.deid.detect import detect

    for i, name in enumerate(names, start=1):
        kinds = sorted({s.type for s in detect(str(name))})
        if kinds:
            raise DataError(f"{src}: {what} {i} of the header holds what reads as an identifier ({', '.join(kinds)}); "
                            f"{what} names are copied to the output unscrubbed. A file exported without a header row? "
                            "Add a header line (e.g. id,text) at the top of the file, or rename that column")
