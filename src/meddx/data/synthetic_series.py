"""Synthetic ICU stays with a known rule, for tests and examples.

:func:`make_threshold_series` draws irregularly sampled stays: every variable is observed at
its own random times (a stay may never observe some variables), values are noisy around a
normal level, and the label follows one rule:

    a stay is positive (``died``) if and only if variable 0 (``lactate``) is observed above
    :data:`THRESHOLD` (4.0) at some time in the last 12 hours of the window
    (``t >= window_hours - 12``).

Negatives may have high lactate *earlier* in the stay (about a third of them do), so a model
that only checks "ever high" or "mean lactate" is not perfect; one that looks at *when* it was
high is. The other variables (and the static ``Age`` and ``Gender``) carry no signal. The
labels are recomputed from the generated records, so the rule holds exactly.
:func:`write_long_csv` writes a source in the long CSV format the series reader reads.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from meddx.core.files import write_text_atomic
from meddx.data.base import SplitData
from meddx.data.series import MORTALITY_LABELS, SeriesRecord, SeriesSource

THRESHOLD = 4.0
LATE_HOURS = 12.0
_NAMES = ["lactate", "hr", "sbp", "temp", "resp", "spo2", "glucose", "wbc"]
_LEVELS = {"lactate": (1.5, 0.5), "hr": (85.0, 12.0), "sbp": (120.0, 15.0), "temp": (37.0, 0.5),
           "resp": (18.0, 4.0), "spo2": (96.0, 2.0), "glucose": (120.0, 25.0), "wbc": (9.0, 3.0)}


def threshold_rule(record: SeriesRecord, window_hours: float = 48.0) -> int:
    """1 when variable 0 exceeds :data:`THRESHOLD` at a time ``>= window_hours - 12``."""
    late = (record.variables == 0) & (record.times >= window_hours - LATE_HOURS)
    return int(np.any(record.values[late] > THRESHOLD))


def make_threshold_series(n: int, seed: int = 0, n_variables: int = 4, window_hours: float = 48.0,
                          positive_rate: float = 0.3) -> SeriesSource:
    """``n`` synthetic stays split 60/20/20 into train/val/test (see the module docstring)."""
    if n < 5 or not 1 <= n_variables or not 0 < positive_rate < 1 or window_hours <= LATE_HOURS:
        raise ValueError("make_threshold_series: need n >= 5, n_variables >= 1, 0 < positive_rate < 1 and "
                         f"window_hours > {LATE_HOURS}")
    rng = np.random.default_rng(seed)
    names = [_NAMES[i] if i < len(_NAMES) else f"var{i}" for i in range(n_variables)]
    want = rng.random(n) < positive_rate
    records = [_stay(rng, f"stay{i:05d}", bool(want[i]), names, window_hours) for i in range(n)]
    labels = np.asarray([threshold_rule(r, window_hours) for r in records], dtype=np.int64)
    order = rng.permutation(n)
    cut1, cut2 = int(round(0.6 * n)), int(round(0.8 * n))
    splits = {}
    for name, idx in (("train", order[:cut1]), ("val", order[cut1:cut2]), ("test", order[cut2:])):
        idx = np.sort(idx)
        splits[name] = SplitData(ids=[records[i].id for i in idx], labels=labels[idx],
                                 patient_ids=[f"p{records[i].id[4:]}" for i in idx], records=[records[i] for i in idx])
    return SeriesSource(
        name="synthetic-threshold-series", origin=f"synthetic:threshold(n={n},seed={seed})", task="binary",
        label_names=list(MORTALITY_LABELS), spatial_dims=0, splits=splits,
        notes=[f"synthetic: positive iff {names[0]} > {THRESHOLD} in the last {LATE_HOURS:g} h"],
        variables=names, static_names=["Age", "Gender"], window_hours=float(window_hours),
        cleaning={}, options={"kind": "synthetic", "window_hours": float(window_hours)},
    )


def _stay(rng: np.random.Generator, sid: str, positive: bool, names: list[str], window: float) -> SeriesRecord:
    times, variables, values = [], [], []
    for v, name in enumerate(names):
        if v > 0 and rng.random() < 0.15:  # some stays never observe this variable
            continue
        count = int(rng.integers(3, 12)) if v == 0 else int(rng.integers(2, 20))
        t = np.round(rng.uniform(0, window, count), 2)
        mean, sd = _LEVELS.get(name, (0.0, 1.0))
        x = rng.normal(mean, sd, count)
        if v == 0:
            late = t >= window - LATE_HOURS
            x = np.clip(x, 0.3, THRESHOLD - 0.5)  # normal lactate never crosses by chance
            if positive:  # one clearly high value late in the stay
                t = np.append(t, round(rng.uniform(window - LATE_HOURS + 0.5, window), 2))
                x = np.append(x, rng.uniform(THRESHOLD + 0.5, THRESHOLD + 4.0))
            elif rng.random() < 0.35 and (~late).any():  # a negative with high lactate earlier only
                x[np.flatnonzero(~late)[0]] = rng.uniform(THRESHOLD + 0.5, THRESHOLD + 4.0)
        times.append(t)
        variables.append(np.full(len(t), v))
        values.append(x)
    t_all = np.concatenate(times)
    order = np.argsort(t_all, kind="stable")
    static = np.asarray([rng.integers(18, 90), rng.integers(0, 2)], dtype=np.float32)
    if rng.random() < 0.1:
        static[0] = np.nan
    return SeriesRecord(id=sid, times=t_all[order].astype(np.float32),
                        variables=np.concatenate(variables)[order].astype(np.int16),
                        values=np.round(np.concatenate(values)[order], 3).astype(np.float32), static=static)


def write_long_csv(source: SeriesSource, folder: str | Path) -> tuple[Path, Path]:
    """Write ``source`` as ``series.csv`` (``patient_id,time,variable,value``; static features as
    rows with an empty time) and ``labels.csv`` (``patient_id,label,split,subject_id``) in
    ``folder``; returns both paths. Times are hours since admission; labels use the class names."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    series, labels = io.StringIO(), io.StringIO()
    ws, wl = csv.writer(series, lineterminator="\n"), csv.writer(labels, lineterminator="\n")
    ws.writerow(["patient_id", "time", "variable", "value"])
    wl.writerow(["patient_id", "label", "split", "subject_id"])
    for split, data in source.splits.items():
        for i, rec in enumerate(data.records or []):
            for name, value in zip(source.static_names, rec.static):
                if np.isfinite(value):
                    ws.writerow([rec.id, "", name, str(np.float32(value))])
            for t, v, x in zip(rec.times, rec.variables, rec.values):
                ws.writerow([rec.id, str(np.float32(t)), source.variables[int(v)], str(np.float32(x))])
            patient = data.patient_ids[i] if data.patient_ids else rec.id
            wl.writerow([rec.id, source.label_names[int(data.labels[i])], split, patient])
    return (write_text_atomic(folder / "series.csv", series.getvalue()),
            write_text_atomic(folder / "labels.csv", labels.getvalue()))
