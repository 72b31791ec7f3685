"""Whether two verify reports (or a report and a carving record) were made with the same
near-copy settings, so that their counts may be compared.

A verify report records its ``settings`` (image: hash size, distance, correlation, whether
flipped/rotated copies were searched and the ``search_version``; text: Jaccard threshold,
shingle size, MinHash length, LSH threshold). Verify run again after a fix replaces the earlier
report of the same source; a reader then compares the two runs' counts. When the settings, or the
search itself (``search_version``: 2 added flipped/rotated copies), changed between the two, the
counts measure different things: say so instead of letting the difference pass for the fix's effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ABSENT = {"search_version": 1, "flips_rotations": False}
"""What a report written before a key existed did (a missing ``search_version`` is version 1)."""
_IGNORED = {"near_duplicates"}  # a skipped search is said by the report itself ("skipped")


def settings_difference(earlier: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> str | None:
    """The settings that differ between ``earlier`` and ``now`` (verify reports' ``settings``, or a
    carving's near-copy settings), as ``key earlier -> now`` joined by commas; None when none does.
    A key held by one side only counts when its absence has a known meaning (:data:`_ABSENT`)."""
    if not isinstance(earlier, Mapping) or not isinstance(now, Mapping):
        return None
    changed = []
    for key in dict.fromkeys([*earlier, *now]):
        if key in _IGNORED or (key not in _ABSENT and (key not in earlier or key not in now)):
            continue
        before, after = earlier.get(key, _ABSENT.get(key)), now.get(key, _ABSENT.get(key))
        if before != after:
            changed.append(f"{key} {before!r} -> {after!r}")
    return ", ".join(changed) or None


def earlier_report_note(path: str, earlier: Mapping[str, Any] | None, now: Mapping[str, Any]) -> str | None:
    """A note for replacing the verify report at ``path`` (``earlier``: its content) with one made
    with other settings; None when the settings agree or there was no earlier report."""
    if not isinstance(earlier, Mapping):
        return None
    difference = settings_difference(earlier.get("settings"), now.get("settings"))
    if difference is None:
        return None
    return (f"{path}: the earlier report there was made with other duplicate-search settings ({difference}); "
            "its counts are not comparable with this report's")
