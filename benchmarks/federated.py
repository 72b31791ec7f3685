"""Federated PneumoniaMNIST: FedAvg and FedProx over 5 label-skewed sites against centralised training.

    python benchmarks/federated.py --out federated.png [--data ../shared/data/medmnist/pneumoniamnist.npz]

Protocol: the official train (4,708) and val (524) splits are pooled and dealt to 5 simulated sites
with a Dirichlet(alpha = 0.5) label skew (seed 0, patients n/a); each site keeps 15% of its share as
its validation split. The official test split (624) is the coordinator's held-out global test, seen by
no site. Every run trains the seed CNN (28 px, fixed /255 scaling, no augmentation, AdamW lr 1e-3,
batch 64, no class weights) with the same local loop (``meddx.federated.local.train_local``):

- FedAvg and FedProx (mu 0.1): ``meddx.federated.simulation`` (in-process backend), R rounds x E local
  epochs per site, all 5 sites every round; AUC of the global model on the test split after each
  round. The final bundle is calibrated and thresholded on the union of the site-val splits and
  reports test AUC with a 95% bootstrap CI.
- Centralised: one model on the union of the 5 site-train splits (the same samples), R x E epochs
  in one run (one optimiser); test AUC after every E epochs, so its curve shares the round axis.

Prints a Markdown table of test AUC per round per strategy and the final AUCs, and writes the
curves to ``--out`` (PNG). Wall time on 2 quiet cores: a few minutes.
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

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "medmnist" / "pneumoniamnist.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--out", required=True, help="PNG of test AUC per round")
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--local-epochs", type=int, default=2)
    parser.add_argument("--mu", type=float, default=0.1)
    parser.add_argument("--bootstrap", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import tempfile

    import torch

    torch.set_num_threads(args.threads)
    from meddx.data.sources import load_source
    from meddx.federated.config import FederatedConfig

    source = load_source(args.data, carve_val=False)
    home = Path(tempfile.mkdtemp(prefix="meddx-fed-bench-"))
    base = dict(data=args.data, sites=args.sites, partition=f"dirichlet:{args.alpha}", rounds=args.rounds,
                local_epochs=args.local_epochs, seed=args.seed, ci_resamples=args.bootstrap, verify=False,
                add_to_registry=False, num_threads=args.threads, lr=1e-3, batch_size=64)
    runs: dict[str, dict[str, Any]] = {}
    for strategy in ("fedavg", "fedprox"):
        cfg = FederatedConfig(**base, strategy=strategy, mu=args.mu, name=f"bench-{strategy}",
                              output=str(home / strategy))
        runs[strategy] = federated_run(cfg, source)
    runs["centralised"] = centralised_run(FederatedConfig(**base), source)

    rounds = list(range(args.rounds + 1))
    header = ["round", "FedAvg", f"FedProx (mu {args.mu:g})", "centralised"]
    rows = [[r, *(runs[k]["curve"].get(r) for k in ("fedavg", "fedprox", "centralised"))] for r in rounds]
    title = (f"PneumoniaMNIST test AUC per round: {args.sites} sites, Dirichlet alpha {args.alpha:g}, "
             f"{args.local_epochs} local epoch(s) per round (centralised: {args.local_epochs} epochs per row)")
    print_table(title, header, rows)
    print_table(f"Final models (test split, n={len(source.split('test'))})", ["run", "test AUC (95% CI)", "wall min"],
                [[k, runs[k]["final"], runs[k]["minutes"]] for k in ("fedavg", "fedprox", "centralised")])
    print(f"\nsites (train/val samples, share of pneumonia in site-train): {runs['centralised']['sites']}")
    plot(runs, rounds, Path(args.out), title)
    print(f"plot: {args.out}")


def federated_run(cfg: Any, source: Any) -> dict[str, Any]:
    from meddx.federated.simulation import simulate

    start = time.perf_counter()
    result = simulate(cfg, source=source, echo=lambda line: print(f"[{cfg.strategy}] {line}", flush=True))
    test = result.metrics["test"]
    bca = ((test.get("ci") or {}).get("auc") or {}).get("bca") or [None, None]
    final = f"{test['auc']:.3f}" + (f" ({bca[0]:.3f}–{bca[1]:.3f})" if None not in bca else "")
    return {"curve": {r["round"]: r["global_auc"] for r in result.rounds}, "final": final,
            "minutes": (time.perf_counter() - start) / 60}


def centralised_run(cfg: Any, source: Any) -> dict[str, Any]:
    """The same seed CNN and loop on the union of the site-train splits, evaluated every E epochs."""
    import torch

    from meddx.federated.local import auc_of, evaluate_arrays, train_local
    from meddx.federated.partition import pooled_source, split_into_sites
    from meddx.federated.spec import build_task, preprocessor, spec_from_source
    from meddx.training.data import preprocess_split

    start = time.perf_counter()
    sites = split_into_sites(source, cfg.sites, cfg.partition, seed=cfg.seed, val_fraction=cfg.site_val_fraction,
                             min_size=cfg.min_site_samples)
    pooled = pooled_source(source, sites)
    spec = spec_from_source(cfg, source)
    spec.local_epochs = cfg.rounds * cfg.local_epochs
    pre = preprocessor(spec)
    x, y = preprocess_split(pooled, "train", pre, progress=False), np.asarray(pooled.split("train").labels)
    xt, yt = preprocess_split(pooled, "test", pre, progress=False), np.asarray(pooled.split("test").labels)
    torch.manual_seed(cfg.seed)
    task = build_task(spec)
    curve = {0: evaluate_arrays(task, xt, yt)[1]}

    def after_epoch(epoch: int) -> None:
        if (epoch + 1) % cfg.local_epochs == 0:
            curve[(epoch + 1) // cfg.local_epochs] = evaluate_arrays(task, xt, yt)[1]
            task.train()
            print(f"[centralised] epoch {epoch + 1}: test AUC {curve[(epoch + 1) // cfg.local_epochs]:.3f}", flush=True)

    train_local(task, x, y, spec, seed=cfg.seed, after_epoch=after_epoch)
    probs = _probs(task, xt)
    auc = auc_of(yt, probs, "binary")
    lo, hi = _bootstrap_auc(yt, probs[:, 1], seed=cfg.seed)
    shares = {s.name.rsplit("-", 2)[-2] + "-" + s.name.rsplit("-", 1)[-1]:
              f"{len(s.split('train'))}/{len(s.split('val'))}, {np.mean(s.split('train').labels):.0%}" for s in sites}
    return {"curve": curve, "final": f"{auc:.3f} ({lo:.3f}–{hi:.3f}, percentile)", "sites": shares,
            "minutes": (time.perf_counter() - start) / 60}


def _probs(task: Any, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return torch.softmax(task.net(torch.from_numpy(x)).float(), dim=-1).numpy()


def _bootstrap_auc(y: np.ndarray, p: np.ndarray, n: int = 1000, seed: int = 0) -> tuple[float, float]:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        if len(np.unique(y[idx])) == 2:
            values.append(roc_auc_score(y[idx], p[idx]))
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def plot(runs: dict[str, dict[str, Any]], rounds: list[int], out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(8, 4.6), dpi=120)
    styles = {"fedavg": ("FedAvg", "tab:blue", "-"), "fedprox": ("FedProx", "tab:orange", "-"),
              "centralised": ("centralised (pooled site-train)", "black", "--")}
    for key, (label, colour, ls) in styles.items():
        pts = [(r, runs[key]["curve"].get(r)) for r in rounds if runs[key]["curve"].get(r) is not None]
        ax.plot(*zip(*pts), color=colour, ls=ls, marker="o", ms=3, lw=1.8, label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="round (centralised: epochs / local epochs)", ylabel="test AUC (n=624)", ylim=(0.5, 1.0))
    import textwrap

    ax.set_title("\n".join(textwrap.wrap(title, 90)), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)


if __name__ == "__main__":
    main()
