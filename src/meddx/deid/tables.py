"""Names in exported tables and transcription footers, where no sentence gives a cue: the cells of a
column headed "Initials", "Signed", "Nurse", "User" ... in a pipe- or tab-separated flowsheet export
(and ages over 89 in a column headed "Age"),
and the initials after "Transcribed:" / "Typed by:" ("Transcribed: klh").

Hand-written: the table is embedded in free text, so pandas' readers (which need the table alone)
do not apply; a row is read only when it has the header's number of cells.
"""

from __future__ import annotations

import re

from meddx.deid import lexicon
from meddx.deid.patterns import Cand

_HEADER_RE = re.compile(r"(?i)^(?:initials|init|signed(?:\s+by)?|signature|nurse|rn|user(?:\s*id)?|entered\s+by"
                        r"|documented\s+by|staff|clinician|provider|by)$")
# a cell that can be a person: initials, a login or a short name (no digits-only vitals, no free text)
_CELL_RE = re.compile(r"[A-Za-z][A-Za-z.'’-]{1,24}(?:[ ,]+[A-Za-z][A-Za-z.'’-]{0,24}){0,2}")
# not "TR:"/"DT:" ("TR: mild" is tricuspid regurgitation)
_TYPIST_RE = re.compile(r"(?i:\b(?:transcribed|typed|transcriptionist|typist)(?:[ \t]+by)?[ \t]*:)[ \t]*"
                        r"(?P<who>[a-z]{2,4}|[A-Z]{2,4})(?=[ \t]*(?:$|\n|[,;/|]|[ \t]{2}))", re.M)


def find_table_names(text: str) -> list[Cand]:
    """NAME candidates from person columns of delimited tables and from typist footers."""
    common = lexicon.common_words()
    out = [Cand(m.start("who"), m.end("who"), "NAME", "typist", 55) for m in _TYPIST_RE.finditer(text)
           if m.group("who").lower() not in common]  # "Typed: yes"
    if "|" not in text and "\t" not in text:
        return out
    header: tuple[str, int, list[int], list[int]] | None = None  # separator, number of cells, person and age columns
    pos = 0
    for line in text.split("\n"):
        sep = "|" if line.count("|") >= 3 else ("\t" if line.count("\t") >= 3 else None)
        cells = line.split(sep) if sep else []
        people = [i for i, c in enumerate(cells) if _HEADER_RE.match(c.strip())]
        ages = [i for i, c in enumerate(cells) if _AGE_HEADER_RE.match(c.strip())]
        if sep and (people or ages):
            header = (sep, len(cells), people, ages)
        elif sep and header and header[0] == sep and len(cells) == header[1]:
            out += _person_cells(line, pos, sep, header[2]) + _age_cells(line, pos, sep, header[3])
        elif not sep:
            header = None
        pos += len(line) + 1
    return out


# A column of ages in a screening log or a census ("Age" over "91"): an age over 89 is an identifier
_AGE_HEADER_RE = re.compile(r"(?i)^(?:age|age\s*\(y(?:ea)?rs?\)|age\s*\(y\)|yrs|years)$")
_OVER_89_RE = re.compile(r"(?:9\d|1[01]\d)(?:[ \t]*(?:y|yo|yrs?|years?))?")


def _age_cells(line: str, pos: int, sep: str, columns: list[int]) -> list[Cand]:
    out: list[Cand] = []
    start = 0
    for i, cell in enumerate(line.split(sep)):
        stripped = cell.strip()
        if i in columns and _OVER_89_RE.fullmatch(stripped):
            begin = pos + start + cell.index(stripped)
            out.append(Cand(begin, begin + len(stripped), "AGE", "table-age", 75))
        start += len(cell) + 1
    return out


def _person_cells(line: str, pos: int, sep: str, columns: list[int]) -> list[Cand]:
    out: list[Cand] = []
    start = 0
    for i, cell in enumerate(line.split(sep)):
        stripped = cell.strip()
        if i in columns and stripped and _CELL_RE.fullmatch(stripped):
            begin = pos + start + cell.index(stripped)
            out.append(Cand(begin, begin + len(stripped), "NAME", "table-column", 55))
        start += len(cell) + 1
    return out
