"""The document checks, importable from here as before; defined in :mod:`meddx.data.text_checks`
(reading a text source uses them, and data imports no stage to its right)."""

from __future__ import annotations

from meddx.data.text_checks import NO_WORDS, check_texts, has_words, nothing_to, text_problem, wordless

__all__ = ["NO_WORDS", "check_texts", "has_words", "nothing_to", "text_problem", "wordless"]
