"""``meddx predict`` on documents tokenizes each document once: the network's rows, the warning for
documents of unknown words only and the note for documents cut at the bundle's ``max_length`` all
come from one encoding. It used to encode the batch for the network, then every document again
one at a time for the [UNK] warning (16.6 s of the 20 s predict took on 2,000 abstracts), then all
of them once more uncut for the length note. The output must not change by a byte."""

from __future__ import annotations

import json

import pytest

from meddx.cli.predict_text import predict_text
from tests.unit.bundle.test_text_predictor_inputs import _predictor


def _documents(predictor) -> list[str]:
    vocabulary = sorted(w for w in predictor.tokenizer._tok.get_vocab() if w.isalpha() and len(w) > 3)
    return [
        " ".join(vocabulary[:3]),                      # read in full
        "xqzv wrrbl qqzt",                             # no word of the vocabulary: every token [UNK]
        " ".join(vocabulary[i % 7] for i in range(90)),  # longer than the bundle's 32 tokens
        f"{vocabulary[3]} xqzv, {vocabulary[4]}.",     # some unknown words, not all
        "xqzv " * 40,                                  # unknown only, and cut
    ]


def test_predict_output_is_what_the_separate_passes_gave(capsys: pytest.CaptureFixture[str]) -> None:
    """Expected output from the reference calls: ``predict_documents`` for the scores, ``tokens()``
    per document for [UNK], ``lengths()`` uncut for the note."""
    from meddx.cli.train import print_predictions
    from meddx.transforms.text import _UNK_NAMES

    predictor = _predictor()
    docs = _documents(predictor)
    names = [f"text{i + 1}" for i in range(len(docs))]
    predict_text(predictor, [], docs, None, "auto", None, as_json=True)
    got = capsys.readouterr()

    print_predictions(predictor.predict_documents(docs, names), predictor.label_names, True, "document", None,
                      decision=predictor.config.get("decision"))
    expected_out = capsys.readouterr().out
    assert got.out == expected_out and len(got.out.splitlines()) == len(docs)
    unread = [n for n, d in zip(names, docs)
              if all(t in _UNK_NAMES for t, _, _ in predictor.tokenizer.tokens(d, max_length=predictor.max_length))]
    cut = [n for n, length in zip(names, predictor.tokenizer.lengths(docs)) if length > predictor.max_length]
    assert unread == ["text2", "text5"] and cut == ["text3", "text5"]  # the documents do what they are for
    warning, note = got.err.splitlines()
    assert warning.startswith(f"warning: 2 document(s) ({', '.join(unread)}) hold no word")
    assert note.startswith(f"note: 2 document(s) ({', '.join(cut)}) are longer than the bundle's maximum of 32")
    assert [json.loads(line)["source"] for line in got.out.splitlines()] == names


def test_each_document_is_tokenized_once(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    predictor = _predictor()
    docs = _documents(predictor)
    encoded: list[int] = []
    cls = type(predictor.tokenizer)
    real_encode, real_lengths = cls._encode, cls.lengths

    def counting(self, texts, limit):
        encoded.append(len(texts))
        return real_encode(self, texts, limit)

    def counting_lengths(self, texts):  # the untruncated pass encodes without _encode
        encoded.append(len(texts))
        return real_lengths(self, texts)

    monkeypatch.setattr(cls, "_encode", counting)
    monkeypatch.setattr(cls, "lengths", counting_lengths)
    predict_text(predictor, [], docs, None, "auto", None, as_json=True)
    assert sum(encoded) == len(docs), f"documents encoded {sum(encoded)} times for {len(docs)} documents"
    assert len(capsys.readouterr().out.splitlines()) == len(docs)
