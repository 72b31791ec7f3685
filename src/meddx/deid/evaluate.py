"""Score detected spans against planted ones (synthetic notes with a known answer).

Per type: span recall (a planted span counts as found when any detected span overlaps it,
whatever its type: what matters for privacy is that the text is gone), typed recall (the
overlapping span also has the planted type), character recall (share of the planted
letters and digits covered by detected spans) and precision (a detected span is correct when
it overlaps any planted span). F1 uses span recall and precision. ``overall`` is micro-averaged.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    from meddx.deid.synthetic import SyntheticNote

MARK_RE = re.compile(r"\{([A-Z_]+)\|([^{}|]+)\}")
"""A hand-marked identifier, ``{TYPE|text}`` (``{NAME|Grace Oduya}``), as in the review notes under
``tests/unit/deid``: a way to write notes with a known answer for :func:`score`."""


def parse_marked(marked: str, note_id: str = "note", patient_id: str | None = None) -> SyntheticNote:
    """A note written with ``{TYPE|text}`` marks -> the plain note and its planted spans (the known
    answer :func:`score` compares detections with); ``patient_id`` defaults to ``note_id``."""
    from meddx.deid.synthetic import PlantedSpan, SyntheticNote

    parts: list[str] = []
    spans: list[PlantedSpan] = []
    pos = last = 0
    for m in MARK_RE.finditer(marked):
        parts.append(marked[last:m.start()])
        pos += m.start() - last
        value = m.group(2)
        spans.append(PlantedSpan(pos, pos + len(value), m.group(1)))
        parts.append(value)
        pos += len(value)
        last = m.end()
    parts.append(marked[last:])
    return SyntheticNote(note_id, note_id if patient_id is None else patient_id, "".join(parts), spans)


ROUND_MARK_RE = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]|\{\{(.+?)\}\}")
"""A review round's marks (``tests/unit/deid/test_deid_2*_*.txt``): ``[[TYPE:text]]`` an identifier,
``{{text}}`` a look-alike that must stay (a brand, an eponym)."""


def read_round_set(path: str | Path) -> list[tuple[str, list[tuple[int, int]], list[tuple[int, int]]]]:
    """(text, identifier offsets, look-alike offsets) of each line of a round's marked set; blank lines
    and ``#`` comments skipped. Shared by the round tests and ``benchmarks/deid_tagger.py``."""
    out = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        text, ids, negs, pos = "", [], [], 0
        for m in ROUND_MARK_RE.finditer(raw):
            text += raw[pos:m.start()]
            value = m.group(2) or m.group(3)
            (ids if m.group(1) else negs).append((len(text), len(text) + len(value)))
            text += value
            pos = m.end()
        out.append((text + raw[pos:], ids, negs))
    return out


def score(notes: Sequence[Any], results: Sequence[Any]) -> dict[str, Any]:
    """``notes``: objects with ``text`` and ``spans`` (planted); ``results``: ``DeidResult``s or
    lists of spans (anything with ``start``, ``end``, ``type``), in the same order.

    Returns ``{"per_type": {TYPE: {...}}, "overall": {...}}`` with ``planted``, ``found``,
    ``recall``, ``type_recall``, ``char_recall``, ``detected``, ``correct``, ``precision``, ``f1``.
    """
    if len(notes) != len(results):
        raise ValueError(f"score: {len(notes)} notes but {len(results)} results; expected one result per note")
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for note, result in zip(notes, results):
        detected = list(getattr(result, "spans", result))
        planted = list(note.spans)
        covered = _covered(detected)
        for p in planted:
            c = counts[p.type]
            c["planted"] += 1
            hits = [d for d in detected if d.start < p.end and p.start < d.end]
            c["found"] += bool(hits)
            c["typed"] += any(d.type == p.type for d in hits)
            chars = [i for i in range(p.start, p.end) if note.text[i].isalnum()]
            c["chars"] += len(chars)
            c["chars_found"] += sum(_inside(covered, i) for i in chars)
        for d in detected:
            c = counts[d.type]
            c["detected"] += 1
            c["correct"] += any(p.start < d.end and d.start < p.end for p in planted)
    per_type = {kind: _rates(c) for kind, c in sorted(counts.items())}
    total: dict[str, int] = defaultdict(int)
    for c in counts.values():
        for key, value in c.items():
            total[key] += value
    return {"per_type": per_type, "overall": _rates(total)}


def _rates(c: dict[str, int]) -> dict[str, Any]:
    recall = c["found"] / c["planted"] if c["planted"] else None
    precision = c["correct"] / c["detected"] if c["detected"] else None
    f1 = (2 * recall * precision / (recall + precision)) if recall and precision else None
    return {
        "planted": c["planted"], "found": c["found"], "recall": recall,
        "type_recall": c["typed"] / c["planted"] if c["planted"] else None,
        "char_recall": c["chars_found"] / c["chars"] if c["chars"] else None,
        "detected": c["detected"], "correct": c["correct"], "precision": precision, "f1": f1,
    }


def _covered(spans: Iterable[Any]) -> list[tuple[int, int]]:
    return sorted((s.start, s.end) for s in spans)


def _inside(intervals: list[tuple[int, int]], i: int) -> bool:
    import bisect

    k = bisect.bisect_right(intervals, (i, float("inf"))) - 1
    return k >= 0 and intervals[k][0] <= i < intervals[k][1]


def misses(notes: Sequence[Any], results: Sequence[Any]) -> list[tuple[str, int, int, str]]:
    """Planted spans no detected span overlaps: (note id, start, end, type) - offsets, no text."""
    out = []
    for note, result in zip(notes, results):
        detected = list(getattr(result, "spans", result))
        for p in note.spans:
            if not any(d.start < p.end and p.start < d.end for d in detected):
                out.append((note.id, p.start, p.end, p.type))
    return out


def false_positives(notes: Sequence[Any], results: Sequence[Any]) -> list[tuple[str, int, int, str]]:
    """Detected spans that overlap no planted span: (note id, start, end, type)."""
    out = []
    for note, result in zip(notes, results):
        for d in getattr(result, "spans", result):
            if not any(p.start < d.end and d.start < p.end for p in note.spans):
                out.append((note.id, d.start, d.end, d.type))
    return out
