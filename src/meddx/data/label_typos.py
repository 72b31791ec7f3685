"""A note naming a rare label that is one typing slip away from a common one.

``pnuemonia`` on one row of a manifest otherwise labelled ``pneumonia`` becomes a class of its own:
the model gets an extra output trained on one image, val and test may hold none of it, and the user
learns of it (if at all) from a class-count table. Class names that differ only in case are named
by ``base.case_clash_notes``; this catches the spelling slips that case folding does not.
"""

from __future__ import annotations

from collections import Counter

# A rare label is named when the close, common one has at least this many times its rows.
COMMON_RATIO = 10
# Names shorter than this (codes: ``M``/``F``, ``nv``/``mv``) are never taken for misspellings.
MIN_LENGTH = 4


def label_typo_notes(counts: Counter[str], what: str, first_line: dict[str, int] | None = None,
                     unit: str = "row") -> list[str]:
    """Notes, for ``counts`` (rows per label name), naming each label that looks like a misspelling
    of another, which has at least ``COMMON_RATIO`` times its rows. Compared in lower case with
    ``_``, ``-`` and spaces alike, the names are one edit apart (insertion, deletion, substitution
    or two neighbouring letters swapped; two edits for names of 8 letters or more), hold the same
    digits (``grade_1`` and ``grade_2``, ``covid`` and ``covid19`` are real classes) and are at least
    ``MIN_LENGTH`` long. ``what`` starts each note (``"typo.csv: label"``); ``first_line`` gives the
    line a manifest label is first found on; ``unit`` is what ``counts`` counts (``"row"``, ``"image"``)."""
    notes = []
    for rare, n_rare in sorted(counts.items()):
        for common, n_common in counts.most_common():
            if n_common < COMMON_RATIO * n_rare:
                break
            if common != rare and _slip(_folded(rare), _folded(common)):
                where = f", first on line {first_line[rare]}" if first_line and rare in first_line else ""
                notes.append(f"{what} {rare!r} ({_count(n_rare, unit)}{where}) looks like a misspelling of "
                             f"{common!r} ({_count(n_common, unit)}) and is read as a separate class; correct it if it "
                             "is the same class")
                break
    return notes


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _folded(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").replace("-", " ").split())


def _slip(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by a typing slip (see :func:`label_typo_notes`)."""
    if a == b or [c for c in a if c.isdigit()] != [c for c in b if c.isdigit()]:
        return False  # equal when folded: a case clash, named elsewhere
    if min(len(a), len(b)) < MIN_LENGTH:
        return False  # codes such as M/F, L/R, nv/mv differ by one letter and are real classes
    limit = 2 if min(len(a), len(b)) >= 8 else 1
    return abs(len(a) - len(b)) <= limit and _edit_distance(a, b) <= limit


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with swaps of neighbouring letters counting one edit (optimal string
    alignment), as a typing slip ``pnuemonia`` for ``pneumonia`` is one."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[len(b)]
