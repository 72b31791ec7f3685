"""The span report: one JSON line per replaced span, by offsets only.

Fields: ``doc`` (document id: relative path for files, ``row-N`` or the ``--id-column`` value
for tables), ``type``, ``start``/``end`` (offsets in the ORIGINAL text), ``length``
(``end - start``), ``out_start``/``out_end`` (offsets of the replacement in the OUTPUT text).
Never the original text or any part of it: the report can travel with the de-identified data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from meddx.deid.spans import Span

FIELDS = ("doc", "type", "start", "end", "length", "out_start", "out_end")


def span_records(doc_id: str, spans: Iterable[Span]) -> list[dict[str, Any]]:
    """The report records of one document."""
    return [{"doc": doc_id, "type": s.type, "start": s.start, "end": s.end, "length": s.length,
             "out_start": s.out_start, "out_end": s.out_end} for s in spans]


def to_jsonl(records: Iterable[dict[str, Any]]) -> str:
    """JSON Lines text of ``records`` (one object per line, trailing newline)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_report(path: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    """Write the report atomically (a reader never sees half of it)."""
    from meddx.core.files import write_text_atomic

    return write_text_atomic(path, to_jsonl(records))


def read_report(path: str | Path) -> list[dict[str, Any]]:
    """Read a span report back (for checks and tests)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
