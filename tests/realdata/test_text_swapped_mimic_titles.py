"""Real files from the MIMIC-III demo whose titles are each in about one row are read, not refused as swapped.

Each admission's admitting diagnosis (``ADMISSIONS.diagnosis``, 2 to 3 words, 25 of 129 with a ';')
with its principal diagnosis' long title (``DIAGNOSES_ICD`` seq 1, 6 words) or its DRG descriptions
(``DRGCODES``, 6 to 11 words), read with ``--label-delimiter ';'``: nearly every title is in one row
of a 20- to 40-row slice. Before, 9 of these 20 cases had slices refused as swapped (label names
nearly one per row and twice the documents' words). The admitting diagnoses are no label sets (fewer than half hold the ';', and they are
phrases, not one-word codes), so they are read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.data.text import load_text_source
from tests.unit.data.csv_files import write_csv

pytestmark = pytest.mark.realdata


def _admissions(shared_data: Path, table: str) -> list[tuple[str, str]]:
    import pandas as pd

    root = shared_data / "mimic3-demo"
    if not (root / "DRGCODES.csv").is_file():
        pytest.skip(f"{root} is absent")
    if table == "drg":
        found, column = pd.read_csv(root / "DRGCODES.csv"), "description"
    else:
        found = pd.read_csv(root / "DIAGNOSES_ICD.csv", dtype={"icd9_code": str})
        found = found[found["seq_num"] == 1].merge(pd.read_csv(root / "D_ICD_DIAGNOSES.csv", dtype={"icd9_code": str}),
                                                   on="icd9_code", how="inner")
        column = "long_title"
    sets = found.groupby("hadm_id")[column].apply(lambda s: ";".join(sorted({str(v).replace(";", ",") for v in s})))
    admissions = pd.read_csv(root / "ADMISSIONS.csv").set_index("hadm_id")
    return [(str(admissions.loc[h, "diagnosis"]), sets[h]) for h in sets.index if h in admissions.index]


@pytest.mark.parametrize("table", ["drg", "principal"])
@pytest.mark.parametrize("size", [12, 20, 30, 40, None])
@pytest.mark.parametrize("grouped", [False, True])
def test_mimic_admissions_with_their_titles_are_read(tmp_path: Path, shared_data: Path, table: str,
                                                     size: int | None, grouped: bool) -> None:
    """``grouped``: rows sorted by admitting diagnosis, so a slice's documents repeat."""
    rows = _admissions(shared_data, table)
    rows = sorted(rows) if grouped else rows
    for start in range(0, len(rows), size or len(rows)):  # every slice of the file, in its order
        part = rows[start:start + (size or len(rows))]
        if len(part) < (size or 0):
            continue
        source = load_text_source(write_csv(tmp_path / f"adm{start}.csv", ["text", "labels"], part), label_delimiter=";")
        assert source.task == "multilabel" and "looks_swapped" not in source.columns, (start, len(part))
