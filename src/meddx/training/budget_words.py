"""How a note about a ``--time-budget`` writes minutes of training, and the budget it suggests.

Shared by the notes for a budget shorter than one epoch: documents (``text_plan.limit_batches``),
images and segmentation (``short_budget``), so they write a duration and round a suggestion alike.
"""

from __future__ import annotations

import math


def duration_words(minutes: float) -> str:
    """``minutes`` as a person reads it: seconds under a minute ("9.2 s", where ``.1f`` min said
    "0.2 min", and "0.0 min" for a 2 s epoch), else minutes ("25.3 min")."""
    return f"{minutes * 60:.2g} s" if minutes < 1 else f"{minutes:.1f} min"


def budget_for(minutes: float) -> float:
    """The ``--time-budget`` to suggest for ``minutes`` of training, rounded up so that it fits: to
    whole minutes from one minute, else to two significant digits (0.039 for a 2.3 s epoch, where whole
    minutes said 1: many epochs). Quotients are rounded to 9 decimals before rounding up, so that
    floating-point noise (0.29 / 0.01 = 28.999999999999996) does not move the suggestion."""
    if minutes >= 1:
        return float(math.ceil(round(minutes, 9)))
    step = 10.0 ** (math.floor(math.log10(minutes)) - 1)  # two significant digits
    return round(math.ceil(round(minutes / step, 9)) * step, 12)
