"""``meddx data info`` on multi-label documents: the class table counts positives per label, which do
not add up to the documents; each split also gets its label cardinality (documents with no label, mean
and most labels per document), in the info dict and as rows of the printed table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from meddx.cli.main import app
from meddx.data.text import load_text_source
from meddx.data.text_info import label_cardinality, text_source_info

# label sets with a known answer: 2 without a label, 1+1+2+3+0+0+1+2 = 10 labels over 8 documents
SETS = [["asthma"], ["diabetes"], ["asthma", "diabetes"], ["asthma", "diabetes", "sepsis"], [], [], ["sepsis"],
        ["asthma", "sepsis"]]


def _jsonl(path: Path) -> Path:
    path.write_text("".join(json.dumps({"text": f"Note {i} seen in clinic today with finding {i}.", "label": s}) + "\n"
                            for i, s in enumerate(SETS)))
    return path


def test_label_cardinality_counts_documents_without_a_label_and_labels_per_document() -> None:
    y = np.zeros((len(SETS), 3), np.int64)
    for i, s in enumerate(SETS):
        y[i, [["asthma", "diabetes", "sepsis"].index(x) for x in s]] = 1
    assert label_cardinality(y) == {"no_label": 2, "mean_labels": 1.25, "max_labels": 3}
    assert label_cardinality(np.zeros((0, 3))) == {"no_label": 0, "mean_labels": None, "max_labels": 0}


def test_info_of_a_multi_label_source_has_its_cardinality(tmp_path: Path) -> None:
    info = text_source_info(load_text_source(_jsonl(tmp_path / "notes.jsonl")))
    assert info["splits"]["train"]["label_sets"] == {"no_label": 2, "mean_labels": 1.25, "max_labels": 3}


def test_guard_single_label_info_has_no_cardinality(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("text,label\n" + "".join(f"Note {i} seen in clinic today,{'ab'[i % 2]}\n" for i in range(8)))
    assert "label_sets" not in text_source_info(load_text_source(path))["splits"]["train"]


def test_data_info_prints_the_cardinality_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["data", "info", str(_jsonl(tmp_path / "notes.jsonl"))])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in result.stdout.splitlines()
            if line.count("│") == 3}
    assert rows["no label"] == "2" and rows["labels per document (mean, max)"] == "1.25, 3" and rows["total"] == "8"
