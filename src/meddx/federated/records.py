"""Per-round records of a federated run: ``federated.json`` and ``federated.png`` in the run folder.

Flower hands the strategy each round's client metrics through its metric-aggregation hooks;
:class:`RoundLog` is those hooks. Each site reports its name and the round with its numbers, so
the log is keyed by site and round without relying on call order.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable


DP_KEYS = ("epsilon", "noise_multiplier", "sample_rate", "dp_steps")  # what a site's DP-SGD reports


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


class RoundLog:
    """Global (coordinator) and per-site metrics of every round, written after each change."""

    def __init__(self, path: Path | None = None, echo: Callable[[str], None] | None = None,
                 total_rounds: int | None = None) -> None:
        self.path, self.echo, self.total_rounds = path, echo, total_rounds
        self.rounds: dict[int, dict[str, Any]] = {}

    def _round(self, rnd: int) -> dict[str, Any]:
        return self.rounds.setdefault(int(rnd), {"round": int(rnd), "global_auc": None, "global_loss": None,
                                                 "sites": {}, "failures": []})

    def record_global(self, rnd: int, loss: float, auc: float | None) -> None:
        """The global model's loss and AUC on the coordinator's held-out data after ``rnd`` rounds."""
        entry = self._round(rnd)
        entry.update(global_loss=_num(loss), global_auc=_num(auc))
        self.write()
        if rnd == 0 and self.echo:
            self.echo(f"round 0 (initial model): global AUC {_fmt(entry['global_auc'])}")

    def record_failures(self, rnd: int, failures: list[str]) -> None:
        self._round(rnd)["failures"].extend(failures)
        self.write()

    def fit_metrics(self, results: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
        """Flower ``fit_metrics_aggregation_fn``: keep each site's training loss; return the
        sample-weighted mean loss."""
        for n, m in results:
            site = self._round(int(m.get("round", 0)))["sites"].setdefault(str(m.get("site")), {})
            site.update(n_train=int(n), train_loss=_num(m.get("train_loss")))
            for key in DP_KEYS:  # client DP: privacy spent so far at this site, and how to recompute it
                if key in m:
                    site[key] = _num(m.get(key))
        self.write()
        return {"train_loss": _weighted(results, "train_loss")}

    def evaluate_metrics(self, results: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
        """Flower ``evaluate_metrics_aggregation_fn``: keep each site's validation AUC and loss;
        return the sample-weighted mean AUC over sites where it is defined."""
        rnd = 0
        for n, m in results:
            rnd = int(m.get("round", 0))
            site = self._round(rnd)["sites"].setdefault(str(m.get("site")), {})
            site.update(n_val=int(n), val_auc=_num(m.get("auc")), val_loss=_num(m.get("loss")))
        mean = _weighted(results, "auc")
        if results:
            self._round(rnd)["mean_site_val_auc"] = mean
            self.write()
            self._echo_round(rnd)
        return {"auc": float("nan") if mean is None else mean}

    def to_dict(self) -> dict[str, Any]:
        return {"rounds": [self.rounds[r] for r in sorted(self.rounds)]}

    def series(self, key: str = "global_auc") -> list[tuple[int, float | None]]:
        """``(round, value)`` pairs of a per-round field, e.g. the global AUC."""
        return [(r, self.rounds[r].get(key)) for r in sorted(self.rounds)]

    def write(self) -> None:
        if self.path is not None:
            from meddx.core.files import write_json_atomic

            write_json_atomic(self.path, self.to_dict())

    def _echo_round(self, rnd: int) -> None:
        if not self.echo:
            return
        entry = self.rounds[rnd]
        sites = ", ".join(f"{k} {_fmt(v.get('val_auc'))}" for k, v in sorted(entry["sites"].items()))
        of = f"/{self.total_rounds}" if self.total_rounds else ""
        self.echo(f"round {rnd}{of}: global AUC {_fmt(entry['global_auc'])}; site val AUC {sites}")


def _weighted(results: list[tuple[int, dict[str, Any]]], key: str) -> float | None:
    pairs = [(n, _num(m.get(key))) for n, m in results]
    pairs = [(n, v) for n, v in pairs if v is not None and n > 0]
    total = sum(n for n, _ in pairs)
    return None if not total else sum(n * v for n, v in pairs) / total


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def plot_rounds(log: RoundLog, path: Path, title: str = "Federated training") -> Path:
    """AUC per round: the global model on held-out data (thick) and on each site's val (thin)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    rounds = sorted(log.rounds)
    names = sorted({s for r in rounds for s in log.rounds[r]["sites"]})
    for name in names:
        pts = [(r, log.rounds[r]["sites"].get(name, {}).get("val_auc")) for r in rounds]
        pts = [(r, v) for r, v in pts if v is not None]
        if pts:
            ax.plot(*zip(*pts), lw=0.9, ls="--", alpha=0.7, label=f"{name} (val)")
    glob = [(r, v) for r, v in log.series("global_auc") if v is not None]
    if glob:
        ax.plot(*zip(*glob), lw=2.4, color="black", marker="o", ms=3, label="global model (held-out)")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="round", ylabel="AUC", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
