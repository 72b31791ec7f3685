"""Clinical text sources: CSV/TSV, JSON lines, Parquet, or folders of ``.txt`` files per class.

A table has one document per row, a label column and optionally ``id``, ``patient_id`` and
``split`` columns; a folder is ``root/[<split>/]<class>/<doc>.txt``. Which column is which is
found by name (``text``, ``label``/``labels``, ``id``, ``patient_id``, ``split``) or given with the
``*_column`` arguments (CLI ``--text-column`` ...); a guess (the longest string column as text,
the one column with few distinct values as label) is written to ``notes``. A label cell holding
a JSON list (``["a", "b"]``), or any cell when ``label_delimiter`` is given (``a|b``), makes the
source multi-label.

"Row N" in messages and ids ``rowN`` count data rows from 1 (the header is not a row). Documents
may hold protected health information: no message, note or log line quotes any part of one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import SPLITS, SplitData, TaskType, TextSource, order_label_names, too_few_classes
from meddx.data.splits import split_alias
from meddx.data.text_columns import (
    cell, check_not_swapped, check_unicode, find_column, guess_label, guess_text, id_values, label_values,
    looks_swapped, missing_column, split_values, text_values,
)
from meddx.data.text_cells import SHOW
from meddx.data.text_exports import decode_bytes as _decode  # predict imports it from here
from meddx.data.text_header import header_name, ignored_columns
from meddx.data.text_exports import check_not_json_array, parquet_cells

TABLE_SUFFIXES = (".csv", ".tsv")
RECORD_SUFFIXES = (".jsonl", ".ndjson", ".parquet")
_IMAGE_COLUMNS = {"path", "image", "mask"}


def normalize_text(text: str) -> str:
    """NFKC-normalised, case-folded text with every run of whitespace made one space, stripped.

    Two documents equal after this are the same document for duplicate and leakage checks
    (a re-export that changed line breaks, case or Unicode forms must not hide a copy)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_digest(text: str) -> str:
    """SHA-256 hex digest of :func:`normalize_text` (the identity of a document's content)."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def is_text_spec(spec: str | Path) -> bool:
    """True when ``spec`` names a text source; only a CSV header or folder listing is read.

    JSONL/NDJSON/Parquet files are always text; a CSV/TSV is text unless its header has a
    ``path``, ``image`` or ``mask`` column (image and segmentation manifests); a folder is text
    when its class folders (optionally under split folders) hold ``.txt`` files and no images.
    """
    path = Path(str(spec).strip()).expanduser()  # medmnist:NAME is neither a file nor a folder
    suffix = path.suffix.lower()
    if path.is_file():
        if suffix in RECORD_SUFFIXES:
            return True
        if suffix in TABLE_SUFFIXES:
            try:
                with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
                    header = next(csv.reader(fh, delimiter="\t" if suffix == ".tsv" else ","), [])
            except OSError:
                return False
            return bool(header) and not ({h.strip().lower() for h in header} & _IMAGE_COLUMNS)
        return False
    if not path.is_dir():
        return False
    from meddx.data.io import is_image_file

    txt = 0
    for f in (f for d in _class_dirs(path) for f in d.iterdir() if not f.name.startswith(".")):
        if f.suffix.lower() == ".txt":
            txt += 1
        elif is_image_file(f):
            return False  # an image folder (notes beside images do not make it text)
    return txt > 0


def load_text_source(path: str | Path, *, text_column: str | None = None, label_column: str | None = None,
                     id_column: str | None = None, patient_column: str | None = None,
                     split_column: str | None = None, label_delimiter: str | None = None,
                     encoding: str = "utf-8", check_swapped: bool = True) -> TextSource:
    """Read the text source at ``path`` (see the module docstring for formats and defaults).
    ``check_swapped=False`` (``data verify``) reads a file whose columns look swapped, so that its
    conflicting duplicates, which look the same, can be listed and dropped; the source's
    ``columns["looks_swapped"]`` then says why (counts only), and its label names may be notes.

    Raises ``DataError`` naming the file, row(s) and column for a missing column, an empty
    document, a missing label, an unknown split, a repeated id, bytes that are not ``encoding``
    or an unreadable JSON line or Parquet file, and text and label columns that look swapped; the
    message never quotes a document.
    """
    path = Path(str(path).strip()).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; expected a text CSV/TSV, JSONL, Parquet or a folder "
                        "of class sub-folders holding .txt files")
    if path.is_dir():
        return _load_folder(path, encoding)
    as_utf8: list[Path] = []
    table = _read_table(path, encoding, as_utf8)
    if not any(table.values()):  # a header alone: say so before any column is guessed from no rows
        raise DataError(f"{path}: no rows; expected one document per row")
    from meddx.data.text_exports import nul_free_cells, remove_nul, utf8_note

    notes: list[str] = [f"{path.name}: {utf8_note(as_utf8, encoding)}"] if as_utf8 else []
    ordered, used = list(table), {}
    for role, wanted, default, flag in (("id", id_column, "id", "--id-column"),
                                        ("patient", patient_column, "patient_id", "--patient-column"),
                                        ("split", split_column, "split", "split_column="),
                                        ("label", label_column, None, "--label-column"),
                                        ("text", text_column, "text", "--text-column")):
        used[role] = find_column(ordered, wanted or default)
        if wanted and used[role] is None:
            raise missing_column(path, wanted, role, ordered, flag)
    if used["label"] is None:
        used["label"] = find_column(ordered, "label") or find_column(ordered, "labels")
    taken = {c for c in used.values() if c}
    if used["text"] is None:
        used["text"] = guess_text(path, table, [c for c in ordered if c not in taken], notes)
        taken.add(used["text"])
    if used["label"] is None:
        used["label"] = guess_label(path, table, [c for c in ordered if c not in taken], notes)
    rows = list(range(1, len(table[used["text"]]) + 1))
    texts = text_values(path, table[used["text"]], used["text"], rows)
    texts, nul = remove_nul(texts, [f"{path}: row {r}, column {used['text']!r}" for r in rows], encoding)
    notes += [f"{path.name}: {nul}"] if nul else []
    for role, what in (("label", "label"), ("patient", "patient id")):  # cardio\0 was a class of its own
        if used[role]:
            table[used[role]], nul = nul_free_cells(used[role], table[used[role]], what)
            notes += [f"{path.name}: {nul}"] if nul else []
    try:
        ids = id_values(path, table[used["id"]], used["id"], notes) if used["id"] else [f"row{r}" for r in rows]
    except DataError:
        if id_column:
            raise
        ids, used["id"] = [f"row{r}" for r in rows], None  # an 'id' column that is no unique id
        notes.append(f"{path.name}: column 'id' is empty or repeated in some rows; rows are numbered instead")
    names, labels, task = label_values(path, table[used["label"]], used["label"], label_delimiter, rows, notes)
    notes += _joined_labels(path, names, used["label"]) if task != "multilabel" else []
    swapped = _swapped(path, (used["text"], used["label"]), texts, names, labels, task, check_swapped,
                       label_delimiter)
    split_of = split_values(path, table[used["split"]], used["split"], rows) if used["split"] else ["train"] * len(rows)
    patients = [cell(v) for v in table[used["patient"]]] if used["patient"] else None
    if patients is not None:
        check_unicode(path, used["patient"], patients, "patient id")
    empty = [r for r, p in zip(rows, patients or []) if not p]
    if empty:
        notes.append(f"{path.name}: {len(empty)} row(s) with an empty {used['patient']!r} (first: row {empty[0]}) "
                     "are treated as separate patients")
    patients = None if patients is None else [p or f"id:{i}" for p, i in zip(patients, ids)]
    ignored = ignored_columns(table, set(used.values()))
    notes += [f"{path.name}: ignored column(s) {', '.join(ignored)}"] if ignored else []
    columns = {k: used[k] for k in ("text", "label", "id", "patient", "split")} | {"label_delimiter": label_delimiter}
    columns |= _recorded(encoding) | ({"looks_swapped": swapped} if swapped else {})
    return _build(path, texts, ids, labels, names, task, split_of, patients, columns, notes)


def _joined_labels(path: Path, names: list[str], column: str) -> list[str]:
    """A note when single-label class names look like other classes joined by ``|``, ``;`` or ``,``
    (a multi-label export read without ``--label-delimiter``): ``cardiac|urgent`` became a class of
    its own beside ``cardiac``, silently. A comma is common inside one title ("Diabetes, type 2"),
    so there every piece must be a class. A class that begins or ends with ``|`` or ``;`` (``cardiac|``
    beside ``cardiac|urgent|``: no class is the bare name) is one too. Counts only, never names."""
    known = set(names)
    for sep, test in (("|", any), (";", any), (",", all)):
        joined = [n for n in names if sep in n and test(p.strip() in known for p in n.split(sep))]
        edged = [n for n in names if sep != "," and n not in joined and (n.startswith(sep) or n.endswith(sep))]
        if joined or edged:
            how = f"join another class with {sep!r}" + (" or begin or end with it" if edged else "")
            return [f"{path.name}: {len(joined) + len(edged)} of the {len(names)} classes in column {column!r} {how} "
                    f"and are read as classes of their own; for rows with several labels pass "
                    f"--label-delimiter {sep!r}"]
    return []


def _swapped(path: Path, columns: tuple[str, str], texts: list[str], names: list[str], labels: np.ndarray,
             task: TaskType, refuse: bool, delimiter: str | None = None) -> str | None:
    """Refuse text and label columns that look exchanged (``refuse``), else say why they look so (the
    source records it as ``columns["looks_swapped"]``: ``data verify`` then shows labels by number)."""
    rows = ([names[i] for i in labels] if task != "multilabel"
            else ["\n".join(names[j] for j in np.flatnonzero(row)) for row in labels])
    if refuse:
        check_not_swapped(path, columns, texts, rows, multilabel=task == "multilabel", delimiter=delimiter)
        return None
    return looks_swapped(columns, texts, rows, multilabel=task == "multilabel", delimiter=delimiter)


# ----------------------------------------------------------------------------- reading
def _recorded(encoding: str) -> dict[str, str]:
    """``{"encoding": ...}`` for a source to record so that it is re-read the same way; nothing
    for UTF-8, the default."""
    return {} if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig") else {"encoding": encoding}


HEADER_CHARS, HEADER_WORDS = 64, 6  # longer first-line cells are a document, not a column name


def _read_table(path: Path, encoding: str, as_utf8: list[Path] | None = None) -> dict[str, list[Any]]:
    """Column name -> cell values (strings for CSV/TSV, JSON/Arrow values otherwise); ``as_utf8``: see
    :func:`_decode` (Parquet strings are UTF-8 by the format: ``encoding`` does not apply)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pandas as pd

        from meddx.core.extras import needs_parquet

        needs_parquet(path)  # missing pyarrow: the one-line MissingExtraError naming the 'text' extra
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - corrupt or not Parquet at all
            raise DataError(f"{path}: cannot read as Parquet ({type(exc).__name__}); expected a Parquet file "
                            "with one document per row: re-export it, or save it as CSV/JSONL") from None
        if any(n is not None for n in df.index.names):  # a named index (to_parquet of df.set_index("label"))
            df = df.reset_index()  # is a column of the file, not row numbers
        return {str(c).strip(): parquet_cells(df[c]) for c in df.columns}
    text = _decode(path.read_bytes(), path, encoding, as_utf8)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, text)
    if suffix not in TABLE_SUFFIXES:
        raise DataError(f"{path}: unsupported text file type {suffix or '(no extension)'!r}; expected .csv, .tsv, "
                        ".jsonl, .ndjson or .parquet")
    import pandas as pd

    from meddx.data.csv_rows import check_field_counts, check_separator

    check_field_counts(path, text, delimiter="\t" if suffix == ".tsv" else ",")
    try:
        df = pd.read_csv(io.StringIO(text), sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - pandas parser errors name lines, not contents
        reason = str(exc).splitlines()[0] if type(exc).__name__ == "ParserError" else type(exc).__name__
        raise DataError(f"{path}: cannot read as {suffix[1:].upper()} ({reason}); expected a header row and one "
                        "document per row, quoted when it holds separators or line breaks") from None
    check_header(path, [str(c) for c in df.columns])
    check_separator(path, [str(c) for c in df.columns], "\t" if suffix == ".tsv" else ",")
    # newline="": a line ends at LF, CRLF or a bare CR (an old Mac export), as pandas read it above
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter="\t" if suffix == ".tsv" else ","), [])
    _check_repeated_names(path, header)
    from meddx.data.text_exports import check_header_not_data, check_repeated_header

    rows = df.to_numpy(dtype=object).tolist()
    check_repeated_header(path, header, rows)  # exports joined with cat
    check_header_not_data(path, header, rows)  # an export without its header line
    return {header_name(header, i, c): df[c].tolist() for i, c in enumerate(df.columns)}


def check_header(path: Path, names: list[str]) -> None:
    """Refuse a first line that reads as a document rather than column names (a file exported
    without a header row): its note would become a column name, be quoted in messages and be
    written into the bundle. The message gives sizes, never the cell."""
    for i, name in enumerate(names, start=1):
        words = len(name.split())
        if len(name) > HEADER_CHARS or words > HEADER_WORDS:
            raise DataError(f"{path}: the first line does not look like a header row (cell {i} has {len(name)} "
                            f"characters, {words} words; at most {HEADER_CHARS} and {HEADER_WORDS} expected): add a "
                            "header line (e.g. text,label) at the top of the file, or shorten that column name")


def _check_repeated_names(path: Path, header: list[str]) -> None:
    """Refuse a header naming one column twice: pandas renamed the copy ``text.1``, the first was
    read as the documents and a note called the other "ignored column(s) text.1", a name the file
    does not hold, whichever of the two held the notes."""
    names = [h.strip() for h in header]
    repeated = next((n for n in names if n and names.count(n) > 1), None)
    if repeated:
        where = ", ".join(str(i) for i, n in enumerate(names, start=1) if n == repeated)
        raise DataError(f"{path}: the header names column {repeated!r} more than once (columns {where}); expected "
                        "each name once: rename the copies")


def _read_jsonl(path: Path, text: str) -> dict[str, list[Any]]:
    records: list[dict] = []
    from meddx.data.text_rows import physical_lines

    for line_no, line in enumerate(physical_lines(text), start=1):
        try:
            record = json.loads(line) if line.strip() else {}
        except json.JSONDecodeError as exc:
            check_not_json_array(path, text, records)
            raise DataError(f"{path}: line {line_no}: not valid JSON ({exc.msg} at column {exc.colno}); expected "
                            "one JSON object per line: fix or drop that line") from None
        if not isinstance(record, dict):
            check_not_json_array(path, text, records)
            raise DataError(f"{path}: line {line_no}: a JSON {type(record).__name__}, expected one JSON object "
                            'per line, e.g. {"text": ..., "label": ...}')
        records += [flatten_record(record)] if record else []
    if not records:
        raise DataError(f"{path}: no records; expected one JSON object per line")
    keys = list(dict.fromkeys(k for r in records for k in r))
    return {str(k).strip(): [r.get(k) for r in records] for k in keys}


def flatten_record(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A JSON record with nested objects as dotted columns: ``{"note": {"body": ...}}`` gives the
    column ``note.body`` (as ``pandas.json_normalize`` names it), so ``--text-column note.body``
    reads a nested field instead of the object's Python text becoming the document."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten_record(value, f"{name}."))
        else:
            out[name] = value
    return out


def _class_dirs(root: Path) -> list[Path]:
    """Class folders: sub-folders of ``root``, or of its split folders when it has those."""
    subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if any(split_alias(p.name) for p in subs):
        return [c for s in subs if split_alias(s.name)
                for c in sorted(s.iterdir()) if c.is_dir() and not c.name.startswith(".")]
    return subs


def _load_folder(root: Path, encoding: str) -> TextSource:
    from meddx.data.imagefolder import split_folders
    from meddx.data.text_checks import NO_WORDS, has_words

    layout = split_folders(root) or {"train": root}
    texts, ids, label_raw, split_of, empty, skipped, files, as_utf8 = [], [], [], [], [], [], [], []
    taken: set[str] = set()
    for split in (s for s in SPLITS if s in layout):
        for class_dir in sorted(p for p in layout[split].iterdir() if p.is_dir() and not p.name.startswith(".")):
            _check_name(class_dir, "class folder")
            entries = sorted(f for f in class_dir.iterdir() if not f.name.startswith("."))
            # .TXT as .txt (a Windows export; `meddx predict` on the folder read them, training dropped them)
            documents = [f for f in entries if f.is_file() and f.suffix.lower() == ".txt"]
            read = set(documents)
            skipped += [f for f in entries if f not in read]
            for f in documents:
                _check_name(f, "file")
                texts.append(_decode(f.read_bytes(), f, encoding, as_utf8))
                files.append(str(f))
                if not has_words(texts[-1]):  # empty, whitespace or punctuation only
                    empty.append(f)
                stem = f.relative_to(root).with_suffix("").as_posix()  # note.txt beside note.TXT: keep both apart
                ids.append(stem if stem not in taken else f.relative_to(root).as_posix())
                taken.add(ids[-1])
                label_raw.append(class_dir.name)
                split_of.append(split)
    if empty:
        raise DataError(f"{root}: {len(empty)} .txt file(s) empty, whitespace-only or with {NO_WORDS} (first: "
                        f"{', '.join(str(p) for p in empty[:SHOW])}); expected a document in every file: remove them")
    if not texts:
        raise DataError(f"{root}: no .txt files in class sub-folders; expected root/[split/]class/doc.txt")
    from meddx.data.text_exports import remove_nul, utf8_note

    texts, nul = remove_nul(texts, files, encoding)
    names = order_label_names(set(label_raw))
    if too_few_classes(len(names)):
        raise DataError(f"{root}: found {len(names)} class folder(s); expected at least 2")
    labels = np.asarray([names.index(v) for v in label_raw], dtype=np.int64)
    task: TaskType = "binary" if len(names) == 2 else "multiclass"
    columns = dict.fromkeys(("text", "label", "id", "patient", "split", "label_delimiter")) | _recorded(encoding)
    notes = [f"{root.name}: folder of .txt files, one class per sub-folder"]
    notes += [f"{root.name}: {utf8_note(as_utf8, encoding)}"] if as_utf8 else []
    notes += [f"{root.name}: {nul}"] if nul else []
    if skipped:  # a sub-folder or another file type in a class folder is not read: say so, counted
        notes.append(f"{root.name}: skipped {len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'} in class folders "
                     f"that are not .txt files (first: {skipped[0].relative_to(root).as_posix()}); documents "
                     "are root/[split/]class/doc.txt")
    return _build(root, texts, ids, labels, names, task, split_of, None, columns, notes)


def _check_name(path: Path, what: str) -> None:
    """Refuse a name whose bytes are not UTF-8 (Python holds them as lone surrogates): as a class
    name or id it reached the bundle's JSON and failed there with a UnicodeEncodeError traceback."""
    from meddx.data.text_checks import text_problem

    if text_problem(path.name):
        raise DataError(f"{path.parent}: the {what} name {ascii(path.name)} is not valid UTF-8; rename it "
                        "(e.g. convmv -f latin1 -t utf-8)")


def _build(path: Path, texts: list[str], ids: list[str], labels: np.ndarray, names: list[str], task: TaskType,
           split_of: list[str], patients: list[str] | None, columns: dict, notes: list[str]) -> TextSource:
    splits = {}
    for split in SPLITS:
        rows = [i for i, s in enumerate(split_of) if s == split]
        if rows:
            splits[split] = SplitData(ids=[ids[i] for i in rows], labels=labels[rows],
                                      patient_ids=None if patients is None else [patients[i] for i in rows],
                                      texts=[texts[i] for i in rows])
    notes += [] if "train" in splits else [f"{path.name}: no train rows"]
    from meddx.data.val_checks import note_small_validation  # a val split the file gives (a carved one: the carve)

    return note_small_validation(TextSource(name=path.stem if path.is_file() else path.name, origin=str(path),
                                            task=task, label_names=names, spatial_dims=0, splits=splits, notes=notes,
                                            columns=columns))
