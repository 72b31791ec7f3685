"""What real exports of notes get wrong, and the text readers would otherwise take silently.

Split from :mod:`meddx.data.text` (the readers) and :mod:`meddx.data.text_columns` (the cells):

- UTF-16 with or without a byte-order mark under another ``--encoding``, and a UTF-8 mark before bytes
  that are not UTF-8;
- a UTF-8 file (with or without its mark) among ``--encoding latin-1`` files: read as UTF-8, with a
  note (read as Latin-1 every accented letter became two, and the first column name ``ï»¿text``);
- NUL characters inside a document (a binary export): removed with a counted note;
- a header row repeated inside the table (exports joined with ``cat``): its cells were read as one
  more document, of a class named like the label column;
- a ``.jsonl`` that is one JSON array of records (``json.dump(rows, f)``): said so, not "line 1: not
  valid JSON";
- a list column written by pandas' ``to_csv`` (``['cardio', 'renal']``, or a NumPy array's
  ``['cardio' 'renal']``): not JSON, so each combination became a single-label class;
- missing cells of nullable Parquet columns (``pd.NA``): missing, not the class or document ``<NA>``;
- label spellings that differ only in spacing, Unicode form or number format (``Neoplasms `` and
  ``Neoplasms``, ``Heart  failure``, ``1`` and ``1.0`` from a spreadsheet): each became a class of
  its own. Labels that differ in case (``Neoplasms``, ``neoplasms``) stay apart with a note, as image
  manifests keep them (``data.base.case_clash_notes``): case may be meant, a file's spacing is not.

Messages and notes give files, rows and counts, never a cell: documents may identify a patient.
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from meddx.core.errors import DataError

_UTF8_BOM, _UTF16_BOMS = b"\xef\xbb\xbf", (b"\xff\xfe", b"\xfe\xff")
_INTEGRAL = re.compile(r"[+-]?\d+\.0*")  # "1.0", "2.00": a spreadsheet's float form of an integer label


def _codec_name(encoding: str) -> str:
    return encoding.lower().replace("_", "").replace("-", "")


def decode_bytes(data: bytes, where: Path, encoding: str, as_utf8: list[Path] | None = None) -> str:
    """Bytes to text; a bad byte gives its offset and line, never the surrounding text. Bytes that
    are UTF-8 although another ``encoding`` was given are read as UTF-8 and ``where`` is added to
    ``as_utf8`` (the caller's note names them)."""
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        codecs.lookup(codec)
    except LookupError:
        raise DataError(f"--encoding {encoding!r}: unknown text encoding; expected e.g. utf-8 or latin-1") from None
    check_byte_marks(data, where, encoding)  # UTF-16 (with or without a mark), a UTF-8 mark before other bytes
    if utf8_despite(data, encoding):
        # A folder of mostly Latin-1 exports takes --encoding latin-1; one of its files in UTF-8 was
        # read as mojibake (é as Ã©) and trained on, unsaid. The user wants the text, not a refusal
        # of the whole folder: read that file as what it is, and say so (file names, never text).
        codec = "utf-8-sig"  # an Excel "CSV UTF-8" export's mark is no part of the first column's name
        if as_utf8 is not None:
            as_utf8.append(where)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{where}: byte offset {exc.start} (line {line}) is not valid {encoding} ({exc.reason}); re-encode "
            f"the file as UTF-8 (e.g. iconv -f latin1 -t utf-8) or pass its encoding, e.g. --encoding latin-1"
        ) from None


def check_byte_marks(data: bytes, where: Path, encoding: str) -> None:
    """Refuse bytes whose start contradicts ``encoding``: a UTF-16 byte-order mark, or UTF-16 without
    one (NUL bytes in every other place of the first line), unless a UTF-16/32 encoding is given; a
    UTF-8 byte-order mark under UTF-16/32, or before bytes that are not UTF-8 (a mark followed by valid
    UTF-8 under a single-byte encoding is read as UTF-8 by :func:`decode_bytes`, as a file without
    the mark is: one Excel "CSV UTF-8" export no longer blocks a folder of Latin-1 exports)."""
    codec = _codec_name(encoding)
    wide = codec.startswith(("utf16", "utf32"))
    if data.startswith(_UTF16_BOMS) and not wide:
        # Excel's "Unicode text" export: the advice for other bytes, --encoding latin-1, would read it
        # as letters between NUL bytes and fail later on field counts
        raise DataError(f"{where}: the file starts with a UTF-16 byte-order mark (Excel's \"Unicode text\" export); "
                        "pass --encoding utf-16, or re-encode it as UTF-8 (e.g. iconv -f utf-16 -t utf-8)")
    head = data[:200]
    if not wide and len(head) >= 4 and (head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4):
        order = "le" if head[1::2].count(0) > head[0::2].count(0) else "be"
        raise DataError(f"{where}: NUL bytes between the letters of the first line: the file looks like UTF-16 without "
                        f"a byte-order mark; pass --encoding utf-16-{order}, or re-encode it as UTF-8 (e.g. iconv -f "
                        f"utf-16{order} -t utf-8)")
    if data.startswith(_UTF8_BOM) and codec not in ("utf8", "utf8sig") and not utf8_despite(data, encoding):
        raise DataError(f"{where}: the file starts with a UTF-8 byte-order mark, so it is UTF-8, but it is read as "
                        f"{encoding}; leave out --encoding (or pass --encoding utf-8)")


def utf8_despite(data: bytes, encoding: str) -> bool:
    """Whether bytes to be read as ``encoding`` (``--encoding latin-1``, cp1252, ...) are UTF-8: they
    decode as UTF-8 and hold a multi-byte character (a UTF-8 byte-order mark is one). Read as the
    encoding given, each accented letter would become two or three characters (``é`` as ``Ã©``),
    silently, and the model would train on those. Real single-byte text is almost never valid UTF-8:
    an accented letter followed by a plain letter (``é`` in ``café au``) is an invalid UTF-8
    sequence, so a whole file passes only when every accented character is a capital or ``Â``/``Ã``
    followed by a symbol from 0x80-0xBF (``Ã©``, ``â€™``), which is how UTF-8 looks in those encodings
    (``tests/unit/data/test_edges_utf8_latin1.py`` checks real Latin-1 and cp1252 notes). UTF-16/32
    given explicitly are never second-guessed."""
    if _codec_name(encoding).startswith("utf") or data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def utf8_note(paths: list[Path], encoding: str) -> str:
    """The note for files :func:`utf8_despite` read as UTF-8: how many and which (names only)."""
    shown = ", ".join(str(p) for p in paths[:3]) + (", ..." if len(paths) > 3 else "")
    return (f"{len(paths)} file(s) ({shown}) read as UTF-8, not {encoding}: their bytes are valid UTF-8 with accented "
            f"letters (or its byte-order mark), which {encoding} would read as two or three characters each (é as "
            f"Ã©); to silence this note, give files in one encoding (e.g. iconv -f {codecs.lookup(encoding).name} -t "
            "utf-8 the others, then leave out --encoding)")


def remove_nul(texts: list[str], places: list[str], encoding: str | None) -> tuple[list[str], str | None]:
    """``texts`` without NUL characters (U+0000), and a note counting them (``None`` when none held
    one). A NUL comes from a note copied out of a binary export: it has no meaning in text, but the
    word and WordPiece tokenizers read a word holding one as [UNK], byte-level BPE as a byte piece,
    a copy holding one is no duplicate of the note without it (leakage checks), and an HTML page or
    CSV written from it carries the NUL on. Removed, not refused: the words around it are intact.
    A text that is a quarter NUL or more is UTF-16 read as a single-byte ``encoding`` (NUL between
    the letters); removing them would hide that, so it is refused naming ``places[i]``. ``encoding``
    ``None``: strings a caller decoded (the Python API, the server's JSON), whose advice is to decode
    them as UTF-16."""
    held = [i for i, text in enumerate(texts) if "\0" in text]
    for i in held:
        count = texts[i].count("\0")
        if count >= 2 and 4 * count >= len(texts[i]):
            advice = ("decode its bytes as UTF-16 (e.g. data.decode('utf-16'))" if encoding is None else
                      "pass --encoding utf-16, or re-encode it as UTF-8 (e.g. iconv -f utf-16 -t utf-8)")
            raise DataError(f"{places[i]}: {count} of its {len(texts[i])} characters are NUL (U+0000): UTF-16 text "
                            f"read as {encoding or 'another encoding'}? {advice}")
    if not held:
        return texts, None
    total = sum(texts[i].count("\0") for i in held)
    shown = ", ".join(places[i] for i in held[:3]) + (", ..." if len(held) > 3 else "")
    out = list(texts)
    for i in held:
        out[i] = out[i].replace("\0", "")
    return out, (f"removed {total} NUL character(s) (U+0000) from {len(held)} document(s) ({shown}): bytes of a binary "
                 "export, which the tokenizers would have read as unknown words")


def nul_free_cells(column: str, values: list[Any], what: str) -> tuple[list[Any], str | None]:
    """``values`` of a label, id or patient column (strings, or lists of them) without NUL characters,
    and a note counting them naming the first rows (``None`` when none held one). ``cardio\0`` was a
    class of its own beside ``cardio``, ``p7\0`` another patient than ``p7`` (a leak between splits)."""
    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("\0", "")
        return [clean(v) for v in value] if _sequence(value) else value

    def count(value: Any) -> int:
        if isinstance(value, str):
            return value.count("\0")
        return sum(count(v) for v in value) if _sequence(value) else 0

    held = [r for r, v in enumerate(values, start=1) if count(v)]
    if not held:
        return values, None
    total = sum(count(values[r - 1]) for r in held)
    shown = ", ".join(map(str, held[:5])) + (", ..." if len(held) > 5 else "")
    return [clean(v) for v in values], (
        f"column {column!r}: removed {total} NUL character(s) (U+0000) from {len(held)} {what}(s) (rows {shown}): "
        f"bytes of a binary export, which made each {what} differ from the same {what} without them")


def offsets_in_sent(spans: list[dict[str, int]], nul_at: tuple[int, ...]) -> list[dict[str, int]]:
    """Token ``spans`` (``{"start", "end", ...}`` character offsets into a text whose NULs
    :func:`remove_nul` removed) as offsets into the text as sent, whose NULs sat at ``nul_at``
    (sorted): the server's explanation spans index the note the client holds."""
    import bisect

    def sent(c: int) -> int:  # the sent index of the c-th kept character: c plus the NULs at or before it
        o = c
        while (after := c + bisect.bisect_right(nul_at, o)) != o:
            o = after
        return o

    return [{**span, "start": sent(span["start"]), "end": sent(span["end"] - 1) + 1 if span["end"] > span["start"]
             else sent(span["start"])} for span in spans]


def _sequence(value: Any) -> bool:
    """A multi-label cell: a list (JSON) or a NumPy array of values (Parquet)."""
    return isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray"


def check_repeated_header(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Refuse data rows that repeat the header (two exports joined with ``cat``, each with its header
    line; a UTF-8 byte-order mark may start the repeat): each was read as a document named like the
    text column, of a class named like the label column. ``rows``: the data rows' cells, row 1 first."""
    names = [_header_key(h) for h in header]
    if not any(names):
        return
    repeats = [r for r, cells in enumerate(rows, start=1) if [_header_key(c) for c in cells] == names]
    if repeats:
        shown = ", ".join(map(str, repeats[:5])) + (", ..." if len(repeats) > 5 else "")
        raise DataError(f"{path}: {len(repeats)} data row(s) repeat the header row (rows {shown}; files joined after "
                        "their header lines?); expected the header once, on the first line: drop those lines")


def check_header_not_data(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Refuse a first line that is a data row (a file exported without its header, whose first note is
    too short for :func:`meddx.data.text.check_header`): a header cell that is also the value of two or
    more rows of its column (the first document's class, ``cardiology``, read as the label column's
    name). The first note would become the text column's name, quoted in notes and errors and written
    into the bundle, and be left out of the data. The message counts rows; it never quotes the line."""
    for j, name in enumerate(header):
        key = str(name).replace("\ufeff", "").strip()
        same = [r for r, cells in enumerate(rows, start=1) if key and j < len(cells) and str(cells[j]).strip() == key]
        if len(same) >= 2:
            shown = ", ".join(map(str, same[:5])) + (", ..." if len(same) > 5 else "")
            raise DataError(f"{path}: the first line looks like a data row, not a header: its cell {j + 1} is also "
                            f"the value of {len(same)} data row(s) in that column (rows {shown}); add a header line "
                            "(e.g. text,label) at the top of the file")


def _header_key(name: object) -> str:
    return str(name).replace("\ufeff", "").strip().casefold()


def label_key(name: str) -> str:
    """What two spellings of one class share: NFKC form, whitespace runs as one space, and an
    integer written as a float (``1.0``) as the integer. Case is kept (see the module docstring)."""
    key = " ".join(unicodedata.normalize("NFKC", name).split())
    return str(int(float(key))) if _INTEGRAL.fullmatch(key) else key


# What tools write for a missing value; in a CSV read as text each was a class of its own ("NaN"):
# pandas writes missing values as empty cells (refused as missing labels), R as NA, SQL exports NULL.
MISSING_MARKERS = ("na", "n/a", "nan", "null", "none", "#n/a")


def merge_label_variants(path: Path, column: str, rows: list[int], sets: list[list[str]],
                         notes: list[str] | None) -> list[list[str]]:
    """``sets`` (each row's label names) with spellings of one class (:func:`label_key`) made the
    spelling used in most rows (on a tie, the first in sorted order), and a counted note in ``notes``;
    each variant had been a class of its own. Names are not quoted: a label column may hold notes.
    A class spelled like a missing value (``NaN``, ``NA``, ``NULL``...) is kept, with a note."""
    marked = [r for r, s in zip(rows, sets) if any(x.strip().casefold() in MISSING_MARKERS for x in s)]
    if marked and notes is not None:
        notes.append(f"{path.name}: column {column!r}: {len(marked)} row(s) (first: row {marked[0]}) hold a label "
                     f"written like a missing value ({', '.join(m.upper() for m in MISSING_MARKERS)}), read as a class "
                     "of that name; if it means no label, drop those rows")
    rows_of: dict[str, int] = {}
    for s in sets:
        for x in set(s):
            rows_of[x] = rows_of.get(x, 0) + 1
    groups: dict[str, list[str]] = {}
    for name in sorted(rows_of):
        groups.setdefault(label_key(name), []).append(name)
    to = {n: max(g, key=lambda x: rows_of[x]) for g in groups.values() if len(g) > 1 for n in g}
    to = {n: kept for n, kept in to.items() if n != kept}
    if not to:
        return sets
    changed = [r for r, s in zip(rows, sets) if to.keys() & set(s)]
    if notes is not None:
        notes.append(f"{path.name}: column {column!r}: {len(to)} label spelling(s) differ from another class's only in "
                     f"spacing, Unicode form or number format (1.0 for 1) and are read as that class ({len(changed)} row(s), "
                     f"first: row {changed[0]}); write each class one way in the file to silence this note")
    return [list(dict.fromkeys(to.get(x, x) for x in s)) for s in sets]


def parquet_cells(column: Any) -> list[Any]:
    """A Parquet column's cells, a missing one (pandas' ``NA`` of the nullable ``Int64``, ``string`` and
    ``boolean`` dtypes, ``NaT``, NaN) as None, as a JSON null reads: ``pd.NA``'s text ``<NA>`` became a
    class, a document, a patient shared by every such row, and an unknown split."""
    return [None if missing else value for value, missing in zip(column.tolist(), column.isna().tolist())]


def check_not_json_array(path: Path, text: str, records: list[dict]) -> None:
    """Refuse a ``.jsonl`` that is one JSON array of records (``json.dump(rows, f)``, pretty-printed or
    not) by what it is: it was refused as "line 1: not valid JSON ... fix or drop that line" or "a
    JSON list", though no line is wrong. Only when the first line failed; the message counts records."""
    if records or not text.lstrip("\ufeff \t\r\n").startswith("["):
        return
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return
    if isinstance(whole, list) and whole and all(isinstance(r, dict) for r in whole):
        raise DataError(f"{path}: the file is one JSON array of {len(whole)} records, not JSON lines; expected one "
                        f"JSON object per line: convert it (e.g. jq -c '.[]' {path.name} > lines.jsonl)")


_LIST_ITEM = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[+-]?\d+(?:\.\d+)?"""
_PY_LIST = re.compile(rf"\[\s*(?:(?:{_LIST_ITEM})(?:(?:\s*,\s*|\s+)(?:{_LIST_ITEM}))*\s*,?\s*)?\]")  # items apart


def list_cell(text: str) -> Any:
    """A label cell that starts with ``[`` as a list: JSON (``["a", "b"]``), or the Python or NumPy text
    of a list of strings or numbers that ``DataFrame.to_csv`` writes for a list column (``['a', 'b']``,
    ``['a' 'b']`` from an array read out of Parquet), which was read as one class per combination.
    Anything else (``[redacted]``) is None: a plain label. Quoted items are unquoted with
    ``ast.literal_eval`` (a string literal: nothing is executed); numbers stay text."""
    import ast

    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, a 5000-digit number, "[[[[..." nested past the stack
        pass
    if not _PY_LIST.fullmatch(text):
        return None
    items = [item.group() for item in re.finditer(_LIST_ITEM, text[1:-1])]
    try:  # a number stays its text, as a CSV cell's label does
        return [ast.literal_eval(item) if item[0] in "'\"" else item for item in items]
    except (ValueError, SyntaxError):
        return None
