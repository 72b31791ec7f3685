"""Seconds of the classification-metric bootstrap intervals, one call per resample against the batch path.

    python benchmarks/bootstrap_speed.py [--sizes 500 5000 50000] [--resamples 1000]

``metric_intervals`` runs ``bootstrap_ci`` on ``_FastMetrics`` (stratified resamples, the
unstratified second set for the class-mix values, and the BCa jackknife). "loop" hides the
statistic's ``batch`` method, so every resample is one ``values`` call as before the batch path;
"batch" is what meddx runs now. Both draw the same resamples; the last column is the largest
absolute difference between any estimate or interval bound of the two (binary and 5-class).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402


def _data(k: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    z = rng.normal(size=(n, k)) + 1.0 * np.eye(k)[y]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return y, np.round(p / p.sum(axis=1, keepdims=True), 3)  # rounded: ties in the scores, as real models give


def _max_diff(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> float:
    worst = 0.0
    for name, entry in a.items():
        for x, y in zip([entry["estimate"], *entry["percentile"], *entry["bca"]],
                        [b[name]["estimate"], *b[name]["percentile"], *b[name]["bca"]]):
            if (x is None) != (y is None):
                return float("inf")
            if x is not None:
                worst = max(worst, abs(x - y))
    return worst


def _timed(run: Any, repeat: int) -> tuple[float, Any]:
    """Best wall seconds of ``repeat`` runs, and the last result."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    from meddx.evaluation.bootstrap import bootstrap_ci
    from meddx.evaluation.intervals import _FastMetrics, _mix_dependent
    from meddx.evaluation.metrics import _resolve_threshold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 50000])
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    y, p = _data(2, 50)  # warm-up: imports and first-call costs stay out of the table
    bootstrap_ci(_FastMetrics(y, p, "binary", _resolve_threshold(None, "binary", 2)[1]), 50, strata=y, n_resamples=10)
    rows = []
    for n in args.sizes:
        for k, task in ((2, "binary"), (5, "multiclass")):
            y, p = _data(k, n)
            _, cut, _ = _resolve_threshold(None, task, k)
            fast = _FastMetrics(y, p, task, cut)
            kwargs = dict(strata=y, n_resamples=args.resamples, seed=0, unstratified=_mix_dependent(k))
            repeat = 3 if n <= 5000 else 1  # best of 3 where a run is short (the cores are shared)
            loop_s, looped = _timed(lambda f=fast, m=n, kw=kwargs: bootstrap_ci(lambda idx: f(idx), m, **kw), repeat)
            batch_s, batched = _timed(lambda f=fast, m=n, kw=kwargs: bootstrap_ci(f, m, **kw), repeat)
            rows.append([n, f"{task} (K={k})", f"{loop_s:.2f}", f"{batch_s:.2f}", f"{loop_s / batch_s:.1f}x",
                         f"{_max_diff(batched, looped):.1e}"])
    print_table(f"bootstrap_ci on _FastMetrics, {args.resamples} resamples (+ unstratified set + jackknife)",
                ["n", "task", "loop s", "batch s", "speed-up", "max |diff|"], rows)


if __name__ == "__main__":
    main()
