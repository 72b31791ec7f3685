"""Missing cells of nullable Parquet columns (pandas' ``Int64``, ``string``, ``boolean`` dtypes hold
``pd.NA``) are missing, as a NaN or a JSON null is: their text ``<NA>`` became a class, a document,
a patient and an unknown split."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

CANARY = "CANARYPHI5521"


def docs(n: int) -> list[str]:
    return [f"Patient {i} {CANARY} presented with finding number {i} and was seen again." for i in range(n)]


def write(tmp_path: Path, **columns: object) -> Path:
    path = tmp_path / "notes.parquet"
    pd.DataFrame(columns).to_parquet(path)
    return path


@pytest.mark.parametrize("labels", [
    pd.array([1, 2, None, 1, 2, 1], dtype="Int64"),
    pd.array(["a", "b", None, "a", "b", "a"], dtype="string"),
    pd.array([True, False, None, True, False, True], dtype="boolean"),
], ids=["Int64", "string", "boolean"])
def test_a_null_label_is_a_missing_label_not_a_class(tmp_path: Path, labels: object) -> None:
    path = write(tmp_path, text=docs(6), label=labels)
    with pytest.raises(DataError, match=r"1 row\(s\) without a label \(rows 3\)") as info:
        load_text_source(path)
    assert CANARY not in str(info.value) and "<NA>" not in str(info.value)


def test_a_null_document_is_empty_text(tmp_path: Path) -> None:
    texts = pd.array(docs(5) + [None], dtype="string")
    path = write(tmp_path, text=texts, label=["a", "b", "a", "b", "a", "b"])
    with pytest.raises(DataError, match=r"empty or whitespace-only text \(rows 6\)"):
        load_text_source(path)


def test_null_patient_and_split_cells_read_as_empty_ones(tmp_path: Path) -> None:
    path = write(tmp_path, text=docs(8), label=["a", "b"] * 4,
                 patient_id=pd.array([1, 2, 3, 4, 5, None, 6, None], dtype="Int64"),
                 split=pd.array(["train"] * 5 + [None, "test", "test"], dtype="string"))
    source = load_text_source(path)
    assert sorted(source.splits) == ["test", "train"] and len(source.splits["train"].ids) == 6  # empty = train
    patients = source.splits["train"].patient_ids + source.splits["test"].patient_ids
    assert "<NA>" not in patients and len(set(patients)) == 8  # each empty patient its own
    assert any("empty 'patient_id'" in n for n in source.notes)
