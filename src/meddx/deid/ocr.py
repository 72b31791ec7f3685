"""A same-length reading of text from a scanned page with OCR's letter/digit confusions undone, so
the rules also see "D0B: 0l/22/1949" as "DOB: 01/22/1949" and "4O9 Chestnut St., Wi1mington, DE
198O1" as "409 Chestnut St., Wilmington, DE 19801".

Only for text that shows the confusions at least twice (a digit between lower-case letters, a
letter O inside a number): ordinary notes are read as they are, so "HbA1c", "T1DM" and "O2" never
change. The reading keeps every offset, so spans found in it point into the original text.
Hand-written: OCR post-correction libraries need language models or dictionaries we do not ship.
"""

from __future__ import annotations

import re

# "Wi1mington", "ph0ne" | "4O9", "198O1", "2O23", "O119"
_SIGN_RE = re.compile(r"(?<=[a-z])[01](?=[a-z])|(?<=\d)[Oo](?=\d|\b)|\b[O](?=\d{2})")
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")
_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1"})


def ocr_reading(text: str) -> str | None:
    """``text`` with the confusions undone token by token, or ``None`` when it shows fewer than two.

    Two repairs change a word's length, so they pad with a space after it to keep every offset: "rn"
    read for "m" in a label word ("Patient Narne:" -> "Patient Name :"), and a word split in two
    ("Addre ss:" -> "Address :", "Dr. Ros alind Kettleby" -> "Dr. Rosalind  Kettleby")."""
    if len(_SIGN_RE.findall(text)) < 2:
        return None
    out = list(text)
    for m in _TOKEN_RE.finditer(text):
        token = m.group()
        fixed = _fix(token)
        if fixed != token:
            out[m.start():m.end()] = fixed
    reading = _rejoin(_rn_labels("".join(out)))
    return reading if reading != text else None


def ocr_fix(value: str) -> str:
    """``value`` (a span already found on a scanned page) with the letter/digit confusions undone,
    whatever the rest of the page shows: "0l/22/1949" -> "01/22/1949", so it can be shifted."""
    return _TOKEN_RE.sub(lambda m: _fix(m.group()), value)


# Label words that hold an "m" OCR reads as "rn" ("Narne", "Horne", "Mernber")
_M_LABELS = frozenset("name names surname home member mother number summary complaint medical family".split())
_RN_RE = re.compile(r"(?<![A-Za-z])[A-Za-z]*rn[A-Za-z]*(?![A-Za-z])")
# "Addre ss", "Ros alind", "Pa ge": a capitalised piece, one space, a short lower-case piece that is no word
_SPLIT_RE = re.compile(r"(?<![A-Za-z])(?P<a>[A-Z][a-z]{1,6}) (?P<b>[a-z]{2,5})(?![A-Za-z])")


_SHORT_WORDS = frozenset("day days ago bid tid qid prn qhs hs am pm mg mcg ml kg cm mm yo yr yrs wk wks mo".split())


def _rn_labels(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        word = m.group()
        for i in range(len(word) - 1):
            if word[i:i + 2] == "rn" and (word[:i] + "m" + word[i + 2:]).lower() in _M_LABELS:
                return word[:i] + "m" + word[i + 2:] + " "
        return word

    return _RN_RE.sub(fix, text)


def _rejoin(text: str) -> str:
    from meddx.deid import lexicon

    common = lexicon.common_words()

    def join(m: re.Match[str]) -> str:
        if m.group("b") in common or m.group("b") in _SHORT_WORDS:
            return m.group()  # "Pt has", "Twice day", "Seen ago": two words
        return m.group("a") + m.group("b") + " "

    return _SPLIT_RE.sub(join, text)


def _fix(token: str) -> str:
    digits = sum(c.isdigit() for c in token)
    letters = [c for c in token if c.isalpha()]
    if digits and letters and all(c in "OolI" for c in letters):
        return token.translate(_TO_DIGIT)  # a number with letters in it: "4O9", "0l", "198O1"
    others = [c for c in letters if c not in "OolI"]
    if len(others) >= 2 and digits and all(c in "01" for c in token if c.isdigit()):
        upper = sum(c.isupper() for c in others) > len(others) / 2  # "D0B" -> "DOB", "Fami1y" -> "Family"
        return "".join(("O" if upper else "o") if c == "0" else ("I" if upper else "l") if c == "1" else c
                       for c in token)
    return token
