"""MedMNIST benchmark: meddx defaults against every baseline of the MedMNIST v2 table.

    python benchmarks/medmnist.py ../shared/data/medmnist/pneumoniamnist.npz \
        ../shared/data/medmnist/adrenalmnist3d.npz ../shared/data/medmnist/adrenalmnist3d_64.npz

Trains each file with default settings and a time budget (10 minutes each by default), picks
the epoch and the threshold on the validation split only, and prints test AUC/ACC next to the
published numbers. Run it on a quiet machine: other processes on the two cores slow training
several-fold (see ../shared/DEPENDENCIES.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, train_and_time  # noqa: E402

# Test AUC / ACC on the official splits, MedMNIST v2 (Yang et al., Scientific Data 2023),
# copied from ../shared/data/medmnist/SOURCE.md. 3D baselines are for 28^3 inputs.
BASELINES = {
    "pneumoniamnist": {
        "ResNet-18 (28)": (0.944, 0.854), "ResNet-18 (224)": (0.956, 0.864),
        "ResNet-50 (28)": (0.948, 0.854), "ResNet-50 (224)": (0.962, 0.884),
        "auto-sklearn": (0.942, 0.855), "AutoKeras": (0.947, 0.878), "Google AutoML Vision": (0.991, 0.946),
    },
    "adrenalmnist3d": {
        "ResNet-18 + 2.5D": (0.718, 0.772), "ResNet-18 + 3D": (0.827, 0.721), "ResNet-18 + ACS": (0.839, 0.754),
        "ResNet-50 + 2.5D": (0.732, 0.763), "ResNet-50 + 3D": (0.828, 0.745), "ResNet-50 + ACS": (0.828, 0.758),
        "auto-sklearn": (0.828, 0.802), "AutoKeras": (0.804, 0.705),
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", help="MedMNIST .npz files")
    parser.add_argument("--budget", type=float, default=10.0, help="training minutes per dataset")
    parser.add_argument("--model", default=None, help="override the default model")
    parser.add_argument("--augment", default=None, help="augmentation preset instead of the plan's (by input size)")
    parser.add_argument("--checkpoint", choices=("best", "final"), default=None,
                        help="epoch kept instead of the plan's (by input size)")
    parser.add_argument("--seed", type=int, default=None, help="training seed (default 0); repeat runs to see the spread")
    parser.add_argument("--json", type=Path, default=None, help="also write all results here")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="meddx-bench-") as tmp:
        for path in args.files:
            name = Path(path).stem
            extra = {k: v for k, v in {"model": args.model, "augment": args.augment, "checkpoint": args.checkpoint,
                                       "seed": args.seed}.items() if v is not None}
            results.append(train_and_time(path, name, args.budget, Path(tmp), **extra))
            results[-1]["variant"] = " ".join(f"{k}={v}" for k, v in extra.items() if k != "model")
            r = results[-1]
            print(f"{name}: test AUC {r['metrics']['test']['auc']:.3f} ACC {r['metrics']['test']['accuracy']:.3f} "
                  f"({r['epochs']} epochs, {r['wall_minutes']:.1f} min)", flush=True)

    for r in results:
        flag = r["name"].split("_")[0]
        test, val = r["metrics"]["test"], r["metrics"]["val"]
        label = " ".join(filter(None, ["meddx", r["plan"]["model"], str(r["plan"]["image_size"]), r["variant"]]))
        rows = [[f"**{label}**", test["auc"], test["accuracy"],
                 val["auc"], r["wall_minutes"], r["cpu_minutes"], r["epochs"]]]
        for method, (auc, acc) in BASELINES.get(flag, {}).items():
            rows.append([method, auc, acc, None, None, None, None])
        print_table(f"{r['name']} (test split; threshold and epoch chosen on val)",
                    ["method", "test AUC", "test ACC", "val AUC", "wall min", "CPU min", "epochs"], rows)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
