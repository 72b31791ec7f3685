"""One CSV writer for the text-source tests that build small files (swapped columns, MIMIC-III slices)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Sequence


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    """``header`` then ``rows`` as a UTF-8 CSV at ``path`` (quoted as the csv module quotes); returns ``path``."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path
