"""Irregular clinical time series -> fixed-size arrays for sequence models, fitted on train only.

:class:`SeriesPreprocessor` follows the estimator contract: ``fit(train_records)`` learns the
per-variable normalisation (mean and standard deviation of the observed values, winsorised at
the training 0.5th and 99.5th percentiles so one typing error does not set the scale), the static
features' mean and standard deviation (NaN ignored) and, for irregular steps, the sequence
length; ``transform(records)`` applies them unchanged to any split. Arrays (``N`` records, ``T``
steps, ``V`` variables, ``S`` static features), all float32:

- ``values`` ``(N,T,V)``: normalised, clipped to +-``clip`` standard deviations, 0 where unobserved;
- ``mask`` ``(N,T,V)``: 1 where the variable was observed at that step;
- ``delta`` ``(N,T,V)``: hours since the variable was last observed *before* this step (the
  GRU-D definition of Che et al. 2018: ``s_t - s_last``, where ``s_last`` is the time of the
  latest earlier step at which it was observed, or 0 = admission when there is none, so at the
  first step it is the time since admission), divided by ``window_hours`` (so 1.0 = a window);
- ``times`` ``(N,T)``: step time in hours divided by ``window_hours``;
- ``step_mask`` ``(N,T)``: 1 for real steps, 0 for padding;
- ``static`` ``(N,S)``: normalised static features, 0 where missing; ``static_mask`` ``(N,S)``.

Resampling: ``hourly`` gives ``T = ceil(window_hours)`` steps; step ``b`` holds the bin
``[b, b+1)`` hours (an observation at exactly the window's end goes to the last bin), its time is
``b`` (the bin start) and a variable observed several times in a bin keeps its *last* value;
``step_mask`` is all 1. ``irregular`` gives one step per distinct observation time, left-aligned
and zero-padded to ``max_steps``; a longer stay keeps its *last* ``max_steps`` steps (the most
recent, closest to the prediction time; ``delta`` still counts from the dropped earlier
observations); a stay without observations gets one empty step at time 0 so every row has a
real step. Two values of one variable at one time: the later row wins. Observations outside
``[0, window_hours]`` are ignored, and so are variables and static features that no training
record observed (the model has no trained weight for them).

:func:`aggregate_features` summarises the same records for classical models (first, last,
min, max, mean, count per variable, plus the raw static features).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from meddx.core.errors import ConfigError, DataError, NotFittedError

RESAMPLE = ("hourly", "irregular")
AGGREGATES = ("first", "last", "min", "max", "mean", "count")
_FORMAT = "meddx.series-preprocessor"
_CHUNK = 256  # records transformed at once: bounds memory to CHUNK x longest stay x V


class SeriesPreprocessor:
    """Normalise and lay out irregular series; see the module docstring for the arrays.

    ``max_steps`` fixes ``T`` for ``irregular`` (default: the 95th percentile of the training
    stays' distinct observation times, rounded up to a multiple of 8, at most 512); ``hourly``
    always has ``ceil(window_hours)`` steps. ``clip`` bounds normalised values (None: no bound).
    """

    def __init__(self, variables: list[str], static_names: list[str], window_hours: float = 48.0,
                 resample: str = "hourly", max_steps: int | None = None, clip: float | None = 10.0) -> None:
        if resample not in RESAMPLE:
            raise ConfigError(f"resample: expected one of {', '.join(RESAMPLE)}; got {resample!r}")
        if not float(window_hours) > 0:
            raise ConfigError(f"window_hours: expected a positive number of hours; got {window_hours}")
        if max_steps is not None and int(max_steps) < 1:
            raise ConfigError(f"max_steps: expected a positive integer; got {max_steps}")
        if not variables:
            raise ConfigError("variables: a series preprocessor needs at least one time-series variable")
        self.variables = list(variables)
        self.static_names = list(static_names)
        self.window_hours = float(window_hours)
        self.resample = resample
        self.max_steps = None if max_steps is None else int(max_steps)
        self.clip = None if clip is None else float(clip)

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, records: Sequence[Any]) -> "SeriesPreprocessor":
        """Learn normalisation and step count from the TRAINING records only; returns ``self``."""
        records = list(records)
        if not records:
            raise DataError("SeriesPreprocessor.fit: no training records")
        _, var, t, x, static = _flatten(records, len(self.variables), len(self.static_names))
        inside = (t >= 0) & (t <= self.window_hours)
        var, x = var[inside], x[inside]
        self.mean_ = np.zeros(len(self.variables))
        self.std_ = np.ones(len(self.variables))
        self.n_observed_ = np.bincount(var, minlength=len(self.variables)).astype(np.int64)
        order = np.argsort(var, kind="stable")
        bounds = np.searchsorted(var[order], np.arange(len(self.variables) + 1))
        for v in range(len(self.variables)):
            vals = x[order[bounds[v]:bounds[v + 1]]]
            if vals.size:
                self.mean_[v], self.std_[v] = robust_mean_std(vals)
        self.static_mean_, self.static_std_ = _static_stats(static)
        self.static_n_observed_ = np.isfinite(static).sum(axis=0).astype(np.int64)
        self.steps_ = self._fit_steps(records)
        self.n_train_ = len(records)
        return self

    def _fit_steps(self, records: list[Any]) -> int:
        if self.resample == "hourly":
            return int(math.ceil(self.window_hours))
        if self.max_steps is not None:
            return self.max_steps
        counts = [np.unique(r.times[(r.times >= 0) & (r.times <= self.window_hours)]).size for r in records]
        p95 = float(np.percentile(counts, 95))
        return int(min(512, max(8, math.ceil(p95 / 8) * 8)))

    def _check_fitted(self) -> None:
        if not hasattr(self, "mean_"):
            raise NotFittedError("SeriesPreprocessor is not fitted: call fit(train_records) first")

    # -- transforming ----------------------------------------------------------------------
    def transform(self, records: Sequence[Any]) -> dict[str, np.ndarray]:
        """The arrays of the module docstring for ``records``, with the fitted statistics."""
        self._check_fitted()
        records = list(records)
        n, t_steps, n_var, n_stat = len(records), self.steps_, len(self.variables), len(self.static_names)
        out = {"values": np.zeros((n, t_steps, n_var), np.float32), "mask": np.zeros((n, t_steps, n_var), np.float32),
               "delta": np.zeros((n, t_steps, n_var), np.float32), "times": np.zeros((n, t_steps), np.float32),
               "step_mask": np.zeros((n, t_steps), np.float32)}
        statics = []
        for start in range(0, n, _CHUNK):
            chunk = records[start:start + _CHUNK]
            part, static = self._transform_chunk(chunk)
            for key, arr in part.items():
                out[key][start:start + len(chunk)] = arr
            statics.append(static)
        static = np.concatenate(statics) if statics else np.zeros((0, n_stat))
        observed = np.isfinite(static) & self.trained_static()
        z = np.where(observed, (np.nan_to_num(static) - self.static_mean_) / self.static_std_, 0.0)
        out["static"] = self._clip(z).astype(np.float32)
        out["static_mask"] = observed.astype(np.float32)
        return out

    # -- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (parameters and fitted statistics); exact round trip through
        :meth:`from_dict` (floats are written as Python floats, which JSON keeps exactly)."""
        self._check_fitted()
        return {
            "format": _FORMAT, "version": 1, "variables": list(self.variables),
            "static_names": list(self.static_names), "window_hours": self.window_hours, "resample": self.resample,
            "max_steps": self.max_steps, "clip": self.clip, "steps": int(self.steps_), "n_train": int(self.n_train_),
            "mean": [float(v) for v in self.mean_], "std": [float(v) for v in self.std_],
            "n_observed": [int(v) for v in self.n_observed_],
            "static_n_observed": [int(v) for v in self.static_n_observed_],
            "static_mean": [float(v) for v in self.static_mean_], "static_std": [float(v) for v in self.static_std_],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SeriesPreprocessor":
        """The preprocessor :meth:`to_dict` described, fitted."""
        if not isinstance(d, dict) or d.get("format") != _FORMAT:
            raise DataError(f"not a series preprocessor description (expected format {_FORMAT!r})")
        try:
            obj = cls(d["variables"], d["static_names"], d["window_hours"], d["resample"], d.get("max_steps"),
                      d.get("clip"))
            obj.steps_ = int(d["steps"])
            obj.n_train_ = int(d.get("n_train", 0))
            obj.mean_, obj.std_ = np.asarray(d["mean"], np.float64), np.asarray(d["std"], np.float64)
            # absent (older descriptions): every variable counts as observed in train, as it did then
            obj.n_observed_ = np.asarray(d.get("n_observed", [1] * len(obj.variables)), np.int64)
            obj.static_n_observed_ = np.asarray(d.get("static_n_observed", [1] * len(obj.static_names)), np.int64)
            obj.static_mean_ = np.asarray(d["static_mean"], np.float64)
            obj.static_std_ = np.asarray(d["static_std"], np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"series preprocessor description is incomplete or invalid ({exc})") from None
        if obj.mean_.shape != (len(obj.variables),) or obj.static_mean_.shape != (len(obj.static_names),):
            raise DataError("series preprocessor description: statistics do not match the variable lists")
        return obj

    def trained_variables(self) -> np.ndarray:
        """Boolean ``(V,)``: variables observed in the training stays. Only these are read: a
        variable seen only in validation/test (or at predict time) would reach weights that never
        learnt from it (an MLP's or GRU's random initial weights), so it counts as unobserved."""
        self._check_fitted()
        return self.n_observed_ > 0

    def trained_static(self) -> np.ndarray:
        """Boolean ``(S,)``: static descriptors present in some training stay (see
        :meth:`trained_variables`)."""
        self._check_fitted()
        return self.static_n_observed_ > 0

    def _clip(self, z: np.ndarray) -> np.ndarray:
        return z if self.clip is None else np.clip(z, -self.clip, self.clip)

    def _transform_chunk(self, records: list[Any]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        n_var, steps = len(self.variables), self.steps_
        rec, var, t, x, static = _flatten(records, n_var, len(self.static_names))
        inside = (t >= 0) & (t <= self.window_hours) & self.trained_variables()[var]
        rec, var, t, x = rec[inside], var[inside], t[inside], x[inside]
        order = np.lexsort((t, rec))  # stable: equal times keep the record's row order
        rec, var, t, x = rec[order], var[order], t[order], x[order]
        n = len(records)
        if self.resample == "hourly":
            k = np.minimum(np.floor(t).astype(np.int64), steps - 1)
            n_steps = np.full(n, steps, dtype=np.int64)
            full_t = steps
            step_time = np.broadcast_to(np.arange(steps, dtype=np.float64), (n, steps)).copy()
        else:
            new = np.ones(len(t), dtype=bool)
            new[1:] = (rec[1:] != rec[:-1]) | (t[1:] != t[:-1])
            glob = np.cumsum(new) - 1
            starts = np.minimum(np.searchsorted(rec, np.arange(n)), max(len(glob) - 1, 0))
            first_step = glob[starts] if len(glob) else np.zeros(n, dtype=np.int64)  # each record's first step
            k = glob - first_step[rec]
            n_steps = np.maximum(np.bincount(rec[new], minlength=n), 1)  # an empty stay: one empty step
            full_t = int(max(n_steps.max(initial=1), 1))
            step_time = np.zeros((n, full_t))
            step_time[rec[new], k[new]] = t[new]
        values = np.zeros((n, full_t, n_var))
        mask = np.zeros((n, full_t, n_var))
        key = (rec * full_t + k) * n_var + var
        last = len(key) - 1 - np.unique(key[::-1], return_index=True)[1]  # later row wins
        z = self._clip((x[last] - self.mean_[var[last]]) / self.std_[var[last]])
        values.reshape(-1)[key[last]] = z
        mask.reshape(-1)[key[last]] = 1.0
        seen = np.maximum.accumulate(np.where(mask > 0, step_time[:, :, None], 0.0), axis=1)
        before = np.concatenate([np.zeros((n, 1, n_var)), seen[:, :-1]], axis=1)
        delta = step_time[:, :, None] - before
        arrays = {"values": values, "mask": mask, "delta": delta / self.window_hours,
                  "times": step_time / self.window_hours}
        return _last_steps(arrays, n_steps, steps), static


def _last_steps(arrays: dict[str, np.ndarray], n_steps: np.ndarray, steps: int) -> dict[str, np.ndarray]:
    """Each row's last ``steps`` real steps, left-aligned, zero-padded; plus ``step_mask``."""
    n, full_t = arrays["times"].shape
    begin = np.maximum(n_steps - steps, 0)
    idx = begin[:, None] + np.arange(steps)[None, :]
    real = idx < n_steps[:, None]
    idx = np.minimum(idx, full_t - 1)
    out = {}
    for name, arr in arrays.items():
        taken = np.take_along_axis(arr, idx if arr.ndim == 2 else idx[:, :, None], axis=1)
        out[name] = np.where(real if arr.ndim == 2 else real[:, :, None], taken, 0.0).astype(np.float32)
    out["step_mask"] = real.astype(np.float32)
    return out


def robust_mean_std(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of ``values`` winsorised at their 0.5th and 99.5th percentiles;
    a standard deviation that is 0 or not finite becomes 1 (a constant variable is only centred)."""
    lo, hi = np.percentile(values, [0.5, 99.5])
    clipped = np.clip(values.astype(np.float64), lo, hi)
    mean, std = float(clipped.mean()), float(clipped.std())
    return mean, (std if np.isfinite(std) and std > 1e-8 else 1.0)


def _static_stats(static: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and standard deviation ignoring NaN; 0 and 1 for a column never observed."""
    s = static.shape[1]
    mean, std = np.zeros(s), np.ones(s)
    for j in range(s):
        col = static[:, j][np.isfinite(static[:, j])]
        if col.size:
            mean[j] = float(col.mean())
            sd = float(col.std())
            std[j] = sd if sd > 1e-8 else 1.0
    return mean, std


def _flatten(records: Sequence[Any], n_var: int, n_stat: int | None) -> tuple[np.ndarray, ...]:
    """Concatenated ``rec`` index, variable, time, value (float64) and the ``(N, S)`` statics
    (``(N, 0)`` when ``n_stat`` is None); a variable index or static length that does not fit
    raises naming the record."""
    for r in records:
        if n_stat is not None and r.static.shape[0] != n_stat:
            raise DataError(f"record {r.id!r}: {r.static.shape[0]} static features; the preprocessor expects {n_stat}")
        if len(r.variables) and (int(r.variables.max()) >= n_var or int(r.variables.min()) < 0):
            raise DataError(f"record {r.id!r}: variable index {int(r.variables.max())} outside the {n_var} variables")
    sizes = np.asarray([len(r.times) for r in records], dtype=np.int64)
    rec = np.repeat(np.arange(len(records)), sizes)
    cat = (lambda name, dtype: np.concatenate([np.asarray(getattr(r, name), dtype) for r in records])
           if records else np.zeros(0, dtype))
    static = (np.stack([np.asarray(r.static, np.float64) for r in records]) if records and n_stat
              else np.zeros((len(records), n_stat or 0)))
    return rec, cat("variables", np.int64), cat("times", np.float64), cat("values", np.float64), static


def aggregate_feature_names(variables: Sequence[str], static_names: Sequence[str] = ()) -> list[str]:
    """Column names of :func:`aggregate_features`: ``"HR:first"``, ..., ``"static:Age"``."""
    return [f"{v}:{a}" for v in variables for a in AGGREGATES] + [f"static:{s}" for s in static_names]


def aggregate_features(records: Sequence[Any], n_variables: int, static: bool = True,
                       window_hours: float | None = None, variables_used: np.ndarray | None = None,
                       static_used: np.ndarray | None = None) -> np.ndarray:
    """``(N, 6 V [+ S])`` float64: per variable first, last, min, max, mean and count of its
    observations (first/last by time; NaN, and count 0, when never observed), then the raw static
    features (NaN where missing). Vectorised over all records (``bincount``, ``reduceat``).

    With ``window_hours``, observations outside ``[0, window_hours]`` are ignored, as
    :meth:`SeriesPreprocessor.transform` ignores them: a stay read with a longer window (another
    file) gets the same features as when read with the window the model was fitted on.
    ``variables_used`` / ``static_used`` (boolean masks, e.g. a fitted preprocessor's
    :meth:`SeriesPreprocessor.trained_variables`) make the other variables and descriptors read
    as never observed."""
    records = list(records)
    n, n_var = len(records), int(n_variables)
    n_stat = len(records[0].static) if records and static else 0
    rec, var, t, x, stat = _flatten(records, n_var, n_stat if static else None)
    if window_hours is not None:
        inside = (t >= 0) & (t <= float(window_hours))
        rec, var, t, x = rec[inside], var[inside], t[inside], x[inside]
    if variables_used is not None:
        used = np.asarray(variables_used, dtype=bool)[var]
        rec, var, t, x = rec[used], var[used], t[used], x[used]
    if static and static_used is not None:
        stat = np.where(np.asarray(static_used, dtype=bool)[None, :], stat, np.nan)
    key = rec * n_var + var
    order = np.lexsort((t, key))  # by stay and variable, then time (stable for equal times)
    key, x = key[order], x[order]
    count = np.bincount(key, minlength=n * n_var)
    total = np.bincount(key, weights=x, minlength=n * n_var)
    feats = np.full((n * n_var, len(AGGREGATES)), np.nan)
    seen = np.flatnonzero(count)
    if seen.size:
        start = np.concatenate([[0], np.cumsum(count)[:-1]])[seen]
        feats[seen, 0] = x[start]
        feats[seen, 1] = x[start + count[seen] - 1]
        feats[seen, 2] = np.minimum.reduceat(x, start)
        feats[seen, 3] = np.maximum.reduceat(x, start)
        feats[seen, 4] = total[seen] / count[seen]
    feats[:, 5] = count
    out = feats.reshape(n, n_var * len(AGGREGATES))
    return np.concatenate([out, stat], axis=1) if static else out

