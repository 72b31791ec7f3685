"""``deid_path``: de-identify a .txt file, a folder of .txt files (recursive, the output mirrors
the tree), or a CSV / JSONL / Parquet table (the text column replaced, every other column
kept), and write the span report.

Safety: the input is never overwritten (an output or report path that is an input file is
refused); every output is written atomically (temporary file, then rename), so a failure
leaves what was already written intact. Errors and logs name files, rows, lines, columns and
document ids, never note text.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meddx.core.errors import ConfigError, DataError, MeddxError
from meddx.core.files import write_bytes_atomic, write_text_atomic
from meddx.deid.headers import check_header_phi
from meddx.deid.report import span_records, write_report
from meddx.deid.spans import DeidResult, DeidSettings

log = logging.getLogger("meddx.deid")

TABLE_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class DeidSummary:
    """What ``deid_path`` did: documents, span counts per type, where outputs and report went."""

    kind: str
    documents: int
    output: Path
    report: Path
    counts: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    unscoped: int = 0  # documents with dates and no patient id: dates tagged unless DeidSettings(dates="shift")
    notes: list[str] = field(default_factory=list)  # what the user should know (file names, counts)

    @property
    def spans(self) -> int:
        """Total replaced spans."""
        return sum(self.counts.values())


def deid_path(input: str | Path, out: str | Path, *, report: str | Path | None = None,
              settings: DeidSettings | None = None, text_column: str | None = None, id_column: str | None = None,
              patient_column: str | None = None, encoding: str = "utf-8") -> DeidSummary:
    """De-identify ``input`` into ``out`` and write the span report (default ``OUT.spans.jsonl``).
    A table's note column is ``text_column``, else chosen as training chooses it (:func:`note_column`)."""
    src, dst = Path(input), Path(out)
    if not src.exists():
        raise DataError(f"{src}: no such file or folder; expected a .txt file, a folder of .txt files, "
                        f"or a .csv/.jsonl/.parquet table")
    kind = "folder" if src.is_dir() else ("text" if src.suffix.lower() == ".txt" else TABLE_SUFFIXES.get(src.suffix.lower()))
    if kind is None:
        raise ConfigError(f"{src}: unsupported input type {src.suffix!r}; expected .txt, a folder, "
                          f".csv, .jsonl/.ndjson or .parquet")
    if kind != "folder" and (dst.is_dir() or str(out).endswith(("/", "\\"))):
        dst = dst / src.name  # a folder given for one file's output: the file goes inside, under its own name
    named = dst if dst.name not in ("", "..") else dst.resolve()  # "-o .": "out.spans.jsonl", not a hidden "..spans.jsonl"
    report_path = Path(report) if report is not None else Path(str(named).rstrip("/\\") + ".spans.jsonl")
    _check_output_paths(src, kind, dst, report_path, text_column, id_column, patient_column)
    settings = _with_key(settings or DeidSettings(), patient_column is not None)
    run = _Run(settings, encoding)
    if kind == "folder":
        _check_folder_paths(src, dst, report_path)
        run.folder(src, dst)
    else:
        _check_not_input(src, [dst, report_path])
        if kind == "text":
            run.text_file(src, dst)
        else:
            run.table(src, dst, kind, text_column, id_column, patient_column)
    write_report(report_path, run.records)
    summary = DeidSummary(kind, run.documents, dst, report_path, dict(sorted(run.counts.items())), run.empty, run.unscoped)
    for note in run.notes:  # the note column chosen (a column name and a length, never text)
        summary.notes.append(note)
        log.info("deid: %s", note)
    if run.as_utf8:  # file names and a count, never text; outputs are UTF-8 whatever was read
        from meddx.data.text_exports import utf8_note

        summary.notes.append(utf8_note(run.as_utf8, encoding))
        log.info("deid: %s", summary.notes[-1])  # meddx deid prints summary.notes
    if run.nul_places:
        shown = ", ".join(run.nul_places[:3]) + (", ..." if len(run.nul_places) > 3 else "")
        summary.notes.append(f"removed {run.nul} NUL character(s) (U+0000) from {len(run.nul_places)} document(s) "
                             f"({shown}) before de-identification: bytes of a binary export, which hid the words "
                             "around them from the rules; the output and the report's offsets are of the text without them")
        log.info("deid: %s", summary.notes[-1])  # meddx deid prints summary.notes
    log.info("deid: %d documents, %d spans replaced (%s)", summary.documents, summary.spans,
             ", ".join(f"{k} {v}" for k, v in summary.counts.items()) or "none")
    if run.empty:
        log.warning("deid: %d documents had empty text", run.empty)
    return summary


def _with_key(settings: DeidSettings, has_patients: bool) -> DeidSettings:
    """Resolve the key once (not per document) when surrogates or date shifting need it."""
    needs = settings.mode == "surrogate" or settings.dates == "shift" or (settings.dates is None and has_patients)
    if not needs:
        return settings
    from meddx.deid.surrogate import resolve_key

    return dataclasses.replace(settings, key=resolve_key(settings.key))


def _check_output_paths(src: Path, kind: str, dst: Path, report: Path, text_column: str | None, id_column: str | None,
                        patient_column: str | None) -> None:
    """Refuse, before anything is read or written, what would write the wrong thing or a note where
    the report should hold none."""
    if report.is_dir():
        raise ConfigError(f"{report}: --report is a folder; give a file path for the span report (JSONL)")
    if report.resolve() == dst.resolve():  # the report replaced the scrubbed output, exit 0
        raise ConfigError(f"{report}: --report is the --out path; give the span report its own file (default OUT.spans.jsonl)")
    if kind in ("csv", "jsonl", "parquet") and TABLE_SUFFIXES.get(dst.suffix.lower()) != kind:
        raise ConfigError(f"{dst}: the output is written in the input's format ({kind}); name --out with the input's "
                          f"extension {src.suffix!r}")
    for column, flag in ((id_column, "--id-column"), (patient_column, "--patient-column")):
        if column is not None and column == (text_column or "text"):
            raise ConfigError(f"{flag} {column!r} is the text column: its values go into the span report and the "
                              f"date-shift scope, so it must be an id column, not the notes")


def _check_not_input(src: Path, outputs: list[Path]) -> None:
    for path in outputs:
        if path.exists() and path.resolve() == src.resolve():
            raise ConfigError(f"{path}: is the input file; choose another --out/--report (the input is never overwritten)")


def _check_folder_paths(src: Path, dst: Path, report: Path) -> None:
    root, out = src.resolve(), dst.resolve()
    if out == root or root in out.parents:
        raise ConfigError(f"{dst}: the output folder is the input folder or inside it; choose --out outside {src}")
    if report.resolve() == root or root in report.resolve().parents:
        raise ConfigError(f"{report}: the report would be written inside the input folder {src}; choose --report elsewhere")


class _Run:
    """State of one ``deid_path`` call: counts, report records, settings."""

    def __init__(self, settings: DeidSettings, encoding: str) -> None:
        self.settings, self.encoding = settings, encoding
        self.records: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.documents = self.empty = self.unscoped = 0
        self.as_utf8: list[Path] = []  # files read as UTF-8 despite --encoding (see decode)
        self.nul = 0  # NUL characters removed (see deid), and where: file, row or line
        self.nul_places: list[str] = []
        self.notes: list[str] = []  # which note column was chosen (note_column)

    def deid(self, text: str, doc_id: str, patient_id: str | None, where: str) -> DeidResult:
        from meddx.deid.replace import deidentify

        if "\0" in text:  # bytes of a binary export: "Jo\0sé" hid the name from every rule (as the text readers do)
            from meddx.data.text_exports import remove_nul

            self.nul += text.count("\0")
            (text,), _ = remove_nul([text], [where], self.encoding)  # a text a quarter NUL is UTF-16: refused
            self.nul_places.append(where)
        try:
            result = deidentify(text, patient_id=patient_id, doc_id=doc_id, settings=self.settings)
        except MeddxError:
            raise
        except Exception as exc:  # a bug: name the place, never the text
            raise MeddxError(f"{where}: de-identification failed ({type(exc).__name__}); "
                             f"rerun with --debug for the traceback") from exc
        self.documents += 1
        self.empty += not text.strip()
        self.unscoped += patient_id is None and any(s.type == "DATE" for s in result.spans)
        self.counts.update(s.type for s in result.spans)
        self.records += span_records(doc_id, result.spans)
        log.debug("deid: document %d: %d spans", self.documents, len(result.spans))
        return result

    def decode(self, data: bytes, path: Path) -> str:
        """Bytes to text as the training readers read them (``text_exports.decode_bytes``): bytes that
        are valid UTF-8 with accented letters (or a UTF-8 mark) under ``--encoding latin-1``/cp1252 are
        read as UTF-8 and ``path`` is counted for the note (read as Latin-1, ``José`` became ``JosÃ©``,
        which no name rule finds: a leak, and the output came back garbled); UTF-16 read as a
        single-byte encoding is refused (NUL between the letters hides every identifier)."""
        import codecs

        from meddx.data.text_exports import decode_bytes

        try:
            codecs.lookup(self.encoding)
        except LookupError:  # a setting, not the file: deid's own ConfigError, as before
            raise ConfigError(f"unknown --encoding {self.encoding!r}; use e.g. utf-8, latin-1, cp1252") from None
        return decode_bytes(data, path, self.encoding, self.as_utf8)

    def text_file(self, src: Path, dst: Path, doc_id: str | None = None, allow_empty: bool = False) -> None:
        data = src.read_bytes()
        if not data and not allow_empty:
            raise DataError(f"{src}: the file is empty; expected note text")
        result = self.deid(self.decode(data, src), doc_id or src.name, None, str(src))
        write_text_atomic(dst, result.text, private=True)  # notes: PHI a rule missed stays private

    def folder(self, src: Path, dst: Path) -> None:
        files = sorted(p for p in src.rglob("*") if p.is_file() and p.suffix.lower() == ".txt")
        if not files:
            raise DataError(f"{src}: no .txt files in this folder or below; expected notes as .txt files")
        inputs = {p.resolve() for p in files}
        rels = [path.relative_to(src) for path in files]
        for rel in rels:
            if (dst / rel).resolve() in inputs:
                raise ConfigError(f"{dst / rel}: is an input file; choose an --out folder outside the input tree")
        # written into a hidden folder beside --out and moved into place once every note is done: an error
        # or Ctrl-C at note 5 of 10 left notes 1-4 in --out, without a report, looking like a finished run
        import os
        import shutil
        import tempfile

        dst.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dst.name}.partial-", dir=dst.parent))
        try:
            for path, rel in zip(files, rels):
                self.text_file(path, staging / rel, doc_id=rel.as_posix(), allow_empty=True)
            for rel in rels:
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, dst / rel)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        skipped = sum(1 for p in src.rglob("*") if p.is_file()) - len(files)
        if skipped:
            log.info("deid: %d files without .txt suffix left out", skipped)

    def table(self, src: Path, dst: Path, kind: str, text_column: str | None, id_column: str | None,
              patient_column: str | None) -> None:
        if kind == "jsonl":
            self._jsonl(src, dst, text_column, id_column, patient_column)
            return
        import pandas as pd

        frame = self._read_frame(src, kind, pd)
        check_header_phi(src, frame.columns)  # a short first note read as the header: echoed and copied as is
        table = {c: frame[c].tolist() for c in frame.columns if isinstance(c, str)}
        text_column = note_column(src, table, text_column, (id_column, patient_column), self.notes)
        for column, flag in ((text_column, "--text-column"), (id_column, "--id-column"), (patient_column, "--patient-column")):
            if column is not None and column not in frame.columns:
                raise DataError(f"{src}: no column {column!r} ({flag}); available columns: "
                                f"{', '.join(map(str, frame.columns))}")
        texts = []
        for i, value in enumerate(frame[text_column].tolist()):
            row = f"{src}: row {i + 1}, column {text_column!r}"
            if value is None or (isinstance(value, float) and value != value):
                texts.append(value)
                self.empty += 1
                continue
            if not isinstance(value, str):
                raise DataError(f"{row}: expected text, got {type(value).__name__}")
            doc = _cell(frame, id_column, i) or f"row-{i + 1}"
            texts.append(self.deid(value, doc, _cell(frame, patient_column, i), row).text)
        frame[text_column] = texts
        if kind == "csv":  # the input's line endings and quoting (every field quoted, or as needed)
            terminator, quoting = frame.attrs.get("csv_style", ("\n", 0))
            write_text_atomic(dst, frame.to_csv(index=False, lineterminator=terminator, quoting=quoting), private=True)
        else:
            import io

            buffer = io.BytesIO()
            frame.to_parquet(buffer, index=False)
            write_bytes_atomic(dst, buffer.getvalue(), private=True)

    def _read_frame(self, src: Path, kind: str, pd: Any) -> Any:
        if kind == "csv":
            import io

            text = self.decode(src.read_bytes(), src)
            if not text.strip():
                raise DataError(f"{src}: the file is empty; expected a CSV with a header row")
            from meddx.data.csv_rows import check_field_counts

            check_field_counts(src, text)  # before anything is written: a shifted row would leave a note unscrubbed
            try:
                frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
            except pd.errors.ParserError as exc:
                raise DataError(f"{src}: not a readable CSV ({str(exc).splitlines()[0][:160]})") from None
            from meddx.data.text import check_header

            check_header(src, [str(c) for c in frame.columns])  # a note read as the header would be echoed
            frame.attrs["csv_style"] = csv_style(text)
        else:
            from meddx.core.extras import needs_parquet

            needs_parquet(src)
            try:
                frame = pd.read_parquet(src)
            except Exception as exc:
                raise DataError(f"{src}: not a readable Parquet file ({type(exc).__name__})") from None
        if frame.empty:
            raise DataError(f"{src}: the table has no rows; expected one note per row")
        return frame

    def _jsonl(self, src: Path, dst: Path, text_column: str | None, id_column: str | None,
               patient_column: str | None) -> None:
        from meddx.data.text_rows import physical_lines

        lines = [line.rstrip("\r\n") for line in physical_lines(self.decode(src.read_bytes(), src))]
        records: list[tuple[int, dict[str, Any]]] = []
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{src}: line {n}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(record, dict):
                raise DataError(f"{src}: line {n}: expected a JSON object, got {type(record).__name__}")
            records.append((n, record))
        if not records:
            raise DataError(f"{src}: the file has no JSON lines; expected one object per line")
        keys = list(dict.fromkeys(k for _, record in records for k in record))
        check_header_phi(src, keys, "key")
        table = {k: [record.get(k) for _, record in records] for k in keys}
        text_column = note_column(src, table, text_column, (id_column, patient_column), self.notes)
        out: list[str] = []
        for n, record in records:
            where = f"{src}: line {n}"
            for key, flag in ((text_column, "--text-column"), (id_column, "--id-column"), (patient_column, "--patient-column")):
                if key is not None and key not in record:
                    raise DataError(f"{where}: no key {key!r} ({flag}); keys on this line: {', '.join(map(str, record))}")
            value = record[text_column]
            if value is None:
                self.empty += 1
            elif not isinstance(value, str):
                raise DataError(f"{where}, key {text_column!r}: expected text, got {type(value).__name__}")
            else:
                doc = str(record[id_column]) if id_column and record[id_column] is not None else f"line-{n}"
                patient = record.get(patient_column) if patient_column else None
                record[text_column] = self.deid(value, doc, None if patient is None else (str(patient).strip() or None),
                                                f"{where}, key {text_column!r}").text
            out.append(json.dumps(record, ensure_ascii=False))
        write_text_atomic(dst, "\n".join(out) + "\n", private=True)


def note_column(src: Path, table: dict[str, list[Any]], named: str | None, others: tuple[str | None, ...],
                notes: list[str]) -> str:
    """The column (JSONL: key) holding the notes, chosen as ``meddx train`` and ``data verify`` choose it
    (:mod:`meddx.data.text_columns`): ``named`` (``--text-column``, any case), else ``text``, else the string
    column with the longest mean length, with a note in ``notes``; ``others`` (the id and patient columns)
    and columns named id, patient_id, split or label(s) are never taken. A note column named ``note`` was
    refused for want of ``text``. No string column to take: refused. ``named`` and absent: returned as
    named, for the caller's "no column" error listing the columns."""
    from meddx.data.text_columns import find_column, guess_text

    found = find_column(list(table), named or "text")
    taken = {find_column(list(table), c) for c in (*others, "id", "patient_id", "split", "label", "labels")}
    if found is not None or named:
        chosen = found or str(named)
    else:
        chosen = guess_text(src, table, [c for c in table if c not in taken], notes)
    if chosen in table:
        notes += _unscrubbed_note(src, table, chosen, taken)
    return chosen


def _unscrubbed_note(src: Path, table: dict[str, list[Any]], chosen: str, taken: set[str | None]) -> list[str]:
    """A note naming the other columns that hold more than numbers (a name, a date, a second note): only
    ``chosen`` is scrubbed and they are copied unchanged, which a user taking the output for de-identified
    would not expect. ``taken``: the id and patient columns (named by flags) and id/split/label columns,
    left out. Column names only, never a cell."""
    import re

    known = {chosen, *taken}
    number = re.compile(r"\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*")
    left = [c for c in table if c not in known and any(
        isinstance(v, str) and v.strip() and not number.fullmatch(v) for v in table[c])]
    if not left:
        return []
    return [f"{src.name}: column(s) {', '.join(map(repr, left))} copied unchanged, not scrubbed (only {chosen!r} "
            "is); if they hold names, dates or other identifiers, drop them, or de-identify each with --text-column"]


def _cell(frame: Any, column: str | None, i: int) -> str | None:
    if column is None:
        return None
    value = frame[column].iloc[i]
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value).strip() or None  # " p1" (an export's padding) is patient p1: one date offset, not two


def csv_style(text: str) -> tuple[str, int]:
    """``(line terminator, csv quoting)`` of a CSV's header line: CRLF or LF, and ``QUOTE_ALL`` when
    every header field is quoted (else ``QUOTE_MINIMAL``), so the scrubbed copy is written alike."""
    import csv

    first = text.split("\n", 1)[0]
    fields = first.rstrip("\r").split(",")
    quoted = bool(first.strip()) and all(len(f) >= 2 and f[0] == f[-1] == '"' for f in fields)
    return ("\r\n" if first.endswith("\r") else "\n"), (csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL)
