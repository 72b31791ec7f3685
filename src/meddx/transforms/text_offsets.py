"""Character spans of tokens in the text a clinician typed (``TextTokenizer.tokens``, explanation pages).

``tokenizers`` reports each token's offsets into the original text, but after an NFKC normaliser has
composed a letter with the combining marks after it (``e`` + U+0301 of a decomposed, NFD ``café``; a
Hangul syllable spelled as conjoining jamo), the offsets end before those marks: the span read back
is ``cafe``, a highlight stops before the accent and the page's token table shows another word. The
marks belong to no other token, so each span is carried over the marks right after it.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from typing import Sequence


def char_spans(text: str, offsets: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(start, end)`` of each of ``offsets`` (a token's offsets into ``text``): carried over the
    combining marks that follow it (never into the next token), then without the whitespace at
    either end (the space a byte-level BPE token carries)."""
    starts = sorted({int(s) for s, _ in offsets})
    spans = []
    for start, end in offsets:
        start, end = int(start), int(end)
        following = bisect_right(starts, start)
        limit = min(starts[following] if following < len(starts) else len(text), len(text))
        while start < end < limit and _joins(text[end]):
            end += 1
        spans.append(_trimmed(text, start, end))
    return spans


def _joins(char: str) -> bool:
    """A character that NFKC folds into the one before it: a combining mark (Mn, Mc, Me) or a
    conjoining Hangul vowel or final consonant."""
    code = ord(char)
    return unicodedata.category(char) in ("Mn", "Mc", "Me") or 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without the whitespace at either end of ``text[start:end]``. (Not
    ``tokenizers``' ``trim_offsets``: only a ByteLevel post-processor has it, and putting one on a
    tokenizer means matching its pre-tokenizer's ``add_prefix_space`` and keeping its template.)"""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return int(start), int(end)
