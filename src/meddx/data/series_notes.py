"""What a series reader left out of a source, said in one line for ``meddx evaluate``.

``meddx predict`` notes the observations it did not read in the files it scores (outside the bundle's
window, outside a PhysioNet valid range, the ``-1`` marker): the risk is from the rest. ``evaluate``
read the same files through the source readers, which count the same observations per variable in
``source.cleaning`` (and note rows repeated exactly or clashing values), but said nothing: metrics
on 162 observations fewer than the files hold came without a word. :func:`not_read_note` gives the
counts, by reason and by variable (counts and names only, never values).
"""

from __future__ import annotations

from typing import Any

_REASONS = {"n_invalid_marker": "marked missing", "n_out_of_range": "outside the valid ranges",
            "n_before_window": "before 0 h", "n_after_window": "after the {window:g}-h window"}
_MARKER = {"physionet2012": "with the -1 missing marker", "mimic3": "without a number"}
_SHOWN = 6


def not_read_note(source: Any) -> str | None:
    """One note counting the observations ``source``'s reader dropped (``source.cleaning["variables"]``),
    by reason and by variable, most first; ``None`` when it dropped none (or counts nothing)."""
    table = (getattr(source, "cleaning", None) or {}).get("variables") or {}
    reasons = {k: sum(int(c.get(k, 0) or 0) for c in table.values()) for k in _REASONS}
    total = sum(reasons.values())
    if not total:
        return None
    kind = (getattr(source, "options", None) or {}).get("kind")
    window = float(getattr(source, "window_hours", 48.0))
    phrase = {**_REASONS, **({"n_invalid_marker": _MARKER[kind]} if kind in _MARKER else {})}
    parts = ", ".join(f"{n} {phrase[k].format(window=window)}" for k, n in reasons.items() if n)
    per = sorted(((sum(int(c.get(k, 0) or 0) for k in _REASONS), name) for name, c in table.items()),
                 key=lambda item: -item[0])
    per = [(n, name) for n, name in per if n]
    shown = ", ".join(f"{name} ({n})" for n, name in per[:_SHOWN])
    more = f" and {len(per) - _SHOWN} more variable(s)" if len(per) > _SHOWN else ""
    return (f"{total} observation(s) of {getattr(source, 'origin', None) or source.name} not read ({parts}; by "
            f"variable: {shown}{more}), as predict leaves them out; the metrics are from the rest")
