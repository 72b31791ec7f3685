"""What the de-id review tests share: settings that tag (and shift dates), the scrubbed text of
one note, and the type detected for each flagged piece of text."""

from __future__ import annotations

from pathlib import Path

from meddx.deid import DeidSettings, deidentify
from meddx.deid.detect import detect
from meddx.deid.evaluate import read_round_set

TAG = DeidSettings(mode="tag", key="k")
SHIFT = DeidSettings(mode="tag", dates="shift", key="k")


def scrubbed(text: str, settings: DeidSettings = TAG) -> str:
    """The note as ``meddx deid`` writes it (patient ``p1``)."""
    return deidentify(text, patient_id="p1", settings=settings).text


def detected_types(text: str) -> dict[str, str]:
    """Flagged text -> its PHI type."""
    return {text[s.start:s.end]: s.type for s in detect(text)}


def covered(text: str, phi: str) -> bool:
    """Every letter and digit of ``phi`` (its first occurrence) is inside a detected span."""
    start = text.index(phi)
    spans = detect(text)
    return all(any(s.start <= k < s.end for s in spans) for k in range(start, start + len(phi)) if text[k].isalnum())


def untouched(text: str, word: str, last: bool = False) -> bool:
    """No detected span overlaps ``word`` (its first occurrence, or its last with ``last``)."""
    start = text.rindex(word) if last else text.index(word)
    return not any(s.start < start + len(word) and start < s.end for s in detect(text))


def missed_and_overscrubbed(path: Path) -> tuple[int, int, int]:
    """(identifiers, identifiers missed or cut, look-alikes flagged) of ``detect`` on a marked set."""
    missed = overs = total = 0
    for text, ids, negs in read_round_set(path):
        spans = detect(text)
        for a, b in ids:
            total += 1
            keys = [k for k in range(a, b) if text[k].isalnum()]
            missed += not all(any(s.start <= k < s.end for s in spans) for k in keys)
        overs += sum(any(s.start < b and a < s.end for s in spans) for a, b in negs)
    return total, missed, overs
