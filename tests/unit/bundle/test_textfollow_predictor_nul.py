"""The Python API removes NUL characters from documents, as training and ``meddx predict`` do, and
has one prediction path.

- ``TextPredictor.predict_texts``/``predict_documents`` passed a NUL (U+0000, a note copied out of a
  binary export) to the tokenizer: the word holding it became ``[UNK]``, so the same note scored
  otherwise than in ``meddx predict``. Now removed, with a ``MeddxNulWarning`` counting them (names,
  never text) and ``extra["nul_removed"]`` on each document's ``Prediction``.
- ``meddx predict`` rebuilt ``predict_documents``' ``Prediction``s in a copy of its code
  (``cli.predict_text.encoded_predictions``); both now go through ``TextPredictor.predict_encodings``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from meddx.core.errors import DataError
from tests.unit.bundle.test_text_predictor_inputs import _predictor


def _words(predictor) -> list[str]:
    return sorted(w for w in predictor.tokenizer._tok.get_vocab() if w.isalpha() and len(w) > 5)


def _with_nul(word: str) -> str:
    return word[:3] + "\0" + word[3:]


def test_predict_texts_removes_nul_and_warns_with_a_count() -> None:
    predictor = _predictor()
    words = _words(predictor)
    clean = [" ".join(words[:4]), " ".join(words[4:8])]
    held = [" ".join([_with_nul(words[0]), words[1], _with_nul(words[2]), words[3]]), clean[1]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = predictor.predict_texts(held)
    np.testing.assert_array_equal(got, predictor.predict_texts(clean))  # was: two words read as [UNK]
    nul = [w for w in caught if "NUL" in str(w.message)]
    assert len(nul) == 1 and type(nul[0].message).__name__ == "MeddxNulWarning"
    assert str(nul[0].message) == ("predict_texts: removed 2 NUL character(s) (U+0000) from 1 document(s) (document 1 "
                                   "of 2): bytes of a binary export, which the tokenizers would have read as unknown "
                                   "words")
    assert nul[0].filename == __file__  # points at the caller's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NUL: no warning
        predictor.predict_texts(clean)


def test_predict_documents_counts_the_nuls_of_each_document() -> None:
    predictor = _predictor()
    words = _words(predictor)
    clean = [" ".join(words[:4]), " ".join(words[4:8])]
    held = [clean[0], " ".join([_with_nul(words[4]), words[5], words[6], words[7] + "\0"])]
    with pytest.warns(UserWarning, match=r"^predict_documents: removed 2 NUL character\(s\) \(U\+0000\) from 1 "
                                         r"document\(s\) \(b\.txt\)"):
        got = predictor.predict_documents(held, ["a.txt", "b.txt"])
    expected = predictor.predict_documents(clean, ["a.txt", "b.txt"])
    assert [p.probabilities for p in got] == [p.probabilities for p in expected]
    assert [p.extra for p in got] == [{}, {"nul_removed": 2}]
    assert [p.to_dict() for p in expected] == [{k: v for k, v in p.to_dict().items() if k != "nul_removed"}
                                               for p in got]


def test_a_document_a_quarter_nul_is_refused_as_utf16() -> None:
    note = "chest pain".encode("utf-16-le").decode("latin-1")  # UTF-16 bytes decoded as Latin-1 by the caller
    with pytest.raises(DataError) as err:
        _predictor().predict_texts(["fever", note])
    assert str(err.value) == ("document 2 of 2: 10 of its 20 characters are NUL (U+0000): UTF-16 text read as another "
                              "encoding? decode its bytes as UTF-16 (e.g. data.decode('utf-16'))")


def test_predict_encodings_is_predict_documents_of_encoded_documents() -> None:
    predictor = _predictor()
    words = _words(predictor)
    docs = [" ".join(words[(i + k) % len(words)] for k in range(1 + i % 9)) for i in range(70)]  # 2 batches of 64
    names = [f"n{i}" for i in range(len(docs))]
    encodings = predictor.tokenizer.encode_rows(docs, max_length=predictor.max_length)
    got = predictor.predict_encodings(encodings, names)
    assert [p.to_dict() for p in got] == [p.to_dict() for p in predictor.predict_documents(docs, names)]
    probs = predictor.predict_texts(docs)  # the batched reference path, to the bit
    assert [list(p.probabilities.values()) for p in got] == [[float(v) for v in row] for row in probs]
    assert predictor.predict_encodings([], []) == []
    with pytest.raises(DataError, match=r"^predict_encodings: 70 encodings but 69 sources; expected one source"):
        predictor.predict_encodings(encodings, names[:-1])
    with pytest.raises(DataError, match=r"^predict_documents: 2 documents but 1 sources; expected one source"):
        predictor.predict_documents(docs[:2], names[:1])  # zip() dropped the second document unsaid


def test_meddx_predict_goes_through_predict_encodings(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle.text_predictor import TextPredictor
    from meddx.cli.predict_text import predict_text

    predictor = _predictor()
    docs = [" ".join(_words(predictor)[:4]), " ".join(_words(predictor)[4:8])]
    calls: list[list[str]] = []
    real = TextPredictor.predict_encodings

    def spy(self, encodings, sources, batch_size=64):
        calls.append(list(sources))
        return real(self, encodings, sources, batch_size)

    monkeypatch.setattr(TextPredictor, "predict_encodings", spy)
    predict_text(predictor, [], docs, None, "auto", None, as_json=True)
    assert calls == [["text1", "text2"]]
    assert len(capsys.readouterr().out.splitlines()) == 2
