"""Zeros in a table: read as missing where the user says so, and flagged where 0 looks like a code.

Several sources write a missing measurement as 0: Pima diabetes (glucose, blood pressure, skin
thickness, insulin, BMI), the UCI heart-disease Switzerland file (``chol`` is 0 in all 123 rows)
and VA file (``chol`` 0 in 49 rows, ``trestbps`` in one). Read as a real 0, a model learns that a
cholesterol of 0 means something. ``--zero-as-missing COLS`` reads them as missing
(:func:`zero_as_missing`); :func:`zero_code_warnings` names the columns that look like this when
the user did not, without refusing anything (some columns hold real zeros: pregnancies, ST
depression).

Which columns: hand-written rules, because no library we use has this check (pandas-profiling
style tools flag "many zeros", which every binary flag has). A numeric column is flagged when
it has 10+ filled cells, no negative value, at least one 0, and either

- every filled cell is 0: a constant, which teaches a model nothing and is how a site that never
  measured a variable writes it (Switzerland ``chol``); or
- its other values are a measurement far from 0: 5+ distinct positive values, the smallest of
  which lies at least 5 typical spacings above 0 (the median gap between its 10 smallest distinct
  values). A real 0 continues its column's scale (pregnancies 0, 1, 2, ...; ST depression 0,
  0.1, 0.2, ...); a missing-value 0 sits alone below it (glucose 0, then 44, 56, 57, ...).
  Flags and short codes (0/1, 0-3) have too few distinct values to judge and are never flagged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from meddx.core.errors import DataError
from meddx.data.tabular_read import find_column

MIN_FILLED = 10  # fewer filled cells: too little to tell a code from a value
MIN_DISTINCT = 5  # fewer distinct positive values: a flag or a short code, where 0 is a real level
GAP_SPACINGS = 5.0  # the smallest positive value at least this many typical spacings above 0
LOWEST = 10  # the typical spacing is taken among this many smallest distinct positive values


def zero_as_missing(path: Path, table: Any, numeric: list[str], columns: list[str] | None, notes: list[str]) -> None:
    """Read 0 as missing (NaN) in each of ``columns`` (``--zero-as-missing``), noting the count;
    a name that is not a numeric feature is an error naming the file."""
    for name in columns or []:
        found = find_column(numeric, name)
        if found is None:
            raise DataError(f"{path}: --zero-as-missing names {name!r}, which is not a numeric feature column; "
                            f"numeric features: {', '.join(numeric)}")
        zeros = table[found] == 0
        table.loc[zeros, found] = np.nan
        notes.append(f"{path.name}: {int(zeros.sum())} zero(s) in {found!r} read as missing")


def zero_code_warnings(path: Path, table: Any, numeric: list[str]) -> list[str]:
    """One warning per numeric column whose zeros look like a missing-value code (module docstring),
    naming the file, the column, the count and what reads them as missing: ``--zero-as-missing`` when
    training reads the file; when a bundle reads it (``meddx evaluate``, which reads a file with the
    bundle's options and has no such flag; before, it was advised there too) blanking those cells, or
    retraining with the option."""
    from meddx.data.base import train_required

    out = []
    for name in numeric:
        values = table[name].to_numpy(dtype=np.float64)
        found = suspected_zero_code(values[~np.isnan(values)])
        if found is None:
            continue
        fix = (f"if so pass --zero-as-missing {name} (config: zero_as_missing)" if train_required() else
               f"the bundle reads this file with its training options, so if so blank those cells (missing, "
               f"imputed as in training) or retrain with --zero-as-missing {name}")
        out.append(f"{path.name}: column {name!r}: {found}: 0 may code a missing value (a cholesterol or blood "
                   f"pressure cannot be 0); {fix}, if these are real zeros nothing is needed")
    return out


def suspected_zero_code(filled: np.ndarray) -> str | None:
    """What makes the zeros among ``filled`` (a column's non-missing values) look like a code,
    or ``None`` when they look like real values or the column is too small to tell."""
    zeros = int((filled == 0).sum())
    if len(filled) < MIN_FILLED or zeros == 0 or (filled < 0).any():
        return None
    if zeros == len(filled):
        return f"0 in all {zeros} filled cells (a constant, from which a model learns nothing)"
    positive = np.unique(filled[filled > 0])
    if len(positive) < MIN_DISTINCT:
        return None
    spacing = float(np.median(np.diff(positive[:LOWEST])))
    if positive[0] < GAP_SPACINGS * spacing:
        return None
    return (f"{zeros} of {len(filled)} filled cells are 0, far below its other values ({positive[0]:.4g} to "
            f"{positive[-1]:.4g}, median {float(np.median(filled[filled > 0])):.4g})")
