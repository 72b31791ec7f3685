"""Short documents with long code titles, each used in about one row, are read; swapped code sets are caught.

- A real multi-label file of admitting diagnoses (2 to 3 words, as in the MIMIC-III demo) with their
  principal diagnosis' title (6 words) or DRG description (10+ words), nearly every title in one row,
  was refused as swapped with ``--label-delimiter ';'`` (label names "nearly each in one row" and
  twice the documents' words): the rule took any short document for a code set. A swapped file's
  "documents" are label sets: now they must read as such (half of them hold the delimiter, or they
  are one-word codes or class names), which a real file's short phrases do not.
- Swapped notes over code sets written with a space after the ';' (``I10; E11.9; N18.3``) were read:
  the documents' words (3.5, one per code) were more than half the notes' (6). The documents'
  pieces, cut at the delimiter, are counted now: one word each.
- ``data verify --fix merge`` of visits whose two-word complaints repeat, each with its own titles
  (conflicting duplicates that look swapped), was refused: merged, the complaints read as code sets.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.text import load_text_source
from tests.unit.data.csv_files import write_csv as _write

CANARY = "Quillfeather"  # a planted patient name: must never reach a message
_ORGANS = ["heart", "lung", "kidney", "liver", "bowel", "brain", "bone", "skin", "eye", "ear", "spine", "blood",
           "pancreas", "bladder", "thyroid", "stomach", "colon", "prostate", "breast", "uterus"]
_ADMITTING = ["SEPSIS", "CHEST PAIN", "CONGESTIVE HEART FAILURE", "PNEUMONIA", "ALTERED MENTAL STATUS",
              "GI BLEED", "ACUTE RENAL FAILURE", "FEVER", "HYPOTENSION", "S/P FALL"]


def _titles(long: bool) -> list[str]:
    """Distinct code titles: ICD-9-like (6 words) or DRG-like descriptions (11 words)."""
    kinds = ["Acute failure of the", "Chronic disease of the", "Malignant neoplasm of the", "Injury of the"]
    if long:
        kinds = [f"MAJOR {k.upper()}" for k in kinds]
        return [f"{k} {o.upper()} WITH COMPLICATIONS, COMORBIDITIES AND MAJOR PROCEDURES" for k in kinds for o in _ORGANS]
    return [f"{k} {o}, unspecified" for k in kinds for o in _ORGANS]


def _admissions(n: int, long: bool) -> list[tuple[str, str]]:
    """``n`` admissions: an admitting diagnosis (one in five with ';TELEMETRY', as the MIMIC-III demo
    writes some), and its own title, never repeated."""
    titles = random.Random(n).sample(_titles(long), n)
    return [(_ADMITTING[i % 10] + (";TELEMETRY" if i % 5 == 4 else f" {i // 10}" * (i >= 10)), titles[i])
            for i in range(n)]


@pytest.mark.parametrize(("n", "long"), [(12, True), (20, False), (40, False), (40, True)])
def test_short_admitting_diagnoses_with_titles_each_used_once_are_read(tmp_path: Path, n: int, long: bool) -> None:
    path = _write(tmp_path / "adm.csv", ["text", "labels"], _admissions(n, long))
    source = load_text_source(path, label_delimiter=";")
    assert source.task == "multilabel" and len(source.label_names) == n
    assert "looks_swapped" not in source.columns


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_the_same_admissions_with_json_lists_or_parquet_arrays_are_read(tmp_path: Path, fmt: str) -> None:
    """Labels as lists, no delimiter: the documents cannot be label sets."""
    import pandas as pd

    frame = pd.DataFrame([{"text": t, "labels": labels.split(";")} for t, labels in _admissions(30, False)])
    path = tmp_path / f"adm.{fmt}"
    if fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path)
    source = load_text_source(path)
    assert source.task == "multilabel" and len(source.label_names) == 30 and "looks_swapped" not in source.columns


_WORDS = "worsening shortness of breath with leg swelling treated with diuretics and sent home".split()
_VOCAB = [f"{letter}{k:02d}.{j}" for letter in "EIJN" for k in range(15) for j in range(5)]


@pytest.mark.parametrize("n", [30, 60])
def test_swapped_notes_over_spaced_code_sets_are_refused(tmp_path: Path, n: int) -> None:
    """6-word notes, each row its own 2 to 5 codes written ``I10; E11.9``."""
    rng = random.Random(n)
    rows = [(" ".join([CANARY, str(i), *rng.sample(_WORDS, 4)]), "; ".join(rng.sample(_VOCAB, rng.randint(2, 5))))
            for i in range(n)]
    path = _write(tmp_path / "coded.csv", ["note", "codes"], rows)
    with pytest.raises(DataError) as err:
        load_text_source(path, text_column="codes", label_column="note", label_delimiter=";")
    message = str(err.value)
    assert "look swapped" in message and "nearly each in one row" in message and str(path) in message
    assert CANARY not in message and "\n" not in message
    assert "looks_swapped" not in load_text_source(path, text_column="note", label_column="codes",
                                                    label_delimiter=";").columns


def test_fix_merge_of_repeating_complaints_with_their_own_titles_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """30 visits, 6 two-word complaints repeating, each visit with its own 2 titles (used once): it looks
    swapped (conflicting duplicates) and ``--fix merge`` was refused ("the 6 rows it would keep still
    look swapped": merged, the complaints are distinct and their titles one per row, twice their
    words). The complaints are no label sets: the 6 merged rows are written, each with its titles."""
    from tests.integration.cli_helpers import run_cli

    complaints = ["Chest pain", "High fever", "Mechanical fall", "Short breath", "Brief syncope", "General weakness"]
    titles = random.Random(5).sample(_titles(long=False), 60)
    rows = [(complaints[i % 6], ";".join(titles[2 * i:2 * i + 2])) for i in range(30)]
    path = _write(tmp_path / "visits.csv", ["text", "labels"], rows)
    fixed = tmp_path / "fixed.csv"
    result = run_cli(["data", "verify", str(path), "--label-delimiter", ";", "--report", str(tmp_path / "r.json"),
                      "--fix", "merge", "--fixed-output", str(fixed)], capsys)
    assert result.code == 0, (result.code, result.err)
    with fixed.open(newline="", encoding="utf-8") as fh:
        kept = {row["text"]: set(row["labels"].split(";")) for row in csv.DictReader(fh)}
    assert kept == {c: {t for i in range(k, 30, 6) for t in titles[2 * i:2 * i + 2]} for k, c in enumerate(complaints)}
