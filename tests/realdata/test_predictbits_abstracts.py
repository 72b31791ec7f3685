"""On the real abstracts: every copy of a repeated abstract gets the same probability bits, whichever
batch and lengths it is scored among, and alone (``TextPredictor._raw_encoded_probs``, ``pass_rows``)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.text_predictor import TextPredictor
from meddx.models.registry import create_model
from meddx.transforms.text import TextTokenizer

pytestmark = pytest.mark.realdata


def _abstracts(shared_data: Path) -> list[str]:
    path = shared_data / "medical-abstracts-tc" / "medical_tc_test.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    with path.open(newline="", encoding="utf-8") as fh:
        return [row["medical_abstract"] for row in csv.DictReader(fh)]


@pytest.mark.timeout(300)
def test_repeated_abstracts_get_identical_bits(shared_data: Path) -> None:
    texts = _abstracts(shared_data)
    where = defaultdict(list)
    for i, t in enumerate(texts):
        where[t].append(i)
    repeated = [rows for rows in where.values() if len(rows) > 1]
    assert repeated, "the corpus has repeated abstracts (its SOURCE.md says so)"
    chosen = sorted({i for rows in repeated[:20] for i in rows} | set(range(200)))
    docs = [texts[i] for i in chosen]
    tokenizer = TextTokenizer.fit(docs, kind="word", vocab_size=3000, max_length=256)
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    config = {"name": "abstracts", "task": "multiclass", "label_names": list("abcde"),
              "model": {"name": "lstm", "args": args},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "max_length": 256},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    torch.manual_seed(0)
    predictor = TextPredictor(config, create_model("lstm", num_classes=5, **args).eval(), tokenizer)
    probs = predictor.predict_texts(docs, calibrated=False)
    position = {i: k for k, i in enumerate(chosen)}
    for rows in repeated[:20]:
        first = probs[position[rows[0]]]
        assert all(np.array_equal(first, probs[position[r]]) for r in rows)
        assert np.array_equal(first, predictor.predict_texts([texts[rows[0]]], calibrated=False)[0])
