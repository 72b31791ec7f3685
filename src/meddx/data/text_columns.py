"""Columns of a text table: which column is which, and each column's cells checked and parsed.

Split from :mod:`meddx.data.text` (the readers). Messages name the file, the column and row
numbers, never a document's words: cells may hold protected health information.
"""

from __future__ import annotations

import json
import re
import math
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import TaskType, case_clash_notes, order_label_names, too_few_classes
from meddx.data.splits import SPLIT_ALIASES, split_alias
from meddx.data.text_cells import cell, check_one_style as _check_one_style, label_list as _label_list
from meddx.data.text_cells import rows_text as _rows_text
from meddx.data.text_exports import merge_label_variants, nul_free_cells  # ids: text_rows too

MAX_LABEL_VALUES = 50  # a column with more distinct values is not guessed to be the label
FILE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".dcm", ".gz", ".nii", ".npy"}


def find_column(columns: list[str], name: str | None) -> str | None:
    """``name`` itself, else a column equal to it ignoring case; None when absent."""
    if name is None or name in columns:
        return name
    return next((c for c in columns if c.lower() == name.lower()), None)


def close_columns(columns: list[str], name: str) -> list[str]:
    """Up to three column names close to ``name`` (a typo, another case, or one holding it or held
    by it: ``note`` for ``note_text``), for a message that says which column was meant."""
    import difflib

    lower = {c.lower(): c for c in columns}
    wanted = name.lower()
    close = difflib.get_close_matches(wanted, list(lower), n=3, cutoff=0.6)
    close += [c for c in lower if c not in close and ((len(wanted) >= 3 and wanted in c) or (len(c) >= 4 and c in wanted))]
    from meddx.data.text_header import shares_word

    close += [c for c in lower if c not in close and shares_word(wanted, c)]  # notes -> note_text
    return [lower[c] for c in close[:3]]



def missing_column(path: Path, name: str, role: str, columns: list[str], flag: str) -> DataError:
    """The error for a column named (``flag``) that the file lacks: the closest names first, then
    every column (column names only: never a cell)."""
    close = close_columns(columns, name)
    meant = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    return DataError(f"{path}: no column {name!r} for the {role}; {meant}available columns: {', '.join(columns)}; "
                     f"pass one of them with {flag}")


def guess_text(path: Path, table: dict[str, list[Any]], candidates: list[str], notes: list[str]) -> str:
    lengths = {}
    for c in candidates:
        values = [v for v in table[c] if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if values and all(isinstance(v, str) for v in values):
            lengths[c] = sum(len(v) for v in values) / len(values)
    if not lengths:
        raise DataError(f"{path}: no 'text' column and no other string column; available columns: "
                        f"{', '.join(table)}; name the document column with --text-column")
    best = max(lengths, key=lambda c: lengths[c])
    notes.append(f"{path.name}: no 'text' column; using {best!r}, the string column with the longest mean length "
                 f"({lengths[best]:.0f} characters); override with --text-column")
    values = [v.strip() for v in table[best] if isinstance(v, str) and v.strip()]
    files = sum(" " not in v and Path(v).suffix.lower() in FILE_SUFFIXES for v in values)
    if values and files > len(values) / 2:
        raise DataError(f"{path}: column {best!r} holds file names, not documents; an image manifest needs a 'path' "
                        f"column (found columns: {', '.join(table)}): rename it; for text, name the document column "
                        "with --text-column")
    return best


def guess_label(path: Path, table: dict[str, list[Any]], candidates: list[str], notes: list[str]) -> str:
    hint = (f"available columns: {', '.join(table)}; name the label column with --label-column (and the document "
            "column with --text-column)")
    named = [c for c in candidates if c.lower().endswith(("label", "labels"))]
    if len(named) == 1:
        notes.append(f"{path.name}: no 'label' column; using {named[0]!r}; override with --label-column")
        return named[0]
    n = len(table[candidates[0]]) if candidates else 0
    few = []
    for c in candidates:
        values = {cell(v) if not isinstance(v, (list, tuple, np.ndarray)) else json.dumps(list(map(str, v)))
                  for v in table[c]}
        values.discard("")
        if 2 <= len(values) <= min(MAX_LABEL_VALUES, max(2, n // 2)):
            few.append((c, len(values)))
    if len(few) != 1:
        which = "no column" if not few else f"{len(few)} columns ({', '.join(c for c, _ in few)})"
        raise DataError(f"{path}: no 'label' column, and {which} with few distinct values; {hint}")
    notes.append(f"{path.name}: no 'label' column; using {few[0][0]!r}, the one other column with few distinct "
                 f"values ({few[0][1]}); override with --label-column")
    return few[0][0]


def text_values(path: Path, values: list[Any], column: str, rows: list[int]) -> list[str]:
    # A list, an object or bytes is no document: its Python text ("['a', 'b']", "b'...'") would be
    # trained on silently. Numbers and booleans are read as their text, like a CSV cell.
    odd = [(r, v) for r, v in zip(rows, values) if isinstance(v, (list, tuple, dict, bytes, np.ndarray))]
    if odd:
        kind = {list: "a list", tuple: "a list", dict: "an object", bytes: "bytes"}.get(type(odd[0][1]), "an array")
        raise DataError(f"{path}: column {column!r}: {len(odd)} row(s) whose value is not text (rows "
                        f"{_rows_text([r for r, _ in odd])}; row {odd[0][0]} holds {kind}); expected one string "
                        "per row: name the field holding the document with --text-column (a nested JSON field "
                        "as parent.child), or store the column as UTF-8 strings")
    texts = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values]
    from meddx.data.text_checks import NO_WORDS, has_words, text_problem

    empty = [r for r, t in zip(rows, texts) if not t.strip()]
    if empty:
        raise DataError(f"{path}: column {column!r}: {len(empty)} row(s) with empty or whitespace-only text "
                        f"(rows {_rows_text(empty)}); expected a document in every row: drop those rows, or "
                        "name the document column with --text-column")
    bad = [(r, problem) for r, t in zip(rows, texts) if (problem := text_problem(t))]  # a JSON "\udcff" escape
    if bad:
        raise DataError(f"{path}: column {column!r}: {len(bad)} row(s) with text that is not valid Unicode "
                        f"(rows {_rows_text([r for r, _ in bad])}; row {bad[0][0]}: {bad[0][1]})")
    bare = [r for r, t in zip(rows, texts) if not has_words(t)]  # "..." would be trained on as a document
    if bare:
        raise DataError(f"{path}: column {column!r}: {len(bare)} row(s) with {NO_WORDS} (rows {_rows_text(bare)}); "
                        "expected a document in every row: drop those rows, or name the document column with "
                        "--text-column")
    return texts


def check_unicode(path: Path, column: str, values: list[str], what: str) -> None:
    """Refuse lone surrogates (a JSON ``\\udcff`` escape, bytes that were not UTF-8) in an id,
    patient or label: they reach the bundle's JSON, the model card and predictions.csv, and writing
    those failed with a UnicodeEncodeError traceback after training."""
    from meddx.data.text_checks import text_problem

    bad = [(r, problem) for r, v in enumerate(values, start=1) if (problem := text_problem(v))]
    if bad:
        raise DataError(f"{path}: column {column!r}: {len(bad)} row(s) with a {what} that is not valid Unicode "
                        f"(rows {_rows_text([r for r, _ in bad])}; row {bad[0][0]}: {bad[0][1]})")


def id_values(path: Path, values: list[Any], column: str, notes: list[str] | None = None) -> list[str]:
    """Ids from ``column``, NULs removed (noted); never quoted in errors (a wrong column may hold documents)."""
    values, nul = nul_free_cells(column, values, "id")
    ids, seen = [cell(v) for v in values], {}
    check_unicode(path, column, ids, "id")
    for row, sid in enumerate(ids, start=1):
        if not sid or sid in seen:
            found = "an empty id" if not sid else f"the same id as row {seen[sid]}"
            raise DataError(f"{path}: row {row}: column {column!r} holds {found}; expected a unique id in every row "
                            "(or leave out --id-column to number the rows)")
        seen[sid] = row
    if nul and notes is not None:
        notes.append(f"{path.name}: {nul}")
    return ids


def label_values(path: Path, values: list[Any], column: str, delimiter: str | None, rows: list[int],
                 notes: list[str] | None = None) -> tuple[list[str], np.ndarray, TaskType]:
    """Class names, labels and task of a label column; spellings of one class (``Heart  failure``,
    ``1.0`` for ``1``) are read as one, with a counted note in ``notes``; names that differ only in
    case stay apart, with the note image manifests give (``case_clash_notes``)."""
    objects = [r for r, v in zip(rows, values) if isinstance(v, (dict, bytes)) or (
        isinstance(v, (list, tuple, np.ndarray)) and any(isinstance(x, (dict, list, np.ndarray)) for x in v))]
    if objects:  # its Python text would become a class name
        raise DataError(f"{path}: column {column!r}: {len(objects)} row(s) whose label is an object (or a list of "
                        f"them) or bytes, not a name (rows {_rows_text(objects)}); name the field holding the label "
                        "with --label-column (a nested JSON field as parent.child)")
    lists = [_label_list(v, delimiter) for v in values]
    scalars = [cell(v) if lst is None and not (delimiter and isinstance(v, str)) else "" for v, lst in zip(values, lists)]
    missing = [r for r, lst, s in zip(rows, lists, scalars) if lst is None and not s]
    if missing:
        none = ("with --label-delimiter an empty cell, or one of delimiters only, is a missing label: write [] "
                "for a document with none of the labels" if delimiter is not None else "a JSON list such as [] for "
                "multi-label rows")
        raise DataError(f"{path}: column {column!r}: {len(missing)} row(s) without a label (rows "
                        f"{_rows_text(missing)}); expected a label in every row ({none}): fill or drop those rows, "
                        "or pass the label column with --label-column")
    if delimiter is None:
        _check_one_style(path, column, rows, lists)
    multi = delimiter is not None or any(lst is not None for lst in lists)
    sets = [lst if lst is not None else [s] for lst, s in zip(lists, scalars)]
    check_unicode(path, column, ["".join(s) for s in sets], "label")
    _check_not_documents(path, column, rows, sets, multi)
    sets = merge_label_variants(path, column, rows, sets, notes)
    names = order_label_names({x for s in sets for x in s})
    if notes is not None:
        notes += case_clash_notes(names, f"{path.name}: column {column!r}: labels")
    index = {n: i for i, n in enumerate(names)}
    labels = np.asarray([index[s[0]] for s in sets] if not multi else np.zeros((len(sets), len(names))), np.int64)
    for i, s in enumerate(sets if multi else []):
        labels[i, [index[x] for x in s]] = 1
    task: TaskType = "multilabel" if multi else "binary" if len(names) == 2 else "multiclass"
    if too_few_classes(len(names)):
        raise DataError(f"{path}: column {column!r} holds {len(names)} distinct label value(s); expected at least 2 "
                        "(is it the label column? pass it with --label-column)")
    return names, labels, task


# A class name longer than this may be a document (a swapped --text-column/--label-column): it would
# be printed in tables, quoted in errors and written into the bundle, so it is refused unshown when it
# also reads as prose (below). Looser than the header test (check_header): diagnoses can be long.
LABEL_CHARS, LABEL_WORDS = 100, 12
# Past these a label is a document whatever its punctuation: the longest ICD-10-CM titles ("Hypertensive
# heart and chronic kidney disease with heart failure and stage 1 through stage 4 ...", 150 characters,
# 23 words) stay well under them.
DOC_CHARS, DOC_WORDS = 300, 45
_SENTENCE_RE = re.compile(r"[.!?;:][ \t]+\S|\n")  # a sentence or clause break, or a line break, inside it


def _prose(label: str) -> bool:
    """``label`` reads as note text: sentences or lines, or longer than any class title."""
    return _SENTENCE_RE.search(label.strip()) is not None or len(label) > DOC_CHARS or len(label.split()) > DOC_WORDS


def _check_not_documents(path: Path, column: str, rows: list[int], sets: list[list[str]], multi: bool) -> None:
    """Refuse a label column that holds documents; the message counts, it never quotes a label. A long
    class title without sentences ("Displaced fracture of lateral end of right clavicle, initial encounter
    for open fracture") and a many-class column of diagnosis names (1-3 rows each) are labels."""
    hint = ("that reads as documents, not class names (not shown: they may be note text); name the label "
            "column with --label-column and the document column with --text-column")
    over = {x for s in sets for x in s if len(x) > LABEL_CHARS or len(x.split()) > LABEL_WORDS}
    # long and prose, or (single-label) long and nearly one per row (one-sentence notes): a class title repeats
    wordy = over if not multi and len(over) > len(rows) / 2 else {x for x in over if _prose(x)}
    long = [r for r, s in zip(rows, sets) if wordy.intersection(s)]
    if long:
        raise DataError(f"{path}: column {column!r}: {len(long)} row(s) with a label over {LABEL_CHARS} characters "
                        f"or {LABEL_WORDS} words, as sentences or one per row (rows {_rows_text(long)}); {hint}")
    names = {x for s in sets for x in s}
    prose = sum(_prose(x) or len(x.split()) > LABEL_WORDS for x in names)  # notes are sentences; titles are not
    if not multi and len(names) > MAX_LABEL_VALUES and len(names) > len(rows) / 2 and prose > len(names) / 2:
        raise DataError(f"{path}: column {column!r}: {len(names)} distinct labels in {len(rows)} rows, most of them "
                        f"sentences (fewer than 2 rows per class); {hint}")


_SWAPPED_HINT = ("values not shown: name the document column with --text-column and the label column with "
                 "--label-column, or fix the header's order")
_CONFLICT_HINT = ("; if they are not swapped, the same documents carry different labels (`meddx data verify` lists "
                  "these conflicting duplicates; `--fix drop-conflicting`)")
ONE_ROW_NAMES = "nearly each in one row"  # the distinct-documents reading: not conflicting duplicates


# Multi-label swapped columns make the notes the label names, each in about one row. Names of
# NOTE_WORDS words on average are notes whatever the file's size: ICD-9-CM long titles have a median of
# 6 words (MIMIC-III D_ICD_DIAGNOSES), the titles coded in the MIMIC-III demo's admissions average 5.1.
# Shorter names (NAME_WORDS or more: an ICD code is one word, and codes are never notes) are notes only
# in SWAP_MIN_ROWS rows or more, used in fewer than ONE_ROW_USES rows each on average: real code
# titles recur (1.2 to 2 rows each in 12-row slices of the MIMIC-III demo's admissions, 1.5 to 2 in
# 20- and 30-row slices): in a few rows a large vocabulary's names are each used once in a real file too.
NAME_WORDS, NOTE_WORDS, SWAP_MIN_ROWS, ONE_ROW_USES = 3, 10, 20, 1.25


def _mean_words(values: list[str] | set[str]) -> float:
    return sum(len(v.split()) for v in values) / max(len(values), 1)


def looks_swapped(columns: tuple[str, str], texts: list[str], labels: list[str],
                  multilabel: bool = False, evidence_rows: int | None = None,
                  delimiter: str | None = None) -> str | None:
    """Why the text and label columns look exchanged (``--text-column label --label-column text`` by
    mistake, or a header in the other order than the data), or None; counts and lengths only, never a
    value. ``labels`` holds each row's label, for multi-label each row's label set joined into one
    string (``"\\n".join(names)``), so a set counts as one value and its length as the cell's.

    The test is structural, not about wording: short one-sentence notes pass
    :func:`_check_not_documents` (they read as class titles). In a real file the label (set) is a
    function of the document, so there are at most as many distinct labels as distinct documents;
    swapped, the "documents" are the few class names (or label sets), repeated, and the "labels" the
    notes, nearly one per row. Flagged only when the label column has more distinct values than half
    the rows (fewer than 2 rows per class or set) and is the longer on average, and: single-label, the
    text column repeats (at most half the rows distinct); multi-label, see :func:`_multilabel_swapped`
    (``evidence_rows``: the rows its names' size gate counts, when ``texts`` are the rows a ``--fix``
    keeps of a larger file; ``delimiter``: the label delimiter, which a swapped file's "documents", its
    label sets, hold). A 40-class file of short diagnosis phrases with distinct notes is read."""
    n = len(texts)
    distinct_labels, distinct_texts = len(set(labels)), len({t.strip() for t in texts})
    mean_text = sum(len(t.strip()) for t in texts) / max(n, 1)
    mean_label = sum(len(x) for x in labels) / max(n, 1)
    if not (distinct_labels > n / 2 and mean_label > mean_text):
        return None
    text, label = columns
    if not multilabel:
        if distinct_texts > n / 2:
            return None
        held = f"{distinct_labels} distinct values in {n} rows (fewer than 2 rows per class)"
    else:
        found = _multilabel_swapped(texts, labels, distinct_texts, distinct_labels, evidence_rows or n, delimiter)
        if found is None:
            return None
        held = found
    return (f"the text and label columns look swapped: column {label!r} (the labels) holds {held} and is longer on "
            f"average ({mean_label:.0f} characters) than column {text!r} (the documents: {distinct_texts} distinct "
            f"values, {mean_text:.0f} characters)")


def _multilabel_swapped(texts: list[str], labels: list[str], distinct_texts: int, distinct_labels: int,
                        evidence_rows: int, delimiter: str | None = None) -> str | None:
    """What a multi-label file's label column holds when it looks like the notes, or None.

    Its names must read as notes (see ``NOTE_WORDS``: long, or in enough rows nearly one per row),
    and either: the text column repeats (at most two thirds as many distinct documents as label sets:
    swapped, the "documents" are label sets, as many as the combinations of the labels, so half the
    rows would miss a small file of 5 labels) with names used in fewer than 2 rows each on average
    (real codes recur: chief complaints that repeat with each visit's own code set, or templated
    notes, are read, and ``data verify`` lists their conflicts); or, the "documents" being distinct
    (each row its own code set, such as ``I10;E11.9;N18.3``), they read as label sets, and the names
    are nearly one per row and at least twice the words of the documents' pieces (cut at ``delimiter``;
    never without one: see :func:`_label_sets`). Long code titles each used about once
    with short documents are real too (the MIMIC-III demo's admitting diagnoses, 2 to 3 words, with
    the principal diagnosis' title or the DRG descriptions, 6 to 11 words, nearly one per row in 20-
    to 40-row slices), and their documents are no label sets (:func:`_label_sets`)."""
    named = [x for row in labels for x in row.split("\n") if x]
    names = set(named)
    if not names:
        return None
    n, name_words, uses = len(texts), _mean_words(names), len(named) / len(names)
    one_row = uses < ONE_ROW_USES
    if not (name_words >= NOTE_WORDS or (evidence_rows >= SWAP_MIN_ROWS and name_words >= NAME_WORDS and one_row)):
        return None
    if 3 * distinct_texts <= 2 * distinct_labels and uses < 2:
        return f"{distinct_labels} distinct label sets in {n} rows (fewer than 2 rows per set)"
    pieces = _pieces(texts, delimiter)
    if one_row and _label_sets(texts, pieces, delimiter) and 2 * _mean_words(pieces) <= name_words:
        return (f"{len(names)} distinct label names in {n} rows, {ONE_ROW_NAMES} and {name_words:.0f} words long "
                "on average (real label names are short and recur)")
    return None


def _label_sets(texts: list[str], pieces: list[str], delimiter: str | None) -> bool:
    """Whether ``texts`` read as label sets, as a swapped file's "documents" do: at least half hold the
    label delimiter (a swapped file's sets of 2 or more codes), or their ``pieces`` are codes or class
    names of one word (under 1.5 words on average). A real file's short documents are phrases that
    rarely hold it: the MIMIC-III demo's admitting diagnoses, 2 to 3 words, 25 of 129 with a ';'."""
    if not delimiter:
        return False
    return 2 * sum(delimiter in t for t in texts) >= len(texts) or _mean_words(pieces) < 1.5


def _pieces(texts: list[str], delimiter: str | None) -> list[str]:
    """The documents cut at the label delimiter: a swapped file's code sets, each code (one word)."""
    cut = [p.strip() for t in texts for p in (t.split(delimiter) if delimiter else [t])]
    return [p for p in cut if p] or texts


def check_not_swapped(path: Path, columns: tuple[str, str], texts: list[str], labels: list[str],
                      multilabel: bool = False, delimiter: str | None = None) -> None:
    """Refuse a table whose text and label columns look exchanged (:func:`looks_swapped`): it was
    trained on as one class per note, the class names as documents. The message never quotes a value."""
    reason = looks_swapped(columns, texts, labels, multilabel, delimiter=delimiter)
    if reason:
        raise DataError(f"{path}: {reason}; {_SWAPPED_HINT}{'' if ONE_ROW_NAMES in reason else _CONFLICT_HINT}")


def split_values(path: Path, values: list[Any], column: str, rows: list[int]) -> list[str]:
    out = [split_alias(c) if c else "train" for c in map(cell, values)]
    bad = [r for r, s in zip(rows, out) if s is None]
    if bad:
        value = cell(values[bad[0] - 1])  # quoted only when it is a short word, never a document
        shown = repr(value) if len(value) <= 20 and " " not in value else f"a {len(value)}-character value"
        raise DataError(f"{path}: column {column!r}: {len(bad)} row(s) with an unknown split (rows {_rows_text(bad)};"
                        f" row {bad[0]} holds {shown}); expected one of {', '.join(sorted(SPLIT_ALIASES))} "
                        "(empty means train)")
    return out  # type: ignore[return-value]
