"""Real multi-label files whose short documents repeat with each row's own label set are read, not
refused as "swapped": chief complaints (MIMIC-IV-ED style) with each visit's ICD codes, or templated
notes, as a delimited, JSON-list or Parquet list column. Swapped columns (every "label" a note, in
one row) are still refused. Before: the rule counted label SETS only, and real code sets are nearly
unique, so these files were refused by ``meddx train`` and ``data info``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source
from tests.unit.data.csv_files import write_csv as _write

CANARY = "Quillfeather"
_CODES = ["I50.9", "I21.4", "J18.9", "N18.3", "I10", "E11.9", "J44.1", "N17.9", "E87.1", "D64.9",
          "I48.91", "E78.5", "F32.9", "K21.9", "Z79.4", "R07.9", "R06.02", "A41.9", "N39.0", "I25.10"]
_COMPLAINTS = ["Chest pain", "Abd pain", "Dyspnea", "Fever", "Syncope", "Weakness", "Fall", "Headache"]


def _visits(n: int = 200) -> list[tuple[str, list[str]]]:
    rng = random.Random(0)
    return [(_COMPLAINTS[i % 8], rng.sample(_CODES, rng.randint(2, 5))) for i in range(n)]


@pytest.mark.parametrize("style", ["delimited", "json", "parquet"])
def test_repeating_chief_complaints_with_their_own_code_sets_are_read(tmp_path: Path, style: str) -> None:
    visits = _visits()
    if style == "parquet":
        import pandas as pd

        path = tmp_path / "ed.parquet"
        pd.DataFrame({"text": [t for t, _ in visits], "labels": [c for _, c in visits]}).to_parquet(path)
        source = load_text_source(path)
    elif style == "json":
        source = load_text_source(_write(tmp_path / "ed.csv", ["text", "labels"],
                                         [(t, json.dumps(c)) for t, c in visits]))
    else:
        source = load_text_source(_write(tmp_path / "ed.csv", ["text", "labels"], [(t, ";".join(c)) for t, c in visits]),
                                  label_delimiter=";")
    assert source.task == "multilabel" and sorted(source.label_names) == sorted(_CODES)
    assert "looks_swapped" not in source.columns


def test_the_same_visits_swapped_are_refused(tmp_path: Path) -> None:
    """Read the other way round, the notes are the labels, one row each: still refused, no note quoted."""
    sets = ["I50.9", "I10", "I50.9;I10", "J18.9", "J18.9;I10", "E11.9"]  # few sets repeat over distinct notes
    rows = [(f"{CANARY} {i} seen for {_COMPLAINTS[i % 8].lower()}", sets[i % 6]) for i in range(60)]
    path = _write(tmp_path / "ed.csv", ["text", "labels"], rows)
    with pytest.raises(DataError, match="look swapped") as err:
        load_text_source(path, text_column="labels", label_column="text", label_delimiter=";")
    assert CANARY not in str(err.value)
