"""A WordPiece tokenizer fitted on the same documents is the same tokenizer every time.

tokenizers' WordPieceTrainer numbered the ``##`` pieces in hash-map order, which broke ties between
equally frequent merges differently in every fit: eight fits of one corpus gave eight vocabularies,
so ``--tokenizer wordpiece --seed N --deterministic`` trained other weights in every run.
"""

from __future__ import annotations

import json
import random

import pytest

pytest.importorskip("tokenizers")

from meddx.transforms.text import TextTokenizer  # noqa: E402


def _corpus() -> list[str]:
    rng = random.Random(2)
    filler = ("patient presents with history of mild symptoms reviewed today plan follow up clinic noted "
              "stable vitals pain chest head node tachycardia infarction angina seizure aphasia").split()
    return [" ".join(rng.choices(filler, k=rng.randint(6, 14))) for _ in range(150)]


def test_wordpiece_fit_is_deterministic() -> None:
    texts = _corpus()
    fitted = {TextTokenizer.fit(texts, kind="wordpiece", vocab_size=20000).to_json() for _ in range(8)}
    assert len(fitted) == 1


def test_continuing_pieces_are_plain_vocabulary() -> None:
    texts = _corpus()
    tok = TextTokenizer.fit(texts, kind="wordpiece", vocab_size=20000)
    data = json.loads(tok.to_json())["tokenizer"]
    assert [t["content"] for t in data["added_tokens"]] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    enc = tok.encode_rows(["tachyvitals chestnode"])[0]  # unseen words of the corpus letters: pieces
    pieces = [t for t in enc.tokens if t.startswith("##")]
    assert pieces and all(not m for t, m in zip(enc.tokens, enc.special_tokens_mask) if t.startswith("##"))
    assert tok.decode(enc.ids) == "tachyvitals chestnode"  # a ## piece is decoded, not dropped as special
    assert len(tok.tokens("tachyvitals chestnode")) == len(enc.tokens) - 2  # only [CLS] and [SEP] are special


def test_same_encoding_as_a_fresh_fit_in_every_process_order() -> None:
    texts = _corpus()
    a = TextTokenizer.fit(texts, kind="wordpiece", vocab_size=60)
    b = TextTokenizer.fit(list(reversed(texts)), kind="wordpiece", vocab_size=60)  # document order does not matter
    assert a.encode_batch(texts)[0].tolist() == b.encode_batch(texts)[0].tolist()
