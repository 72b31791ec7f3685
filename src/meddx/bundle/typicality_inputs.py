"""Is an image's intensity like the training images'? The input-level half of the typicality check.

The feature check (``bundle.typicality``) misses inputs whose features happen to fall among the
training images': a flat image (a blank frame, an all-black export, a DICOM shown through the
wrong window) at an intensity near the training mean passed it more often than not (44% of
constant images flagged on PneumoniaMNIST, docs/typicality.md). Such faults are plain in three
per-image statistics of the preprocessed input (the tensor the network reads):

- ``log_std``: log of the intensities' standard deviation (contrast; a constant image has none);
- ``mean``: the mean intensity (brightness; an all-black or all-white export);
- ``log_extreme``: log of the share of voxels at the image's own darkest or brightest value
  (clipping; most of a wrongly windowed image sits at one end);
- ``layout`` (bundles fitted since it): the correlation of the image's 8x8 thumbnail with the
  training images' mean thumbnail (``bundle.typicality_layout``: an inverted radiograph keeps
  the other three statistics; scored on its lower tail only, as a closer likeness is no fault).

Each statistic is compared with its distribution on the **training** images by Tukey's fences
(Tukey 1977, the rule of box plots): an input's score is how many interquartile ranges it lies
below the first or above the third quartile, both tails, the largest over the three statistics.
The threshold is a high quantile (``QUANTILE``, 99.9%) of the **validation** images' scores.
An input is atypical when this score or the feature distance exceeds its threshold. The
quantile is stricter than the feature check's 99.5% so that the two together flag at most about
0.6% of in-domain inputs, not 1%: the faults aimed at lie far out (a constant image scores 43 on
PneumoniaMNIST, against a threshold of 6.6; docs/typicality.md).

Hand-written rather than an estimator: quartiles are two numbers per statistic that
``typicality.json`` stores as plain JSON (no pickles), and the statistics cost one pass over a
tensor predict already holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from meddx.bundle import typicality_layout as layout

STATISTICS = ("log_std", "mean", "log_extreme")  # those of every intensity check; "layout" since it
WITH_LAYOUT = (*STATISTICS, layout.NAME)
APPENDED = len(STATISTICS) + layout.CELLS  # columns input_statistics appends: the statistics, the thumbnail
WORDS = {"log_std": "contrast (intensity standard deviation)", "mean": "brightness (mean intensity)",
         "log_extreme": "share of pixels at its darkest or brightest value", layout.NAME: layout.WORDS}
QUANTILE = 0.999
EPS = 1e-6  # below any real image's standard deviation in z-scored units; log(0) is no number
# Smallest interquartile range a statistic is scored by. A statistic nearly constant on train (every
# AdrenalMNIST3D volume is a 0/255 mask: share at the extremes exactly 1, IQR 0) divided by EPS made
# any rounding a fence multiple of thousands: the same test volumes given at 64^3 to a 28^3 bundle
# were 100% flagged, one voxel of 1/255 in a 28^3 mask 100%; with 0.05 (5% in the log statistics,
# 0.05 training SDs of brightness) 1.7%, as at 28^3 (1.3%), and blank or full volumes still score 70+.
SPREAD_FLOOR = 0.05
# Checks with layout score each statistic in units of its own training tail: its fence multiple divided
# by the QUANTILE (99.9%) quantile of the training images' (``scale``, at least 1). Their largest fence
# multiple let the heaviest-tailed statistic set the threshold for all: share at the extremes is discrete
# (2, 3, ... of 784 pixels), so a threshold of 6.6 IQRs set by it left 4 in 5 brain MRI inside layout's
# (median 3.4 IQRs below its first quartile). The threshold on the scaled score is at least 1 (THRESHOLD_FLOOR):
# no input is flagged on a statistic where 0.1% of the training images lie further out. Without that floor
# a validation split of 98 volumes (AdrenalMNIST3D) lying inside every tail set a threshold of 0.55 and the
# test volumes given at 64^3 were 57% flagged; measured alternatives in docs/typicality.md.
SCALE_QUANTILE = QUANTILE
SCALE_FLOOR = 1.0  # a statistic whose training tail lies within one IQR (a constant one: masks) is not magnified
THRESHOLD_FLOOR = 1.0
TOLERANCE = 1e-3  # of the image's range: a voxel this close to its minimum or maximum counts as at it
METHOD = ("Tukey fences on per-image intensity statistics (log standard deviation, mean, log share of voxels at "
          "the image's extremes) of the preprocessed input, quartiles fitted on train; threshold: a quantile of "
          "the validation scores")
METHOD_LAYOUT = ("Tukey fences on per-image intensity statistics (log standard deviation, mean, log share of voxels at "
                 "the image's extremes; both tails) and on the correlation of the image's 64-cell thumbnail with the "
                 "training images' mean thumbnail (lower tail) of the preprocessed input, quartiles and mean fitted "
                 "on train; each statistic's fence multiple divided by its 99.9% quantile on train (scale), the "
                 "largest is the score; threshold: a quantile of the validation scores, at least 1")


def input_statistics(x: Any) -> Any:
    """``(N, APPENDED)`` float64 tensor for a batch of preprocessed inputs ``x`` ``(N, C, *spatial)``
    (a torch tensor): :data:`STATISTICS` over all channels and voxels of each input, then its
    64-cell thumbnail (``typicality_layout.thumbnails``), which a check with a layout correlates."""
    import torch

    flat = x.detach().reshape(len(x), -1).double()
    std = flat.std(dim=1, unbiased=False)
    low, high = flat.min(dim=1).values, flat.max(dim=1).values
    tol = (TOLERANCE * (high - low))[:, None]
    extreme = ((flat <= low[:, None] + tol) | (flat >= high[:, None] - tol)).double().mean(dim=1)
    stats = torch.stack([torch.log(std + EPS), flat.mean(dim=1), torch.log(extreme)], dim=1).cpu()
    return torch.cat([stats, layout.thumbnails(x)], dim=1)


@dataclass
class InputCheck:
    """Quartiles of each statistic on train and the threshold on the largest fence multiple."""

    q1: np.ndarray  # (3,), or (4,) with the layout statistic
    q3: np.ndarray  # (3,), or (4,)
    threshold: float
    quantile: float
    spread_floor: float = SPREAD_FLOOR  # EPS in files written before the floor (their threshold was set so)
    layout_mean: np.ndarray | None = None  # (64,) the training images' mean thumbnail; None: a check made before it
    scale: np.ndarray | None = None  # per statistic, its training tail (SCALE_QUANTILE); None: 1, checks before layout

    @property
    def statistics(self) -> tuple[str, ...]:
        """The statistics this check scores, in the order of ``q1``, ``q3``."""
        return STATISTICS if self.layout_mean is None else WITH_LAYOUT

    def values(self, stats: np.ndarray) -> np.ndarray:
        """``(N, 3 or 4)``: the statistics scored, from ``input_statistics`` rows (``(N, APPENDED)``;
        ``(N, 3)`` will do for a check without layout), the layout correlation computed here."""
        s = np.asarray(stats, dtype=np.float64)
        s = s.reshape(-1, s.shape[-1] if s.ndim > 1 else len(STATISTICS))
        if self.layout_mean is None:
            return s[:, :len(STATISTICS)]
        if s.shape[1] != APPENDED:
            raise ValueError(f"a check with layout needs {APPENDED} columns per input (input_statistics), got {s.shape[1]}")
        r = layout.correlation(s[:, len(STATISTICS):], self.layout_mean)
        return np.concatenate([s[:, :len(STATISTICS)], r[:, None]], axis=1)

    def fences(self, stats: np.ndarray) -> np.ndarray:
        """``(N, 3 or 4)``: how many interquartile ranges each statistic lies outside the training
        images' middle half (0 inside). The layout correlation is scored below its first quartile
        only: an image more like the training images' mean than they are is no fault."""
        s = self.values(stats)
        spread = np.maximum(self.q3 - self.q1, self.spread_floor)  # a statistic (near) constant on train
        above = (s - self.q3) / spread
        if self.layout_mean is not None:
            above[:, len(STATISTICS)] = 0.0
        return np.maximum(np.maximum((self.q1 - s) / spread, above), 0.0)

    def scores(self, stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per input: its score, the largest fence multiple (each divided by its statistic's
        ``scale``, when the check has one), and the index of the statistic that gave it."""
        return self._scored(self.fences(stats))

    def _scored(self, fences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scaled = fences / (1.0 if self.scale is None else self.scale)
        return scaled.max(axis=1), scaled.argmax(axis=1)

    def judge(self, stats: np.ndarray) -> list[dict[str, Any]]:
        """Per input: ``{"score", "threshold", "quantile", "statistic"}`` and whether it is typical:
        the score in interquartile ranges of the statistic furthest out, the threshold that
        statistic has (the check's, times its ``scale``, which a check with one adds)."""
        fences = self.fences(stats)  # once: the layout correlation is computed in it
        score, which = self._scored(fences)
        rows = []
        for i, (v, k) in enumerate(zip(score, which)):
            unit = 1.0 if self.scale is None else float(self.scale[k])
            row = {"typical": bool(v <= self.threshold), "score": round(float(fences[i, k]), 4),
                   "threshold": round(self.threshold * unit, 4), "quantile": self.quantile,
                   "statistic": self.statistics[int(k)]}
            rows.append(row if self.scale is None else {**row, "scale": round(unit, 4)})
        return rows

    def to_json(self) -> dict[str, Any]:
        """The ``inputs`` entry of ``typicality.json`` (digest-checked with the rest of it)."""
        data = {"statistics": list(self.statistics), "q1": [float(v) for v in self.q1],
                "q3": [float(v) for v in self.q3], "threshold": float(self.threshold), "quantile": float(self.quantile),
                "spread_floor": float(self.spread_floor)}
        if self.layout_mean is not None:
            data["layout_mean"] = [float(v) for v in self.layout_mean]
        if self.scale is not None:
            data["scale"] = [float(v) for v in self.scale]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InputCheck:
        """Inverse of :meth:`to_json`; a ``ValueError`` for another set of statistics or a bad number."""
        names = list(data.get("statistics") or [])
        if names not in (list(STATISTICS), list(WITH_LAYOUT)):
            raise ValueError(f"input statistics {names!r}, expected {list(STATISTICS)!r} or {list(WITH_LAYOUT)!r}")
        mean = layout.mean_from_json(data["layout_mean"]) if len(names) == len(WITH_LAYOUT) else None
        q1, q3 = np.asarray(data["q1"], dtype=np.float64), np.asarray(data["q3"], dtype=np.float64)
        threshold, quantile = float(data["threshold"]), float(data["quantile"])
        if q1.shape != (len(names),) or q3.shape != q1.shape or not np.all(np.isfinite(np.r_[q1, q3])):
            raise ValueError(f"input quartiles q1 {data['q1']!r}, q3 {data['q3']!r}: expected {len(names)} finite "
                             "numbers each")
        if not (np.isfinite(threshold) and threshold >= 0 and 0 < quantile <= 1):
            raise ValueError(f"input threshold {threshold!r} / quantile {quantile!r}: expected a finite number >= 0 "
                             "and a quantile in (0, 1]")
        floor = float(data.get("spread_floor", EPS))  # none recorded: the file was fitted with EPS
        if not (np.isfinite(floor) and floor > 0):
            raise ValueError(f"input spread_floor {floor!r}: expected a finite number > 0")
        scale = None if data.get("scale") is None else np.asarray(data["scale"], dtype=np.float64)
        if scale is not None and (scale.shape != q1.shape or not np.all(np.isfinite(scale) & (scale > 0))):
            raise ValueError(f"input scale {data['scale']!r}: expected {len(names)} finite numbers > 0")
        if (mean is None) != (scale is None) or (scale is not None and threshold < THRESHOLD_FLOOR):
            # fit_inputs writes a scale exactly with layout, and a scaled threshold of at least 1: a layout
            # check read without its scale compared raw fence multiples with ~1 and flagged most images
            raise ValueError(f"input statistics {names!r} with scale {data.get('scale')!r} and threshold "
                             f"{threshold!r}: expected a scale exactly with layout, and then a threshold >= "
                             f"{THRESHOLD_FLOOR:g}")
        return cls(q1, q3, threshold, quantile, floor, mean, scale)


def fit_inputs(train_stats: np.ndarray, val_stats: np.ndarray,
               quantile: float = QUANTILE) -> tuple[InputCheck, dict[str, Any]]:
    """Quartiles of each statistic on ``train_stats``, threshold at ``quantile`` of the scores of
    ``val_stats``; returns the check and its ``config.json`` summary (``typicality.inputs``).
    Rows of ``input_statistics`` (``APPENDED`` columns) also fit the layout statistic (the training
    thumbnails' mean, then their correlations' quartiles); rows of the 3 statistics alone do not."""
    train = np.asarray(train_stats, dtype=np.float64)
    train = train.reshape(-1, train.shape[-1] if train.ndim > 1 else len(STATISTICS))
    mean = layout.fit_mean(train[:, len(STATISTICS):]) if train.shape[1] == APPENDED else None
    check = InputCheck(np.zeros(0), np.zeros(0), threshold=0.0, quantile=quantile, layout_mean=mean)
    values = check.values(train)
    check.q1, check.q3 = np.percentile(values, 25, axis=0), np.percentile(values, 75, axis=0)
    if mean is not None:  # with layout: each statistic in units of its training tail (SCALE_QUANTILE)
        check.scale = np.maximum(np.quantile(check.fences(train), SCALE_QUANTILE, axis=0), SCALE_FLOOR)
    val, _ = check.scores(val_stats)
    check.threshold = float(np.quantile(val, quantile)) if len(val) else float("inf")
    if check.scale is not None:  # scaled: never below the training images' own tails (THRESHOLD_FLOOR)
        check.threshold = max(check.threshold, THRESHOLD_FLOOR)
    summary = {"method": METHOD if mean is None else METHOD_LAYOUT, "statistics": list(check.statistics),
               "quantile": quantile, **({} if check.scale is None else {"scale": [round(float(v), 4) for v in check.scale]}),
               "threshold": round(check.threshold, 6), "n_train": int(len(train)), "n_val": int(len(val)),
               "val_score": {"median": round(float(np.median(val)), 4), "max": round(float(val.max()), 4)}
               if len(val) else None}
    return check, summary


def flagged(record: dict[str, Any]) -> bool:
    """Whether a predict record (``Typicality.judge``) shows the intensity check exceeded."""
    return "intensity_score" in record and record["intensity_score"] > record["intensity_threshold"]


def warning_part(record: dict[str, Any]) -> str:
    """The words of a flagged input's record (``intensity_*`` keys) for its warning line."""
    name = record["intensity_statistic"]
    return (f"its {WORDS.get(name, name)} lies {record['intensity_score']:.3g} interquartile ranges outside the "
            f"training images', above {record['intensity_threshold']:.3g}, " + (
                # scaled: max(validation quantile, 1) times the statistic's training tail, both at the quantile
                f"its threshold from the {record['intensity_quantile']:.1%} quantiles of its training and validation "
                "images" if "intensity_scale" in record
                else f"the {record['intensity_quantile']:.1%} quantile of its validation images"))


def absent_reason(config: dict[str, Any]) -> str | None:
    """Why an image bundle records no typicality check, when its ``config.json`` tells: trained
    with differential privacy or federated (fitting on the training features would release
    statistics of private data), an ensemble, or too few validation images (the reason training
    recorded in ``training.plan_reasons.typicality``); ``None`` otherwise (made before the check,
    or no image classifier: text, tables and series have no such check)."""
    if (config.get("preprocessing") or {}).get("type") != "image" or config.get("task") == "segmentation":
        return None
    plan = ((config.get("training") or {}).get("plan") or {})
    if config.get("privacy") or (isinstance(plan, dict) and plan.get("dp_statistics")):
        return ("trained with differential privacy (--dp): a check fitted on the training images' features would "
                "release statistics of them that the privacy accountant does not cover, so none was fitted")
    if config.get("federated"):
        return ("trained federated: fitting a check on the sites' training features would send statistics of "
                "their private images to the coordinator, so none was fitted")
    k = (config.get("model") or {}).get("ensemble") or 1
    if isinstance(k, int) and k > 1:
        return f"an ensemble of {k} networks: no typicality check is fitted for ensembles"
    recorded = ((config.get("training") or {}).get("plan_reasons") or {}).get("typicality")
    return recorded if isinstance(recorded, str) and recorded else None
