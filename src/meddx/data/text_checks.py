"""Checks every document passes before it is tokenised, trained on, predicted or explained.

In ``data`` because reading a text source refuses empty, wordless and non-UTF-8 documents
(``data/text.py``, ``data/text_columns.py``) and data imports no stage to its right; the
tokenizer (``transforms/text.py``), prediction, explanation and serving use the same checks
(``meddx.transforms.text_checks`` re-exports them). Messages never quote the document (it may
identify a patient): they say where (the caller adds the file, row or index) and what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from meddx.core.errors import DataError

_SURROGATE = re.compile("[\ud800-\udfff]")  # what Python makes of bytes that are not UTF-8 (surrogateescape)
NO_WORDS = "only punctuation or symbols (no letter or digit)"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be tokenised, never quoting it: bytes that are not UTF-8 reach Python as
    lone surrogates (a terminal in another encoding, a JSON ``\\udcff`` escape). None when it can."""
    found = _SURROGATE.search(text)
    return None if found is None else (f"character {found.start() + 1} is U+{ord(found.group()):04X}, a lone "
                                       "surrogate: bytes that are not valid UTF-8; re-encode it as UTF-8")


def has_words(text: str) -> bool:
    """Whether ``text`` holds a letter or a digit (Unicode categories L* and N*, full-width forms
    included). A note such as ``"..."`` or ``"--- ///"`` has none: the word and WordPiece
    vocabularies encode it as punctuation ids or ``[UNK]``, byte-level BPE as byte pieces, and the
    TF-IDF baseline as a zero vector, so any score for it would be the network's prior dressed up as
    a diagnosis. Hand-written: no library offers this one-line test."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def wordless(text: str) -> str | None:
    """Why ``text`` has nothing to classify, never quoting it: ``"empty or whitespace-only"``, or
    :data:`NO_WORDS` (see :func:`has_words`); None when it holds a letter or digit."""
    if not text.strip():
        return "empty or whitespace-only"
    return None if has_words(text) else NO_WORDS


def nothing_to(verb: str, text: str) -> str | None:
    """The CLI's reason for refusing ``text`` (``verb``: classify, explain), never quoting it:
    ``"empty document; there is nothing to classify"``, the same for a document of punctuation only,
    or a lone surrogate (:func:`text_problem`); None when it can be used."""
    why = text_problem(text)
    if why:
        return why
    if not text.strip():
        return f"empty document; there is nothing to {verb}"
    return None if has_words(text) else f"document of {NO_WORDS}; there is nothing to {verb}"


def check_texts(texts: Sequence[str], verb: str) -> list[str]:
    """``texts`` as a list, refused (naming the item) when it is a single string, holds a
    non-string or a lone surrogate. Empty texts pass: the tokenizer encodes them as one ``[UNK]``."""
    if isinstance(texts, str):
        raise DataError(f"cannot {verb} a single string: expected a list of texts (wrap it in a list)")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(f"cannot {verb} texts: item {i} is a {type(text).__name__}, expected a str "
                            "(replace missing texts with '' or drop those samples)")
        problem = text_problem(text)
        if problem:
            raise DataError(f"cannot {verb} texts: text {i + 1} of {len(texts)}: {problem}")
    return texts
