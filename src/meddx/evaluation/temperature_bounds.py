"""A warning when a bundle's fitted temperature sits on a bound of its fit.

Why: the temperature fit searches T in ``T_BOUNDS`` (0.05 to 20, :mod:`meddx.evaluation.temperature_targets`).
A T on a bound is no minimum of the validation likelihood: the fit ran out of room. At the upper bound the
probabilities are squeezed towards 0.5 (a folder bundle, 13 validation images, val AUC 1.0: T = 19.99999,
every prediction within 0.427-0.573 around a threshold of 0.5726, so decisions turned on the fourth
decimal); at the lower bound they are pushed to 0 and 1. Either way the ranking (AUC) is kept, but the
probabilities are not risks and decisions are fragile. The measured cause of the folder case: its ranking
was perfect but 6 of its 7 negatives had log-odds above 5.3, on the positive side of 0. A temperature
alone cannot move the boundary from 0 to 5.8, so the likelihood kept improving as T grew, against the
0/1 labels and against Platt's smoothed targets alike. Only more validation cases can say more.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from meddx.evaluation.temperature_targets import T_BOUNDS

RELATIVE = 1e-3  # a T within this fraction of a bound counts as on it


def at_bound(temperature: float) -> str | None:
    """``"upper"`` or ``"lower"`` when ``temperature`` lies within ``RELATIVE`` of that bound of the fit."""
    t = float(temperature)
    if abs(t - T_BOUNDS[1]) <= RELATIVE * T_BOUNDS[1]:
        return "upper"
    if abs(t - T_BOUNDS[0]) <= RELATIVE * T_BOUNDS[0]:
        return "lower"
    return None


_MEANS = {
    "upper": ("the validation likelihood kept improving as T grew, so the fit stopped at the bound, not at a minimum: "
              "probabilities are squeezed towards {centre}"),
    "lower": ("the validation likelihood kept improving as T shrank, so the fit stopped at the bound, not at a minimum: "
              "probabilities are pushed to 0 and 1"),
}


def temperature_bound_warnings(temperature: Any, task: str, label_names: Sequence[str], n_val: int | None,
                               split: str, probs: Any = None) -> list[str]:
    """One warning per temperature (one per label for a multi-label list) fitted at a bound of ``T_BOUNDS``,
    naming T, the validation size (``n_val``; ``None``: not known here) and what it means; with ``probs``
    (this split's calibrated probabilities) the range the affected probabilities span on ``split``."""
    if isinstance(temperature, bool) or temperature is None:
        return []
    temps = list(temperature) if isinstance(temperature, (list, tuple)) else [temperature]
    try:
        temps = [float(t) for t in temps]
    except (TypeError, ValueError):
        return []
    per_label = isinstance(temperature, (list, tuple))
    size = f"{n_val} validation cases" if n_val is not None else "the validation split"
    p = None if probs is None else np.asarray(probs, dtype=np.float64)
    found = []
    for j, t in enumerate(temps):
        bound = at_bound(t)
        if bound is None:
            continue
        name = (str(label_names[j]) if j < len(label_names) else str(j)) if per_label else None
        centre = f"1/{len(label_names)} (uniform)" if task == "multiclass" else "0.5"
        column = j if per_label else (1 if task == "binary" else None)
        spread = ""
        if p is not None and p.ndim == 2 and p.shape[0] and column is not None and column < p.shape[1]:
            spread = f" (on {split} they span {p[:, column].min():.3f}-{p[:, column].max():.3f})"
        who = f"label {name!r}: its temperature" if name is not None else "the temperature"
        found.append(f"{who} T = {t:.7g}, fitted on {size}, lies on the {bound} bound of the fit "
                     f"({T_BOUNDS[0]:g}-{T_BOUNDS[1]:g}): {_MEANS[bound].format(centre=centre)}{spread}; the ranking "
                     "(AUC) is kept, but these probabilities are not risks and decisions near the threshold are "
                     "fragile: validate on more cases before relying on them")
    return found
