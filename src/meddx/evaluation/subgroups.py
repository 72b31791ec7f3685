"""Performance per subgroup (sex, age band, site, device, ...), with confidence intervals and gaps.

A model that is good on average can fail a subgroup. The user gives an attributes CSV keyed by
sample id; every attribute column is a grouping. Each group gets the headline metrics with
bootstrap CIs (the shared ``metric_intervals``; with ``n_resamples=0`` the point estimates only,
with null bounds), a warning when it is too small for its CI to mean anything or holds one class
only (AUC undefined; the rates it does measure are still reported), and each attribute reports
its largest gap between adequately sized groups, with a p-value adjusted for the choice of that
gap among all pairs and metrics (``evaluation.subgroup_gap``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from meddx.core.errors import DataError
from meddx.evaluation.subgroup_gap import GAP_METRICS, gap_test, largest_gap  # noqa: F401  (re-exported)

ID_COLUMNS = ("id", "sample_id")
MIN_EVENTS = 10  # fewer positives (or negatives) than this: a CI of sensitivity/AUC spans most of [0, 1]
MIN_SAMPLES = 30
MAX_LEVELS_BEFORE_BANDING = 10
BANDED = "meddx_unbanded"  # DataFrame.attrs key: raw values of the columns cut into quartile bands
NO_BOOTSTRAP_WARNING = ("no bootstrap (n_resamples=0, --bootstrap 0): subgroup metrics are point estimates "
                        "without confidence intervals")


def read_attributes(path: str | Path, columns: Sequence[str] | None = None) -> Any:
    """The attributes CSV as a pandas DataFrame indexed by sample id (strings), attributes as columns
    (only ``columns`` when given: e.g. the ``site`` column of a data CSV that also holds features).

    Numeric columns with more than 10 distinct values (e.g. age in years) are cut into quartile
    bands, so every group has enough samples; the band edges show in the group names. These
    bands are the file's quartiles; the raw values travel in ``frame.attrs[BANDED]`` so that
    :func:`subgroup_metrics` cuts the bands at the quartiles of the evaluated split's samples.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: attributes file not found (expected a CSV with an 'id' column and one column "
                        "per attribute, e.g. id,sex,age_band,site)")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises several parser error types
        raise DataError(f"{path}: cannot read the attributes CSV: {exc}") from None
    id_col = next((c for c in frame.columns if c.strip().lower() in ID_COLUMNS), None)
    if id_col is None:
        raise DataError(f"{path}: no sample id column; expected one named {' or '.join(ID_COLUMNS)} "
                        f"(found columns: {', '.join(map(str, frame.columns))})")
    if len(frame.columns) < 2:
        raise DataError(f"{path}: no attribute columns besides {id_col!r}; add e.g. sex, age_band, site")
    duplicated = frame[id_col][frame[id_col].duplicated()].tolist()
    if duplicated:
        raise DataError(f"{path}: sample ids listed twice: {', '.join(duplicated[:5])}")
    frame = frame.set_index(id_col)
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise DataError(f"{path}: no column {', '.join(map(repr, missing))} to form subgroups from "
                            f"(found columns: {', '.join(map(str, frame.columns))})")
        frame = frame[list(dict.fromkeys(columns))].copy()
    raw = {}
    for column in frame.columns:
        values = frame[column]  # one object: ``frame[column]`` makes a new Series on every access
        banded = _band_if_numeric(values)
        if banded is not values:  # only the banded columns are re-cut per split (sex coded 0/1 stays 0/1)
            raw[column] = values.copy()
        frame[column] = banded
    frame.attrs[BANDED] = raw
    return frame


def attributes_file(attributes: str | Path | None, data: str) -> Path:
    """Where subgroup columns are read: ``attributes``, else the data file when it is a CSV."""
    if attributes is not None:
        return Path(attributes)
    if Path(data).suffix.lower() == ".csv" and Path(data).is_file():
        return Path(data)
    raise DataError(f"--subgroup: {data} is not a CSV file to read the column from; give the attributes "
                    "file with --attributes FILE.csv (an id column and one column per attribute)")


def _band_if_numeric(values: Any, force: bool = False) -> Any:
    """Quartile bands of a numeric column with more than 10 distinct values (``force``: of any
    numeric column); ``values`` itself otherwise. Empty cells stay empty."""
    import pandas as pd

    numeric = pd.to_numeric(values.replace("", np.nan), errors="coerce")
    present = values != ""
    if not numeric[present].notna().all() or (numeric.nunique() <= MAX_LEVELS_BEFORE_BANDING and not force):
        return values
    if numeric.nunique() < 2:  # one value (a small split): it is its own group
        return values
    bands = pd.qcut(numeric, 4, duplicates="drop")
    # edges at 6 significant digits: pandas' own names carry float noise ('(32.699000000000005, 54.4]');
    # kept as pandas writes them only where rounding would give two bands one name
    names = _integer_band_names(bands.cat.categories, numeric) or \
        [f"({band.left:.6g}, {band.right:.6g}]" for band in bands.cat.categories]
    if len(set(names)) == len(names):
        bands = bands.cat.rename_categories(names)
    return bands.astype(str).where(present, "")


def _integer_band_names(bands: Any, numeric: Any) -> list[str] | None:
    """'20-36' for a band of whole numbers (ages in years): the first and last whole number the
    interval (lo, hi] holds, so only the names change, not which rows fall in a band; pandas
    writes '(19.999, 36.0]' (its lowest edge is set 0.1% below the minimum). ``None`` when a
    value is not whole or a band holds no whole number (the interval names are kept)."""
    import math

    present = numeric.dropna()
    if not (present == present.round()).all():
        return None
    names = []
    for band in bands:
        first, last = math.floor(band.left) + 1, math.floor(band.right)
        if first > last:
            return None
        names.append(str(first) if first == last else f"{first}-{last}" if first >= 0 else f"{first} to {last}")
    return names


def subgroup_metrics(
    y_true: np.ndarray,
    probs: np.ndarray,
    task: str,
    *,
    ids: Sequence[str],
    attributes: Any,
    threshold: float | list[float] | None = None,
    label_names: list[str] | None = None,
    groups: np.ndarray | None = None,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    scores: np.ndarray | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Metrics with CIs per value of every attribute column, the largest gap, and warnings.

    Returns ``({attribute: {"groups": {value: {...}}, "largest_gap": {...} | None}}, warnings)``.
    Samples without a row in ``attributes`` are left out of every group (and a warning says how
    many); an empty attribute value forms the group ``(missing)``. ``n_resamples=0`` (``--bootstrap
    0``): no resampling at all; every interval has null bounds and a warning says so. ``scores``: what
    AUC ranks (``classification_metrics(scores=)``).
    """
    from meddx.evaluation.metrics import _label_names, _ranking_scores, _validate

    y, p = _validate(y_true, probs, task)
    r = _ranking_scores(scores, p, task)
    names = _label_names(label_names, p.shape[1])
    ids = [str(i) for i in ids]
    known = np.array([i in attributes.index for i in ids])
    warnings: list[str] = []
    if not known.any():
        raise DataError(
            f"no sample id of the evaluated split is in the attributes file (split ids look like "
            f"{', '.join(ids[:3])}; the file has {', '.join(map(str, attributes.index[:3]))})"
        )
    if not known.all():
        warnings.append(f"{int((~known).sum())} of {len(ids)} samples have no row in the attributes file "
                        "and are in no subgroup")
    if n_resamples == 0:
        warnings.append(NO_BOOTSTRAP_WARNING)
    rows = attributes.reindex([i for i, k in zip(ids, known) if k])
    for column, raw in (attributes.attrs.get(BANDED) or {}).items():  # quartiles of this split, not the file
        rows[column] = _band_if_numeric(raw.reindex(rows.index), force=True)
    index_of_known = np.flatnonzero(known)
    result: dict[str, Any] = {}
    for column in rows.columns:
        values = rows[column].replace("", "(missing)").to_numpy()
        per_group: dict[str, Any] = {}
        for value in sorted(set(values), key=str):
            idx = index_of_known[values == value]
            entry = _group_entry(y[idx], p[idx], task, threshold, names,
                                 None if groups is None else np.asarray(groups)[idx], n_resamples, level, seed, r[idx])
            if entry["warning"]:
                warnings.append(f"{column}={value}: {entry['warning']}")
            per_group[str(value)] = entry
        gap = largest_gap(per_group)
        if gap is not None:
            gap.update(_gap_p_values(y, p, task, values, index_of_known, per_group, gap, threshold, groups,
                                     n_resamples, seed, r))
        result[str(column)] = {"groups": per_group, "largest_gap": gap}
    return result, warnings


def _gap_p_values(y: np.ndarray, p: np.ndarray, task: str, values: np.ndarray, index_of_known: np.ndarray,
                  per_group: dict[str, Any], gap: dict[str, Any], threshold: Any, groups: np.ndarray | None,
                  n_permutations: int, seed: int, r: np.ndarray | None = None) -> dict[str, Any]:
    """The permutation p-values of the largest gap (``subgroup_gap.gap_test``) over the cases of the
    groups without a warning; null with a note under ``--bootstrap 0`` (no resampling at all)."""
    if n_permutations == 0:
        return {"p_value": None, "p_adjusted": None, "n_permutations": 0,
                "note": "no permutation test (n_resamples=0, --bootstrap 0): the gap has no p-value"}
    adequate = {v for v, e in per_group.items() if not e["warning"]}
    compared = np.array([str(v) in adequate for v in values])
    idx = index_of_known[compared]
    return gap_test(y[idx], p[idx], task, [str(v) for v in values[compared]], gap, threshold=threshold,
                    patients=None if groups is None else np.asarray(groups)[idx],
                    n_permutations=n_permutations, seed=seed, scores=None if r is None else r[idx])


def _group_entry(y: np.ndarray, p: np.ndarray, task: str, threshold: Any, names: list[str],
                 groups: np.ndarray | None, n_resamples: int, level: float, seed: int,
                 scores: np.ndarray | None = None) -> dict[str, Any]:
    from meddx.evaluation.intervals import metric_intervals

    n = len(y)
    counts = y.sum(axis=0) if task == "multilabel" else np.bincount(y, minlength=len(names))
    n_positive = int(counts[1]) if task == "binary" else None
    entry: dict[str, Any] = {"n": int(n), "n_positive": n_positive, "class_counts": dict(zip(names, map(int, counts))),
                             "warning": _one_class_warning(n, counts, task, names) or _size_warning(n, counts, task)}
    # One sample has no bootstrap distribution: its estimates (accuracy, the rate of its class) only.
    ci = metric_intervals(y, p, task, threshold=threshold, label_names=names, groups=groups,
                          n_resamples=n_resamples if n >= 2 else 0, level=level, seed=seed, scores=scores)
    entry.update(auc=ci["auc"], accuracy=ci["accuracy"], balanced_accuracy=ci["balanced_accuracy"])
    if task == "binary":
        positive = ci["per_class"][names[1]]
        entry.update(sensitivity=positive["sensitivity"], specificity=positive["specificity"])
    else:
        entry.update(sensitivity=None, specificity=None)
    return entry


def _one_class_warning(n: int, counts: np.ndarray, task: str, names: list[str]) -> str | None:
    """A binary or multi-class group whose cases are all of one class: its AUC is undefined, but
    the rate of that class is not (binary: sensitivity when all positive, specificity when all
    negative; accuracy always). ``None`` for groups with two classes or more, and multi-label."""
    present = np.flatnonzero(counts)
    if task == "multilabel" or len(present) != 1:
        return None
    only = names[int(present[0])]
    if task == "binary":
        defined = "specificity and accuracy" if present[0] == 0 else "sensitivity and accuracy"
    else:
        defined = f"accuracy (= the sensitivity for {only!r})"
    small = f"; n={n} is also too small for a meaningful CI" if n < MIN_SAMPLES else ""
    return f"one class only (AUC undefined): all {n} cases are {only!r}; reported: {defined}{small}"


def _size_warning(n: int, counts: np.ndarray, task: str) -> str | None:
    if task == "multilabel":
        smallest = int(min(counts.min(), (n - counts).min()))
    else:
        smallest = int(counts.min())
    if n < MIN_SAMPLES or smallest < MIN_EVENTS:
        what = "positives or negatives of a label" if task == "multilabel" else "samples of a class"
        return (f"too small for a meaningful CI: n={n}, fewest {what}: {smallest} "
                f"(want n >= {MIN_SAMPLES} and >= {MIN_EVENTS} per class)")
    return None
