"""Identical documents get identical probability bits whatever batch they are scored in.

Found by measurement: a text bundle padded each batch to its own longest document and scored a lone
document in a pass of one, so the same document got probabilities 1e-9 to 3e-8 apart alone, in a
batch of longer or shorter documents, or in another batch (a packed LSTM runs rows of mixed lengths
by other kernels than rows of one length; every network's head runs a pass of one by another).
Passes now hold one token length each and are padded with copies to ``pass_rows.BLOCK_ROWS`` rows."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.bundle.text_predictor import TextPredictor
from meddx.data.synthetic_text import keyword_documents
from meddx.models.registry import create_model
from meddx.transforms.text import TextTokenizer


def _predictor(model: str) -> TextPredictor:
    tokenizer = TextTokenizer.fit(keyword_documents(60, seed=0)[0], kind="word", vocab_size=200, max_length=64)
    torch.manual_seed(0)
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    config = {"name": "t", "task": "multiclass", "label_names": ["a", "b", "c"],
              "model": {"name": model, "args": args},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "max_length": 64},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    return TextPredictor(config, create_model(model, num_classes=3, **args).eval(), tokenizer)


def _documents() -> list[str]:
    docs = keyword_documents(70, seed=1)[0]
    # lengths that differ: the document under test is neither the longest nor the shortest
    return [" ".join([d] * (1 + i % 4)) for i, d in enumerate(docs)]


@pytest.mark.parametrize("model", ["lstm", "bilstm-attention", "transformer", "textcnn"])
def test_a_document_alone_and_among_others_of_other_lengths_gets_the_same_bits(model):
    predictor = _predictor(model)
    docs = _documents()
    target = docs[5]
    alone = predictor.predict_texts([target])
    among = predictor.predict_texts(docs)  # 70 documents, batches of 64: padded to other lengths
    small_batches = predictor.predict_texts(docs, batch_size=3)
    with_longer = predictor.predict_texts([target, docs[2] + " " + docs[3], docs[0]])
    assert np.array_equal(alone[0], among[5])
    assert np.array_equal(among, small_batches)
    assert np.array_equal(alone[0], with_longer[0])
    twice = predictor.predict_texts(docs[:9] + [target])  # identical documents in one call
    assert np.array_equal(twice[5], twice[9])


def test_predict_documents_serve_and_the_explained_row_agree_to_the_bit():
    predictor = _predictor("lstm")
    docs = _documents()
    batch = predictor.predict_texts(docs, calibrated=False)
    rows = predictor.predict_documents(docs[:20])
    assert [list(r.probabilities.values()) for r in rows] == batch[:20].tolist()
    ids, mask = predictor.encode([docs[7]])  # what an explanation scores (explain.text)
    assert np.array_equal(predictor.encoded_probs(ids, mask, calibrated=False)[0], batch[7])
