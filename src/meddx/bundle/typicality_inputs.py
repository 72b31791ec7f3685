"""Is an image's intensity like the training images'? The input-level half of the typicality check.

The feature check (``bundle.typicality``) misses inputs whose features happen to fall among the
training images': a flat image (a blank frame, an all-black export, a DICOM shown through the
wrong window) at an intensity near the training mean passed it more often than not (44% of
constant images flagged on PneumoniaMNIST, docs/typicality.md). Such faults are plain in three
per-image statistics of the preprocessed input (the tensor the network reads):

- ``log_std``: log of the intensities' standard deviation (contrast; a constant image has none);
- ``mean``: the mean intensity (brightness; an all-black or all-white export);
- ``log_extreme``: log of the share of voxels at the image's own darkest or brightest value
  (clipping; most of a wrongly windowed image sits at one end).

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

STATISTICS = ("log_std", "mean", "log_extreme")
WORDS = {"log_std": "contrast (intensity standard deviation)", "mean": "brightness (mean intensity)",
         "log_extreme": "share of pixels at its darkest or brightest value"}
QUANTILE = 0.999
EPS = 1e-6  # below any real image's standard deviation in z-scored units; log(0) is no number
# Smallest interquartile range a statistic is scored by. A statistic nearly constant on train (every
# AdrenalMNIST3D volume is a 0/255 mask: share at the extremes exactly 1, IQR 0) divided by EPS made
# any rounding a fence multiple of thousands: the same test volumes given at 64^3 to a 28^3 bundle
# were 100% flagged, one voxel of 1/255 in a 28^3 mask 100%; with 0.05 (5% in the log statistics,
# 0.05 training SDs of brightness) 1.7%, as at 28^3 (1.3%), and blank or full volumes still score 70+.
SPREAD_FLOOR = 0.05
TOLERANCE = 1e-3  # of the image's range: a voxel this close to its minimum or maximum counts as at it
METHOD = ("Tukey fences on per-image intensity statistics (log standard deviation, mean, log share of voxels at "
          "the image's extremes) of the preprocessed input, quartiles fitted on train; threshold: a quantile of "
          "the validation scores")


def input_statistics(x: Any) -> Any:
    """``(N, 3)`` float64 tensor of :data:`STATISTICS` for a batch of preprocessed inputs ``x``
    ``(N, C, *spatial)`` (a torch tensor), over all channels and voxels of each input."""
    import torch

    flat = x.detach().reshape(len(x), -1).double()
    std = flat.std(dim=1, unbiased=False)
    low, high = flat.min(dim=1).values, flat.max(dim=1).values
    tol = (TOLERANCE * (high - low))[:, None]
    extreme = ((flat <= low[:, None] + tol) | (flat >= high[:, None] - tol)).double().mean(dim=1)
    return torch.stack([torch.log(std + EPS), flat.mean(dim=1), torch.log(extreme)], dim=1).cpu()


@dataclass
class InputCheck:
    """Quartiles of each statistic on train and the threshold on the largest fence multiple."""

    q1: np.ndarray  # (3,)
    q3: np.ndarray  # (3,)
    threshold: float
    quantile: float
    spread_floor: float = SPREAD_FLOOR  # EPS in files written before the floor (their threshold was set so)

    def scores(self, stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per input: its score (interquartile ranges outside the middle half, 0 inside) and the
        index of the statistic that gave it."""
        s = np.asarray(stats, dtype=np.float64).reshape(-1, len(STATISTICS))
        spread = np.maximum(self.q3 - self.q1, self.spread_floor)  # a statistic (near) constant on train
        fences = np.maximum(np.maximum((self.q1 - s) / spread, (s - self.q3) / spread), 0.0)
        return fences.max(axis=1), fences.argmax(axis=1)

    def judge(self, stats: np.ndarray) -> list[dict[str, Any]]:
        """Per input: ``{"score", "threshold", "quantile", "statistic"}`` and whether it is typical."""
        score, which = self.scores(stats)
        return [{"typical": bool(v <= self.threshold), "score": round(float(v), 4),
                 "threshold": round(self.threshold, 4), "quantile": self.quantile, "statistic": STATISTICS[int(k)]}
                for v, k in zip(score, which)]

    def to_json(self) -> dict[str, Any]:
        """The ``inputs`` entry of ``typicality.json`` (digest-checked with the rest of it)."""
        return {"statistics": list(STATISTICS), "q1": [float(v) for v in self.q1], "q3": [float(v) for v in self.q3],
                "threshold": float(self.threshold), "quantile": float(self.quantile),
                "spread_floor": float(self.spread_floor)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InputCheck:
        """Inverse of :meth:`to_json`; a ``ValueError`` for another set of statistics or a bad number."""
        if list(data.get("statistics") or []) != list(STATISTICS):
            raise ValueError(f"input statistics {data.get('statistics')!r}, expected {list(STATISTICS)!r}")
        q1, q3 = np.asarray(data["q1"], dtype=np.float64), np.asarray(data["q3"], dtype=np.float64)
        threshold, quantile = float(data["threshold"]), float(data["quantile"])
        if q1.shape != (len(STATISTICS),) or q3.shape != q1.shape or not np.all(np.isfinite(np.r_[q1, q3])):
            raise ValueError(f"input quartiles q1 {data['q1']!r}, q3 {data['q3']!r}: expected 3 finite numbers each")
        if not (np.isfinite(threshold) and threshold >= 0 and 0 < quantile <= 1):
            raise ValueError(f"input threshold {threshold!r} / quantile {quantile!r}: expected a finite number >= 0 "
                             "and a quantile in (0, 1]")
        floor = float(data.get("spread_floor", EPS))  # none recorded: the file was fitted with EPS
        if not (np.isfinite(floor) and floor > 0):
            raise ValueError(f"input spread_floor {floor!r}: expected a finite number > 0")
        return cls(q1, q3, threshold, quantile, floor)


def fit_inputs(train_stats: np.ndarray, val_stats: np.ndarray,
               quantile: float = QUANTILE) -> tuple[InputCheck, dict[str, Any]]:
    """Quartiles of each statistic on ``train_stats``, threshold at ``quantile`` of the scores of
    ``val_stats``; returns the check and its ``config.json`` summary (``typicality.inputs``)."""
    train = np.asarray(train_stats, dtype=np.float64).reshape(-1, len(STATISTICS))
    q1, q3 = np.percentile(train, 25, axis=0), np.percentile(train, 75, axis=0)
    check = InputCheck(q1, q3, threshold=0.0, quantile=quantile)
    val, _ = check.scores(val_stats)
    check.threshold = float(np.quantile(val, quantile)) if len(val) else float("inf")
    summary = {"method": METHOD, "statistics": list(STATISTICS), "quantile": quantile,
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
            f"training images', above {record['intensity_threshold']:.3g}, the {record['intensity_quantile']:.1%} "
            "quantile of its validation images")


def absent_reason(config: dict[str, Any]) -> str | None:
    """Why an image bundle records no typicality check, when its ``config.json`` tells: trained
    with differential privacy or federated (fitting on the training features would release
    statistics of private data), or an ensemble; ``None`` otherwise (made before the check, or
    no image classifier: text, tables and series have no such check)."""
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
    return None
