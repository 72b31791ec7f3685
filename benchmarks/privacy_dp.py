"""Differential privacy on PneumoniaMNIST: non-private vs DP-SGD at epsilon 8, 3 and 1 (delta 1e-5),
test AUC with 95% CI and membership-inference attack AUC for each.

    python benchmarks/privacy_dp.py --out privacy_dp.png [--data ../shared/data/medmnist/pneumoniamnist.npz]

Protocol: the official splits (train 4,708, val 524, test 624; 28 px). Every run trains the seed CNN
with the same settings (AdamW lr 2e-3, batch 256, no augmentation, fixed epochs, no early stopping;
best epoch and threshold chosen on val, as meddx always does) through ``meddx.training.fit.fit``;
the DP runs add ``dp=True, epsilon=E`` (Opacus DP-SGD, RDP accountant, clipping norm 1.0, Poisson
sampling; the noise multiplier is chosen so that epsilon after the planned epochs stays <= E).
Each bundle gets the usual clinical evaluation (test AUC with a BCa bootstrap CI) and the
loss-threshold membership attack of ``meddx audit membership`` (members: training images,
non-members: the 524 val images, label-balanced, 524 per side, seed 0): attack AUC with CI, TPR at
FPR 0.1% / 1%, advantage. Val, not test, is the non-member set: MedMNIST's test split comes from
another distribution (62% pneumonia against 74% in train, other acquisition), so even a model that
memorised nothing shows a train/test loss gap; the attack against test is printed beside, to show
that artefact. (Val chose the best epoch and the threshold, which lowers its loss a little: the
attack against val slightly underestimates leakage.)

Prints a Markdown table and writes a two-panel PNG (test AUC and attack AUC against epsilon) to
``--out``. Wall time on 1-2 quiet cores: about 5-10 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "medmnist" / "pneumoniamnist.npz"


def run(data: str, name: str, out_dir: Path, args: argparse.Namespace, epsilon: float | None) -> dict[str, Any]:
    """Train one model (DP when ``epsilon`` is given), then audit it; return the numbers of one row."""
    from meddx.privacy.audit import membership_audit
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    dp = {"dp": True, "epsilon": epsilon, "delta": args.delta} if epsilon is not None else {}
    cfg = TrainConfig(data=data, name=name, model="seed-cnn", epochs=args.epochs, batch_size=args.batch_size,
                      lr=args.lr, augment="none", early_stopping_patience=args.epochs, seed=args.seed,
                      ci_resamples=args.bootstrap, verify=False, num_threads=args.threads,
                      output=str(out_dir / name), add_to_registry=False, **dp)
    start = time.perf_counter()
    result = fit(cfg, progress=False)
    minutes = (time.perf_counter() - start) / 60
    audit = membership_audit(result.bundle_path, train="train", holdout="val", seed=args.seed,
                             n_resamples=args.bootstrap)
    shifted = membership_audit(result.bundle_path, train="train", holdout="test", seed=args.seed,
                               n_resamples=args.bootstrap)
    test = result.metrics["test"]
    privacy = _privacy(result.bundle_path) or {}
    return {"name": name, "target": epsilon, "epsilon": privacy.get("epsilon"), "noise": privacy.get("noise_multiplier"),
            "auc": test["auc"], "auc_ci": test["ci"]["auc"]["bca"], "accuracy": test["accuracy"],
            "attack": audit["auc"]["estimate"], "attack_ci": audit["auc"]["ci"],
            "tpr_0.1%": audit["tpr_at_fpr"]["0.001"], "tpr_1%": audit["tpr_at_fpr"]["0.01"],
            "advantage": audit["advantage"], "minutes": minutes, "n_attack": audit["n_per_side"],
            "attack_test": shifted["auc"]["estimate"], "attack_test_ci": shifted["auc"]["ci"],
            "n_attack_test": shifted["n_per_side"]}


def _privacy(bundle: Path) -> dict[str, Any] | None:
    import json

    return json.loads((Path(bundle) / "config.json").read_text()).get("privacy")


def _ci(value: float, ci: list[float | None] | None) -> str:
    if not ci or None in ci:
        return f"{value:.3f}"
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def plot(rows: list[dict[str, Any]], path: Path, dataset: str) -> None:
    """Test AUC and attack AUC (95% CIs) against epsilon; the non-private model at the right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"ε = {r['target']:g}" if r["target"] is not None else "non-private" for r in rows]
    xs = list(range(len(rows)))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    series = ((axes[0], "auc", "test AUC", 0.0), (axes[1], "attack", "train vs val (same distribution)", -0.05),
              (axes[1], "attack_test", "train vs test (shifted)", 0.05))
    for ax, key, label, dx in series:
        values = [r[key] for r in rows]
        cis = [r[f"{key}_ci"] or [v, v] for r, v in zip(rows, values)]
        err = [[v - (c[0] if c[0] is not None else v) for v, c in zip(values, cis)],
               [(c[1] if c[1] is not None else v) - v for v, c in zip(values, cis)]]
        ax.errorbar([x + dx for x in xs], values, yerr=err, fmt="o-", capsize=4, label=label)
    for ax, title in ((axes[0], f"test AUC ({dataset})"), (axes[1], "membership-attack AUC (loss threshold)")):
        ax.set_xticks(xs, labels)
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[1].axhline(0.5, color="grey", linestyle="--", linewidth=1, label="chance")
    axes[1].legend()
    fig.suptitle("DP-SGD (Opacus, δ = 1e-5) vs non-private, seed CNN, 95% bootstrap CIs")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--out", required=True, help="PNG of test AUC and attack AUC against epsilon")
    parser.add_argument("--epsilons", default="8,3,1", help="comma-separated target epsilons")
    parser.add_argument("--delta", type=float, default=1e-5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    os.environ.setdefault("MEDDX_HOME", tempfile.mkdtemp(prefix="meddx-dp-bench-"))  # runs stay out of ~/.meddx
    out_dir = Path(tempfile.mkdtemp(prefix="meddx-dp-bundles-"))
    targets: list[float | None] = [None, *(float(e) for e in args.epsilons.split(","))]
    rows = [run(args.data, "nonprivate" if t is None else f"dp-eps{t:g}", out_dir, args, t) for t in targets]

    header = ["model", "epsilon spent", "noise multiplier", "test AUC [95% CI]", "test ACC",
              "attack AUC vs val [95% CI]", "TPR @ FPR 0.1%", "TPR @ FPR 1%", "advantage",
              "attack AUC vs test (shifted)", "wall min"]
    table = [[r["name"], r["epsilon"], r["noise"], _ci(r["auc"], r["auc_ci"]), r["accuracy"],
              _ci(r["attack"], r["attack_ci"]), r["tpr_0.1%"], r["tpr_1%"], r["advantage"],
              _ci(r["attack_test"], r["attack_test_ci"]), r["minutes"]] for r in rows]
    print_table(f"{Path(args.data).stem}, seed CNN, {args.epochs} epochs, batch {args.batch_size}, delta {args.delta:g}; "
                f"attack: {rows[0]['n_attack']} training vs {rows[0]['n_attack']} val images per side (label-balanced); "
                f"shifted: {rows[0]['n_attack_test']} vs test", header, table)
    plot(rows, Path(args.out), Path(args.data).stem)
    print(f"\nplot: {args.out}\nbundles: {out_dir}")


if __name__ == "__main__":
    main()
