"""Swapped multi-label columns whose "documents" are distinct code sets are refused; tiny real files read.

- ``--text-column codes --label-column note --label-delimiter ';'`` on a file where every row has its
  own code set (``I10;E11.9;N18.3``) and its own note was read: the notes (without sentence breaks,
  so not refused as prose) became one-row label names and the code strings the documents. The rule
  counted repeated documents only, and distinct code sets do not repeat.
- A tiny real file (12 visits whose short complaints repeat, each with its own codes from a large
  vocabulary) was refused as swapped: in a few rows, real codes are each used once too.

The rule now also asks the label names to read as notes (10+ words on average; or, in 20+ rows,
3+ words used in fewer than 1.25 rows each), and catches distinct "documents" when the names are
nearly one per row and at least twice the documents' words.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source
from tests.unit.data.csv_files import write_csv as _write

CANARY = "Quillfeather"  # a planted patient name: must never reach a message
_WORDS = ("patient admitted with worsening shortness of breath and bilateral leg swelling over the past week "
          "treated with intravenous diuretics then discharged home in stable condition with clinic follow up").split()
# codes from a large vocabulary: 300 distinct, so a small file uses each about once
_VOCAB = [f"{letter}{k:02d}.{j}" for letter in "EIJN" for k in range(15) for j in range(5)]


def _note(rng: random.Random, i: int, words: int, pieces: int = 1) -> str:
    """One note without a sentence break (``words`` words), in ``pieces`` parts joined by ';'."""
    body = [CANARY, str(i), *(rng.choice(_WORDS) for _ in range(words - 2))]
    cut = [round(k * len(body) / pieces) for k in range(pieces + 1)]
    return "; ".join(" ".join(body[a:b]) for a, b in zip(cut, cut[1:]))


def _coded_notes(n: int, words: int = 30, pieces: int = 1) -> list[tuple[str, str]]:
    """(note, code set): distinct notes, each with its own 2-5 codes from the large vocabulary."""
    rng = random.Random(n)
    return [(_note(rng, i, words, pieces), ";".join(rng.sample(_VOCAB, rng.randint(2, 5)))) for i in range(n)]


@pytest.mark.parametrize(("n", "pieces"), [(30, 1), (200, 1), (40, 3)])
def test_swapped_columns_with_distinct_code_sets_are_refused_without_quoting_a_note(
        tmp_path: Path, n: int, pieces: int) -> None:
    """Notes used whole (``pieces`` 1) or split at ';' into parts of 10 words (``pieces`` 3)."""
    path = _write(tmp_path / "coded.csv", ["note", "codes"], _coded_notes(n, pieces=pieces))
    with pytest.raises(DataError) as err:
        load_text_source(path, text_column="codes", label_column="note", label_delimiter=";")
    message = str(err.value)
    assert str(path) in message and "look swapped" in message and "--text-column" in message
    assert f"label names in {n} rows, nearly each in one row" in message
    assert "conflicting duplicates" not in message  # distinct documents: that other reading does not apply
    assert CANARY not in message and "\n" not in message and "I0" not in message


def test_the_same_coded_notes_the_right_way_round_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "coded.csv", ["note", "codes"], _coded_notes(200))
    source = load_text_source(path, text_column="note", label_column="codes", label_delimiter=";")
    assert source.task == "multilabel" and "looks_swapped" not in source.columns


def test_a_tiny_swapped_file_with_long_notes_is_still_refused(tmp_path: Path) -> None:
    """12 rows are enough when the "labels" are 24-word notes: no code title is that long."""
    path = _write(tmp_path / "tiny.csv", ["note", "codes"], _coded_notes(12, words=24))
    with pytest.raises(DataError, match="look swapped") as err:
        load_text_source(path, text_column="codes", label_column="note", label_delimiter=";")
    assert CANARY not in str(err.value)


def _tiny_visits(labels: list[str]) -> list[tuple[str, str]]:
    """12 ED visits: 4 chief complaints repeating, each visit with its own 3 labels (each used once)."""
    complaints = ["Chest pain", "Fever", "Fall", "Dyspnea"]
    return [(complaints[i % 4], ";".join(labels[3 * i:3 * i + 3])) for i in range(12)]


def test_a_tiny_real_file_with_codes_from_a_large_vocabulary_is_read(tmp_path: Path) -> None:
    """Before: refused as swapped (12 distinct code sets longer than their 4 repeating complaints)."""
    codes = random.Random(1).sample(_VOCAB, 36)
    path = _write(tmp_path / "ed.csv", ["text", "labels"], _tiny_visits(codes))
    source = load_text_source(path, label_delimiter=";")
    assert source.task == "multilabel" and sorted(source.label_names) == sorted(codes)
    assert "looks_swapped" not in source.columns


@pytest.mark.parametrize("style", ["delimited", "json"])
def test_a_tiny_real_file_with_code_titles_is_read(tmp_path: Path, style: str) -> None:
    """ICD titles (3-9 words) each used once in 12 rows: under 20 rows the names must be note-long."""
    organs = ["heart", "lung", "kidney", "liver", "skin", "bone"]
    kinds = ["Acute failure of the", "Chronic disease of", "Malignant neoplasm of", "Unspecified injury of the",
             "Benign lesion of", "Congenital anomaly of the"]
    titles = [f"{k} {o}" + (", initial encounter" if (a + b) % 3 == 0 else "")
              for a, k in enumerate(kinds) for b, o in enumerate(organs)][:36]
    rows = _tiny_visits(titles)
    if style == "json":
        rows = [(t, json.dumps(labels.split(";"))) for t, labels in rows]
    path = _write(tmp_path / "ed.csv", ["text", "labels"], rows)
    source = load_text_source(path, label_delimiter=";" if style == "delimited" else None)
    assert source.task == "multilabel" and len(source.label_names) == 36
    assert "looks_swapped" not in source.columns


def test_thirty_visits_whose_code_titles_recur_a_little_are_read(tmp_path: Path) -> None:
    """30 visits, 6 complaints repeating, 3 titles each from 60 (1.5 rows per title, as in 20- to
    30-row slices of the MIMIC-III demo's admissions): before, refused as swapped (titles used in
    fewer than 2 rows each); titles recur, one-row notes do not."""
    organs = ["heart", "lung", "kidney", "liver", "skin", "bone", "eye", "ear", "brain", "bowel"]
    kinds = ["Acute failure of the", "Chronic disease of", "Malignant neoplasm of", "Injury of the",
             "Benign lesion of", "Congenital anomaly of the"]
    titles = [f"{k} {o}" for k in kinds for o in organs]
    complaints = ["Chest pain", "Fever", "Fall", "Dyspnea", "Syncope", "Weakness"]
    rows = [(complaints[i % 6], ";".join(titles[(3 * i + j) % 60] for j in range(3))) for i in range(30)]
    source = load_text_source(_write(tmp_path / "ed.csv", ["text", "labels"], rows), label_delimiter=";")
    assert source.task == "multilabel" and len(source.label_names) == 60
    assert "looks_swapped" not in source.columns
