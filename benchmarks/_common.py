"""Shared helpers for the benchmark scripts: a timed training run and table printing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def train_and_time(data: str, name: str, budget: float, out_dir: Path, **config: Any) -> dict[str, Any]:
    """Train with meddx defaults (plus ``config``) under a time budget; return metrics and timing.

    The bundle goes to ``out_dir/name`` and is not added to the user's registry.
    """
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    cfg = TrainConfig(data=data, name=name, time_budget=budget, output=str(out_dir / name), add_to_registry=False, **config)
    wall, cpu = time.perf_counter(), time.process_time()
    result = fit(cfg, progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    trainer = json.loads((result.run_dir / "trainer.json").read_text())
    return {
        "name": name,
        "metrics": result.metrics,
        "wall_minutes": wall / 60,
        "cpu_minutes": cpu / 60,
        "epochs": trainer["epochs_run"],
        "plan": result.plan.model_dump(),
        "run_dir": str(result.run_dir),
    }


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    """A plain Markdown table (copies into notes and READMEs as it is)."""
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(_fmt(v) for v in row) + " |")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def mean_sd(summary: dict, metric: str) -> str:
    """``mean ± sd`` of a cross-validation summary's metric (``meddx cv``), or ``-``."""
    mean, sd = summary["mean"].get(metric), summary["sd"].get(metric)
    return "-" if mean is None else f"{mean:.3f} ± {sd:.3f}"


def ci_text(entry: dict | None, signed: bool = False) -> str:
    """``estimate (low to high)`` of a bootstrap entry (BCa when present), or ``-``."""
    if not entry:
        return "-"
    lo, hi = entry.get("bca") or entry.get("percentile") or (None, None)
    fmt = "{:+.3f}" if signed else "{:.3f}"
    est = fmt.format(entry["estimate"])
    return est if lo is None else f"{est} ({fmt.format(lo)} to {fmt.format(hi)})"

