"""``data verify --fix``: the input file minus the removed rows, in its own layout.

A cleaned corpus goes back into a hospital's own pipeline, so it must be the input file with rows
left out: the same columns (also those meddx ignored), names, order, quoting, line endings and
encoding. CSV/TSV and JSONL records are copied verbatim from the input text; Parquet is filtered
as a table. Only a multi-label ``merge`` rewrites cells: the label of a kept row that took the
union of its group's labels. No library keeps a CSV's formatting while dropping records, hence
this module.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from meddx.data.base import TextSource

_SAME_FORMAT = {".csv": ".csv", ".tsv": ".tsv", ".jsonl": ".jsonl", ".ndjson": ".jsonl", ".parquet": ".parquet"}


def write_kept_rows(source: TextSource, cleaned: TextSource, out: str | Path) -> Path | None:
    """Write the rows of ``source``'s file that ``cleaned`` keeps to ``out``, in file order.

    Returns ``None`` (nothing written) when ``source`` is not a file or ``out`` has another format
    than it: the caller then writes meddx's own layout (``write_text_source``).
    """
    path, out = Path(source.origin), Path(out)
    fmt = _SAME_FORMAT.get(path.suffix.lower())
    if not path.is_file() or fmt is None or _SAME_FORMAT.get(out.suffix.lower()) != fmt:
        return None
    rows = _file_rows(source)
    kept = sorted(rows[(split, sid)] for split, data in cleaned.splits.items() for sid in data.ids)
    relabel = _new_labels(source, cleaned, rows)
    if fmt == ".parquet":
        return _write_parquet(path, out, kept, relabel, source.columns.get("label"))
    encoding = source.columns.get("encoding") or "utf-8"
    raw = path.read_bytes()
    from meddx.data.text_exports import utf8_despite

    # as the reader read it: a merged label written as Latin-1 into a UTF-8 file would be mojibake there
    # (and a UTF-8 file's byte-order mark, read under --encoding latin-1, stays a mark, not a header cell)
    encoding = "utf-8" if utf8_despite(raw, encoding) else encoding
    bom = raw.startswith(b"\xef\xbb\xbf") and encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    text = raw.decode("utf-8-sig" if bom else encoding)
    records = sum(len(data.ids) for data in source.splits.values())
    if fmt == ".jsonl":
        body = _jsonl_rows(text, kept, relabel, source.columns.get("label"), records, path,
                           source.columns.get("label_delimiter"))
    else:
        body = _csv_rows(text, "\t" if fmt == ".tsv" else ",", kept, relabel, source.columns.get("label"),
                         source.columns.get("label_delimiter"), records, path)
    from meddx.core.files import write_bytes_atomic

    return write_bytes_atomic(out, (b"\xef\xbb\xbf" if bom else b"") + body.encode(encoding), private=True)  # notes


def _file_rows(source: TextSource) -> dict[tuple[str, str], int]:
    """(split, id) -> the record's index in the file: by the id column, else ids ``rowN``."""
    from meddx.data.text import _read_table
    from meddx.data.text_columns import id_values

    column = source.columns.get("id")
    path = Path(source.origin)
    if column:
        table = _read_table(path, source.columns.get("encoding") or "utf-8")
        index = {sid: i for i, sid in enumerate(id_values(path, table[column], column))}
    return {(split, sid): index[sid] if column else int(sid[3:]) - 1
            for split, data in source.splits.items() for sid in data.ids}


def _new_labels(source: TextSource, cleaned: TextSource, rows: dict[tuple[str, str], int]) -> dict[int, list[str]]:
    """File row -> label names, for the kept rows whose labels the cleaning changed (multi-label merge)."""
    before = {(split, sid): data.labels[i] for split, data in source.splits.items() for i, sid in enumerate(data.ids)}
    changed = {}
    for split, data in cleaned.splits.items():
        for i, sid in enumerate(data.ids):
            if not np.array_equal(before[(split, sid)], data.labels[i]):
                changed[rows[(split, sid)]] = [n for n, v in zip(cleaned.label_names, data.labels[i]) if v]
    return changed


def physical_lines(text: str) -> list[str]:
    """The file's lines with their endings, broken at \\n, \\r\\n and \\r only: ``str.splitlines``
    also breaks at form feeds, U+2028 and other characters that CSV and JSON keep inside a record
    (a PDF page break in an unquoted note would shift every record after it)."""
    return io.StringIO(text, newline="").readlines()


def _label_cell(names: list[str], delimiter: str | None, before: str = "") -> str:
    """A merged label cell in the style of the cell it replaces: delimiter-joined, or a JSON list
    when the cell was one or a name holds the delimiter (joined, ``a|b`` would read back as two labels)."""
    if delimiter and not before.strip().startswith("[") and not any(delimiter in n for n in names):
        return delimiter.join(names)
    return json.dumps(names, ensure_ascii=False)


def _check_count(found: int, expected: int, path: Path) -> None:
    """Copying records by index is only right when this split of the file finds the rows the reader read."""
    if found != expected:
        from meddx.core.errors import DataError

        raise DataError(f"{path}: found {found} records where the reader read {expected}; nothing was written: "
                        "write the cleaned source in meddx's layout instead (--fixed-output with another format)")


def _csv_rows(text: str, sep: str, kept: list[int], relabel: dict[int, list[str]], label: str | None,
              delimiter: str | None, expected: int, path: Path) -> str:
    """The header and the kept records' own lines; a relabelled record written again in the file's
    delimiter and line ending. Blank lines are not records (as when the file was read)."""
    lines = physical_lines(text)
    reader = csv.reader(iter(lines), delimiter=sep)
    header = next(reader)
    parts, start, records = lines[:reader.line_num], reader.line_num, []
    for fields in reader:
        if fields:
            records.append((start, reader.line_num, fields))
        start = reader.line_num
    _check_count(len(records), expected, path)
    column = [h.strip() for h in header].index(label) if label in [h.strip() for h in header] else None
    for k in kept:
        first, end, fields = records[k]
        if k in relabel and column is not None:
            ending = lines[end - 1][len(lines[end - 1].rstrip("\r\n")):] or "\n"
            fields = [*fields[:column], _label_cell(relabel[k], delimiter, fields[column]), *fields[column + 1:]]
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=sep, lineterminator=ending).writerow(fields)
            parts.append(buffer.getvalue())
        else:
            parts.extend(lines[first:end])
    return "".join(parts)


def _jsonl_rows(text: str, kept: list[int], relabel: dict[int, list[str]], label: str | None, expected: int,
                path: Path, delimiter: str | None = None) -> str:
    """The kept records' own lines (empty objects and blank lines are not records); a merged label
    is written as the cell was: a ``delimiter``-joined string stays one, else a JSON list."""
    lines = [line for line in physical_lines(text) if line.strip() and json.loads(line)]
    _check_count(len(lines), expected, path)
    out = []
    for k in kept:
        line = lines[k]
        if k in relabel and label:
            record: dict[str, Any] = json.loads(line)
            _set_field(record, label, relabel[k], delimiter)
            line = json.dumps(record, ensure_ascii=False) + "\n"
        out.append(line if line.endswith("\n") else line + "\n")
    return "".join(out)


def _set_field(record: dict[str, Any], column: str, names: list[str], delimiter: str | None) -> None:
    """Set the label ``column`` of a JSON record in place; a dotted column read from a nested object
    (``meddx.data.text.flatten_record``) is set inside that object, not added at the top."""
    target, key = record, column
    if column not in record:
        *parents, key = column.split(".")
        for parent in parents:  # the reader found this path, so each parent is an object
            target = target[parent]
    before = target.get(key)
    joined = delimiter and isinstance(before, str) and _label_cell(names, delimiter, before) == delimiter.join(names)
    target[key] = delimiter.join(names) if joined else names


def _write_parquet(path: Path, out: Path, kept: list[int], relabel: dict[int, list[str]], label: str | None) -> Path:
    import pandas as pd

    from meddx.core.extras import needs_parquet
    from meddx.core.files import write_bytes_atomic

    needs_parquet(path)
    frame = pd.read_parquet(path)
    if any(n is not None for n in frame.index.names):  # a named index is a column of the file, as it was read
        frame = frame.reset_index()
    if relabel and label:
        frame[label] = [relabel.get(i, value) for i, value in enumerate(frame[label].tolist())]
    buffer = io.BytesIO()
    frame.iloc[kept].to_parquet(buffer, index=False)
    return write_bytes_atomic(out, buffer.getvalue(), private=True)  # the notes kept
