"""``TextPredictor.predict_texts`` / ``predict_documents`` take a list of documents. Found by an
audit: a single str was iterated, so ``predict_texts("seizure")`` silently scored seven
one-character "documents" and returned a (7, K) array."""

from __future__ import annotations

import pytest
import torch

from meddx.bundle.text_predictor import TextPredictor
from meddx.core.errors import DataError
from meddx.data.synthetic_text import keyword_documents
from meddx.models.registry import create_model
from meddx.transforms.text import TextTokenizer


def _predictor() -> TextPredictor:
    tokenizer = TextTokenizer.fit(keyword_documents(60, seed=0)[0], kind="word", vocab_size=200, max_length=32)
    torch.manual_seed(0)
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    config = {"name": "t", "task": "multiclass", "label_names": ["a", "b", "c"],
              "model": {"name": "lstm", "args": args},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "max_length": 32},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    return TextPredictor(config, create_model("lstm", num_classes=3, **args).eval(), tokenizer)


def test_a_single_string_is_refused_not_split_into_characters() -> None:
    predictor = _predictor()
    for call in (predictor.predict_texts, predictor.predict_documents):
        with pytest.raises(DataError, match="wrap it in a list"):
            call("history of seizure")
    assert predictor.predict_texts(["history of seizure"]).shape == (1, 3)
    assert len(predictor.predict_documents(["history of seizure", "carcinoma"])) == 2


def test_a_document_that_is_not_text_is_counted_from_one() -> None:
    """Was "document 0 is int, not text" while the tokenizer's own message for the same list says
    "text 1 of 1": the two counted documents differently."""
    with pytest.raises(DataError, match=r"^document 2 of 2 is int, not text; expected a list of str$"):
        _predictor().predict_texts(["history of seizure", 7])


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_an_empty_document_is_refused_by_the_python_api_as_by_the_cli(blank: str) -> None:
    """Found by an audit: ``predict_texts([""])`` scored the empty document (one [UNK] token) and
    returned a confident-looking row, while ``meddx predict --text ""`` refused it."""
    predictor = _predictor()
    for call in (predictor.predict_texts, predictor.predict_documents):
        with pytest.raises(DataError, match=r"^document 2 of 3 is empty or whitespace-only \(1 such\)"):
            call(["history of seizure", blank, "carcinoma"])
    assert predictor.predict_texts([]).shape == (0, 3)
