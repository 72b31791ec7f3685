"""Token spans of decomposed (NFD) text keep the combining marks NFKC folded into the token.

``tokenizers``' offsets after an NFKC normaliser end before the marks it composed into a letter, so
``text[start:end]`` of NFD ``café`` read ``cafe``: an explanation page highlighted ``cafe``, left
the accent outside the mark, and listed the word ``cafe`` in its token table.
"""

from __future__ import annotations

import unicodedata

import pytest

pytest.importorskip("tokenizers")

from meddx.transforms.text import TextTokenizer  # noqa: E402

DOCS = ["café angina 마실까해요 naïve pain", "café angina 마실까해요 naïve pain"] * 3


@pytest.mark.parametrize("kind", ["word", "wordpiece", "bpe"])
def test_nfd_word_span_covers_its_combining_marks(kind: str) -> None:
    tok = TextTokenizer.fit(DOCS, kind=kind, vocab_size=300, min_frequency=1)
    text = unicodedata.normalize("NFD", "café angina naïve")
    spans = [(a, b) for _, a, b in tok.tokens(text)]
    covered = {i for a, b in spans for i in range(a, b)}
    outside = [hex(ord(c)) for i, c in enumerate(text) if not c.isspace() and i not in covered]
    assert outside == []  # before: the two U+0301 / U+0308 marks were in no token's span
    if kind != "bpe":  # one token per word here (byte-level BPE may split a word into pieces)
        assert [text[a:b] for a, b in spans] == text.split()


def test_nfd_hangul_syllable_span_is_whole() -> None:
    tok = TextTokenizer.fit(DOCS, kind="word", vocab_size=300, min_frequency=1)
    text = unicodedata.normalize("NFD", "마실까해요 pain")
    assert [text[a:b] for _, a, b in tok.tokens(text)] == [unicodedata.normalize("NFD", "마실까해요"), "pain"]


def test_span_never_reaches_into_the_next_token() -> None:
    tok = TextTokenizer.fit(DOCS, kind="word", vocab_size=300, min_frequency=1)
    text = "pain \u0301angina"  # a mark after a space starts the next word: the word before keeps its span
    spans = [(a, b) for _, a, b in tok.tokens(text)]
    assert spans[0] == (0, 4)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))


def test_nfc_and_nfd_read_alike_and_encode_alike() -> None:
    tok = TextTokenizer.fit(DOCS, kind="word", vocab_size=300, min_frequency=1)
    nfc, nfd = "café naïve", unicodedata.normalize("NFD", "café naïve")
    assert tok.encode_batch([nfc])[0].tolist() == tok.encode_batch([nfd])[0].tolist()
    read = [[unicodedata.normalize("NFC", t[a:b]) for _, a, b in tok.tokens(t)] for t in (nfc, nfd)]
    assert read[0] == read[1] == ["café", "naïve"]
