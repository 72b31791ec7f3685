"""Segmentation benchmarks: HC18 (2D, head circumference) and MSD hippocampus (3D).

    python benchmarks/segmentation.py --hc18 ../shared/data/hc18 --hippocampus ../shared/data/msd-hippocampus

Each dataset is split by subject (HC18: ``010_HC`` and ``010_2HC`` are one subject) or by
volume into train / val (10%) / test (20%) with seed 0; meddx plans and trains under the time
budget, chooses the epoch and post-processing on val, and reports test only. Printed: Dice,
HD95 (mm) with 95% BCa bootstrap intervals (resampling subjects), HC absolute difference in mm
(mean, median, 95th percentile) and hippocampal volume error in mL, with wall and CPU minutes.
Targets (issue 4): HC18 Dice >= .97 and mean |HC error| <= 2.5 mm; hippocampus mean Dice >= .88
within 20 CPU-minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, train_and_time  # noqa: E402

HIPPOCAMPUS_LABELS = ["background", "anterior", "posterior"]


def _ci(entry: dict[str, Any] | None) -> str:
    if not entry or entry.get("mean") is None:
        return "-"
    lo, hi = entry.get("ci") or (None, None)
    return f"{entry['mean']:.3f}" + (f" ({lo:.3f}–{hi:.3f})" if lo is not None else "")


def _err(err: dict[str, Any] | None) -> list[str]:
    if not err:
        return ["-", "-", "-"]
    bounds = ((err.get("ci") or {}).get("mean_abs") or {}).get("bca") or [None, None]
    mean = f"{err['mean_abs']:.2f}" + (f" ({bounds[0]:.2f}–{bounds[1]:.2f})" if bounds[0] is not None else "")
    return [mean, f"{err['median_abs']:.2f}", f"{err['p95_abs']:.2f}"]


def hc18(root: str, budget: float, out: Path, **extra: Any) -> dict[str, Any]:
    r = train_and_time(root, "hc18", budget, out, **extra)
    test = r["metrics"]["test"]
    hc = (test.get("measurement") or {}).get("head_circumference")
    print_table(
        f"HC18 fetal head (2D ultrasound), test split by subject; {_networks(r)}{r['epochs']} epochs",
        ["n", "Dice (95% CI)", "HD95 mm", "HC |error| mm mean (CI)", "median", "p95", "epochs", "wall min", "CPU min"],
        [[test["n"], _ci(test["classes"]["head"]["dice"]), _ci(test["classes"]["head"]["hd95"]), *_err(hc),
          r["epochs"], f"{r['wall_minutes']:.1f}", f"{r['cpu_minutes']:.1f}"]],
    )
    print("targets: Dice >= .97, mean |HC error| <= 2.5 mm (challenge best ~2 mm on its own test set)")
    return r


def hippocampus(root: str, budget: float, out: Path, **extra: Any) -> dict[str, Any]:
    r = train_and_time(root, "msd-hippocampus", budget, out, label_names=HIPPOCAMPUS_LABELS, **extra)
    test = r["metrics"]["test"]
    rows = []
    for name in HIPPOCAMPUS_LABELS[1:]:
        c = test["classes"][name]
        vol = (test.get("measurement") or {}).get(f"volume_{name}")
        rows.append([name, test["n"], _ci(c["dice"]), _ci(c["hd95"]), *_err(vol)[:2]])
    rows.append(["mean", test["n"], _ci(test["mean_foreground"]["dice"]), _ci(test["mean_foreground"]["hd95"]), "-", "-"])
    print_table(
        f"MSD hippocampus (3D MRI), test split by volume; {_networks(r)}{r['epochs']} epochs, "
        f"{r['wall_minutes']:.1f} wall min, {r['cpu_minutes']:.1f} CPU min",
        ["class", "n", "Dice (95% CI)", "HD95 mm", "volume |error| mL mean (CI)", "median"], rows,
    )
    print("target: mean Dice >= .88 within 20 CPU-minutes (nnU-Net ~.90 with far more compute)")
    return r


def _networks(r: dict[str, Any]) -> str:
    k = int(r["plan"].get("ensemble", 1))
    return f"mean of {k} networks x " if k > 1 else ""


def _ensemble(k: int) -> dict[str, Any]:
    """Training config for ``k`` networks (nothing for one: the default)."""
    return {"ensemble": k} if k > 1 else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hc18", default=None, help="the hc18 folder (training_set/, pixel size CSV)")
    parser.add_argument("--hippocampus", default=None, help="the msd-hippocampus folder (images/, labels/)")
    parser.add_argument("--budget-hc18", type=float, default=12.0, help="training minutes for HC18")
    parser.add_argument("--budget-hippocampus", type=float, default=12.0, help="training minutes for hippocampus")
    parser.add_argument("--ensemble-hc18", type=int, default=1,
                        help="networks trained for HC18, sharing its budget (meddx train --ensemble)")
    parser.add_argument("--ensemble-hippocampus", type=int, default=1,
                        help="networks trained for hippocampus, sharing its budget (meddx train --ensemble)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    if not (args.hc18 or args.hippocampus):
        parser.error("give --hc18 and/or --hippocampus")
    results = {}
    with tempfile.TemporaryDirectory(prefix="meddx-seg-bench-") as tmp:
        if args.hc18:
            results["hc18"] = hc18(args.hc18, args.budget_hc18, Path(tmp), **_ensemble(args.ensemble_hc18))
        if args.hippocampus:
            results["hippocampus"] = hippocampus(args.hippocampus, args.budget_hippocampus, Path(tmp),
                                                 **_ensemble(args.ensemble_hippocampus))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
