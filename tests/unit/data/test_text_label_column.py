"""The label column of a text source: one style of cell, and never documents.

- A JSON list in one row of a single-label file made the whole source multi-label without a word
  (a binary task trained as two sigmoid labels); it is refused naming the rows.
- A label column that holds the notes (``--label-column text --text-column label``, swapped) made
  every note a class name: printed by ``data info``/``verify`` and quoted by ``train`` in "class
  '<the note>' has no training sample". It is refused, counting rows, quoting nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source

CANARY = "Quillfeather Osgood"  # a planted patient name: must never reach a message or an output


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def _notes(n: int, words: int = 20) -> list[tuple[str, str]]:
    filler = " ".join(f"word{k}" for k in range(words))
    return [(f"Note {i} for {CANARY}: {filler}.", "cardiology" if i % 2 else "oncology") for i in range(n)]


def test_a_json_list_in_a_single_label_column_is_refused_naming_its_row(tmp_path: Path) -> None:
    rows = _notes(20)
    rows[8] = (rows[8][0], '["cardiology", "oncology"]')
    path = _write(tmp_path / "binary.csv", rows)
    with pytest.raises(DataError) as err:
        load_text_source(path)
    message = str(err.value)
    assert str(path) in message and "column 'label'" in message and "(rows 9)" in message
    assert "--label-delimiter" in message and CANARY not in message and "\n" not in message


def test_every_row_a_list_or_a_delimiter_stays_multi_label(tmp_path: Path) -> None:
    rows = [(t, '["a"]' if i % 3 else '["a", "b"]') for i, (t, _) in enumerate(_notes(12))]
    assert load_text_source(_write(tmp_path / "lists.csv", rows)).task == "multilabel"
    mixed = [(t, '["a", "b"]' if i == 0 else "a") for i, (t, _) in enumerate(_notes(12))]
    source = load_text_source(_write(tmp_path / "mixed.csv", mixed), label_delimiter="|")
    assert source.task == "multilabel" and source.label_names == ["a", "b"]


@pytest.mark.parametrize("words", [20, 3])  # long notes; short notes, each one its own "class"
def test_swapped_text_and_label_columns_are_refused_without_quoting_a_note(tmp_path: Path, words: int) -> None:
    path = _write(tmp_path / "notes.csv", _notes(60, words))
    with pytest.raises(DataError) as err:
        load_text_source(path, text_column="label", label_column="text")
    message = str(err.value)
    assert str(path) in message and "column 'text'" in message and "--label-column" in message
    assert CANARY not in message and "word1" not in message


def test_long_diagnosis_names_are_still_labels(tmp_path: Path) -> None:
    names = ["Malignant neoplasm of bronchus and lung, unspecified part", "Type 2 diabetes mellitus with "
             "diabetic chronic kidney disease"]
    rows = [(t, names[i % 2]) for i, (t, _) in enumerate(_notes(20))]
    source = load_text_source(_write(tmp_path / "icd.csv", rows))
    assert source.task == "binary" and sorted(source.label_names) == sorted(names)


def test_data_info_and_train_never_print_a_note_read_as_a_label(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.cli_helpers import run_cli

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    path = _write(tmp_path / "notes.csv", _notes(40))
    for argv in (["data", "info", str(path)], ["train", "--data", str(path), "--epochs", "1", "--no-progress"]):
        result = run_cli([*argv, "--label-column", "text", "--text-column", "label"], capsys)
        assert result.code == 2, result.err
        assert CANARY not in result.out + result.err and result.err.count("\n") == 1
    assert not (tmp_path / "home" / "runs").exists() or not any((tmp_path / "home" / "runs").iterdir())


def test_many_one_word_codes_are_not_taken_for_documents(tmp_path: Path) -> None:
    rows = [(t, f"I{i % 60:02d}.{i % 7}") for i, (t, _) in enumerate(_notes(90))]  # 60+ codes in 90 rows
    source = load_text_source(_write(tmp_path / "codes.csv", rows))
    assert source.task == "multiclass" and len(source.label_names) > 50


# ICD-10-CM titles over 100 characters or 12 words (I13.0 is 150 characters, 23 words): class names, not notes
_LONG_TITLES = ["Hypertensive heart and chronic kidney disease with heart failure and stage 1 through stage 4 chronic "
                "kidney disease, or unspecified chronic kidney disease",
                "Displaced fracture of lateral end of right clavicle, initial encounter for open fracture"]


def test_icd_titles_longer_than_a_hundred_characters_are_labels(tmp_path: Path) -> None:
    rows = [(t, _LONG_TITLES[i % 2]) for i, (t, _) in enumerate(_notes(20))]
    source = load_text_source(_write(tmp_path / "icd_long.csv", rows))
    assert source.task == "binary" and sorted(source.label_names) == sorted(_LONG_TITLES)
    listed = [(t, "|".join(_LONG_TITLES[: 1 + i % 2])) for i, (t, _) in enumerate(_notes(20))]
    source = load_text_source(_write(tmp_path / "icd_multi.csv", listed), label_delimiter="|")
    assert source.task == "multilabel" and sorted(source.label_names) == sorted(_LONG_TITLES)


def test_two_hundred_diagnosis_names_with_one_to_three_rows_each_are_labels(tmp_path: Path) -> None:
    kinds = ["Acute", "Chronic", "Benign", "Malignant", "Congenital", "Traumatic", "Infective", "Degenerative",
             "Inflammatory", "Idiopathic"]
    organs = ["heart", "lung", "liver", "kidney", "brain", "colon", "skin", "bone", "eye", "ear"]
    names = [f"{k} disease of the {o}, type {t}" for k in kinds for o in organs for t in (1, 2)]
    labels = [n for i, n in enumerate(names) for _ in range(1 + i % 2)]  # 300 rows: fewer than 2 per class
    rows = [(f"Note {i}: word{i}.", label) for i, label in enumerate(labels)]
    source = load_text_source(_write(tmp_path / "many.csv", rows))
    assert source.task == "multiclass" and len(source.label_names) == 200


def test_swapped_columns_of_one_sentence_notes_without_stops_are_refused(tmp_path: Path) -> None:
    """A guard for the ICD fix: notes of one long sentence with no inner stop, one per row, stay refused."""
    rows = [(f"Patient {CANARY} number {i} presented with chest pain radiating to the left arm and was admitted",
             "cardiology" if i % 2 else "oncology") for i in range(30)]
    path = _write(tmp_path / "notes.csv", rows)
    with pytest.raises(DataError) as err:
        load_text_source(path, text_column="label", label_column="text")
    assert "column 'text'" in str(err.value) and CANARY not in str(err.value)


def test_many_distinct_long_titles_in_multi_label_lists_are_labels(tmp_path: Path) -> None:
    """A guard for the one-per-row rule: it is single-label only (MIMIC-style code lists hold many long titles)."""
    titles = [f"Displaced fracture of lateral end of right clavicle, initial encounter number {k} for open fracture"
              for k in range(40)]
    rows = [(t, "|".join(titles[i:i + 3])) for i, (t, _) in enumerate(_notes(30))]
    source = load_text_source(_write(tmp_path / "codes.csv", rows), label_delimiter="|")
    assert source.task == "multilabel" and len(source.label_names) == 32
