"""A multi-label CSV written by pandas' ``DataFrame.to_csv`` holds the Python text of each list
(``['cardio', 'renal']``), or of a NumPy array read out of Parquet (``['cardio' 'renal']``): not JSON,
so every combination was read, silently, as a single-label class of its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.data.text import load_text_source

pd = pytest.importorskip("pandas")

LABELS = [["cardio", "renal"], ["cardio"], ["renal"], ["neuro", "it's"], ["neuro"], []]


def _notes(n: int) -> list[str]:
    return [f"Patient {i} seen in clinic with finding {i} and a plan." for i in range(n)]


@pytest.mark.parametrize("as_array", [False, True], ids=["list", "numpy-array"])
def test_pandas_to_csv_of_a_list_column_is_multilabel(tmp_path: Path, as_array: bool) -> None:
    labels = [np.array(x, dtype=object) if as_array else x for x in LABELS * 3]
    path = tmp_path / "notes.csv"
    pd.DataFrame({"text": _notes(18), "labels": labels}).to_csv(path, index=False)
    assert "['cardio'" in path.read_text()  # the Python text, not JSON
    source = load_text_source(path)
    assert source.task == "multilabel"
    assert source.label_names == ["cardio", "it's", "neuro", "renal"]
    rows = source.splits["train"].labels
    assert rows[0].tolist() == [1, 0, 0, 1] and rows[3].tolist() == [0, 1, 1, 0] and rows[5].sum() == 0


def test_bracketed_plain_labels_stay_single_label(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    pd.DataFrame({"text": _notes(8), "label": ["[redacted]", "[a, b]", "cardio", "neuro"] * 2}).to_csv(path, index=False)
    source = load_text_source(path)
    assert source.task == "multiclass" and "[redacted]" in source.label_names and "[a, b]" in source.label_names
