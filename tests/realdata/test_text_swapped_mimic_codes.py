"""Real multi-label files built from the MIMIC-III demo are read, not refused as swapped.

Each admission's admitting diagnosis (``ADMISSIONS.diagnosis``, about 2 words) with its ICD-9 codes
or their long titles (``DIAGNOSES_ICD`` + ``D_ICD_DIAGNOSES``, about 13 per admission): short
documents, nearly every label set unique, each code or title in 1.2 to 2 rows of a 12-row slice,
1.5 to 2 of a 20- or 30-row one. Sorted by admitting diagnosis, a slice's documents repeat
(SEPSIS, ...): before, 12- to 30-row slices of them were refused as swapped (label names in fewer
than 2 rows each); titles recur, and codes are one word, so they are read at every size.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.data.text import load_text_source
from tests.unit.data.csv_files import write_csv

pytestmark = pytest.mark.realdata


def _admissions(shared_data: Path, titles: bool) -> list[tuple[str, str]]:
    import pandas as pd

    root = shared_data / "mimic3-demo"
    if not (root / "DIAGNOSES_ICD.csv").is_file():
        pytest.skip(f"{root} is absent")
    dx = pd.read_csv(root / "DIAGNOSES_ICD.csv", dtype={"icd9_code": str})
    names = pd.read_csv(root / "D_ICD_DIAGNOSES.csv", dtype={"icd9_code": str})
    dx = dx.merge(names, on="icd9_code", how="inner")
    column = "long_title" if titles else "icd9_code"
    sets = dx.groupby("hadm_id")[column].apply(lambda s: ";".join(sorted({v.replace(";", ",") for v in s})))
    admissions = pd.read_csv(root / "ADMISSIONS.csv").set_index("hadm_id")
    return [(str(admissions.loc[h, "diagnosis"]), sets[h]) for h in sets.index]


@pytest.mark.parametrize("titles", [False, True])
@pytest.mark.parametrize("size", [12, 20, 30, None])
@pytest.mark.parametrize("grouped", [False, True])
def test_mimic_admissions_with_their_codes_are_read(tmp_path: Path, shared_data: Path, titles: bool,
                                                     size: int | None, grouped: bool) -> None:
    """``grouped``: rows sorted by admitting diagnosis, so a slice's documents repeat (SEPSIS, ...)."""
    rows = _admissions(shared_data, titles)
    rows = sorted(rows, key=lambda r: r[0]) if grouped else rows
    for start in range(0, len(rows), size or len(rows)):  # every slice of the file, in its order
        part = rows[start:start + (size or len(rows))]
        if len(part) < (size or 0):
            continue
        source = load_text_source(write_csv(tmp_path / f"adm{start}.csv", ["text", "labels"], part), label_delimiter=";")
        assert source.task == "multilabel" and "looks_swapped" not in source.columns, (start, len(part))

