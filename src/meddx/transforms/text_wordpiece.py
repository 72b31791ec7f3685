"""A WordPiece vocabulary that is the same for the same training documents, run after run.

``tokenizers``' ``WordPieceTrainer`` (0.23) gives the continuing pieces (``##a``, ``##b``, ...) their
ids in the order it happens to walk a hash map of the corpus's words, which changes from one process
to the next; ties between equally frequent merges are broken by those ids, so the same documents
gave another vocabulary (other merges, other ids) in every run, and ``--seed N --deterministic``
other weights (huggingface/tokenizers#1794). Here every continuing piece of the corpus is given its id
before training, in code-point order, as the trainer already orders its alphabet: the trainer finds
them in place and creates none, so its ties, merges and ids no longer depend on that walk. They are
passed as the trainer's special tokens, the one way in before it counts, and then taken off the
tokenizer's added tokens: they stay ordinary vocabulary entries, decoded and marked like any piece.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

PREFIX = "##"


def continuing_pieces(tok: Any, texts: Sequence[str]) -> list[str]:
    """``##c`` for every character ``c`` that follows another inside a word of ``texts``, as ``tok``'s
    normaliser and pre-tokenizer make the words; sorted by code point."""
    normalize, split = tok.normalizer.normalize_str, tok.pre_tokenizer.pre_tokenize_str
    chunks: set[str] = set()  # a space ends a word for NFKC, lower case and the pre-tokenizer alike:
    for text in texts:  # each distinct space-separated chunk is normalised and split once
        chunks.update(text.split(" "))
    chars: set[str] = set()
    for chunk in chunks:
        normal = normalize(chunk)
        if normal.isalnum():  # letters and digits only: one word (the pre-tokenizer splits at spaces, punctuation)
            chars.update(normal[1:])
            continue
        for word, _ in split(normal):
            chars.update(word[1:])
    return [PREFIX + c for c in sorted(chars)]


def train_wordpiece(tok: Any, texts: Sequence[str], specials: list[str], trainer_args: dict[str, Any]) -> Any:
    """``tok`` (a WordPiece ``tokenizers.Tokenizer`` with its normaliser and pre-tokenizer set) trained
    on ``texts`` deterministically; returns the trained tokenizer (a new object)."""
    from tokenizers import Tokenizer, trainers

    pieces = [p for p in continuing_pieces(tok, texts) if p not in specials]
    trainer = trainers.WordPieceTrainer(continuing_subword_prefix=PREFIX, special_tokens=specials + pieces,
                                        **trainer_args)
    tok.train_from_iterator(texts, trainer, length=len(texts))
    data = json.loads(tok.to_str())
    seeded = set(pieces)
    data["added_tokens"] = [t for t in data.get("added_tokens", []) if t.get("content") not in seeded]
    return Tokenizer.from_str(json.dumps(data))
