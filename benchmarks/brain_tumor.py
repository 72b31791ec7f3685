"""Brain tumour MRI (4 classes): train on Training, test on Testing minus the leaked images.

    python benchmarks/brain_tumor.py ../shared/data/brain-tumor-mri --budget 20

``meddx data verify`` finds Testing images that are exact or near copies of Training images
(88 byte-identical ``no_tumor`` images, and many near copies: re-encoded or resized scans).
They are removed from the test split through clean CSV manifests, so the test accuracy is not
memorisation. One model is trained on all of Training (validation carved from it, stratified,
10%) and evaluated on two cleaned test sets: without exact copies only (as SOURCE.md counts
them), and without exact and near copies (what verify reports as leakage).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, train_and_time  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="the brain-tumor-mri folder (Training/, Testing/)")
    parser.add_argument("--budget", type=float, default=20.0, help="training minutes")
    parser.add_argument("--model", default=None)
    parser.add_argument("--image-size", type=int, default=None)
    parser.add_argument("--augment", default=None, help="augmentation preset instead of the plan's (by input size)")
    parser.add_argument("--checkpoint", choices=("best", "final"), default=None,
                        help="epoch kept instead of the plan's (by input size)")
    parser.add_argument("--seed", type=int, default=None, help="training seed (default 0)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from meddx.data.dedupe import write_clean_manifest
    from meddx.evaluation.evaluate import evaluate_bundle
    from meddx.data.sources import load_source
    from meddx.data.verify import verify_source

    source = load_source(args.root, carve_val=False)
    report = verify_source(source).to_dict()
    exact_only = {**report, "near_duplicates": []}
    with tempfile.TemporaryDirectory(prefix="meddx-bench-") as tmp:
        strict = write_clean_manifest(source, report, Path(tmp) / "clean.csv")
        lenient = write_clean_manifest(source, exact_only, Path(tmp) / "clean-exact.csv")
        print(f"removed from test: {len(strict.removed.get('test', []))} (exact+near), "
              f"{len(lenient.removed.get('test', []))} (exact only)", flush=True)
        extra = {k: v for k, v in {"model": args.model, "image_size": args.image_size, "augment": args.augment,
                                   "checkpoint": args.checkpoint, "seed": args.seed}.items() if v is not None}
        r = train_and_time(str(strict.manifest), "brain-tumor-mri", args.budget, Path(tmp), **extra)
        exact_metrics, _ = evaluate_bundle(Path(tmp) / "brain-tumor-mri", str(lenient.manifest), split="test",
                                           out=Path(tmp) / "eval-exact")
    test, val = r["metrics"]["test"], r["metrics"]["val"]
    rows = []
    for label, m in (("without exact+near copies", test), ("without exact copies only", exact_metrics)):
        rows.append([label, r["plan"]["model"], r["plan"]["image_size"], m["n"], m["accuracy"], m["auc"],
                     m["balanced_accuracy"], val["accuracy"], r["wall_minutes"], r["epochs"]])
    print_table(
        "brain-tumor-mri, 4 classes (Testing without leaked copies; epoch chosen on val)",
        ["test set", "model", "size", "test n", "test ACC", "test macro-AUC", "test balanced ACC", "val ACC",
         "wall min", "epochs"],
        rows,
    )
    print_table("per-class test sensitivity (without exact+near copies)",
                ["class", "sensitivity", "specificity", "support"],
                [[n, c["sensitivity"], c["specificity"], c["support"]] for n, c in test["per_class"].items()])
    r["exact_only_test"] = exact_metrics
    if args.json:
        args.json.write_text(json.dumps({**r, "removed": strict.removed}, indent=2, default=str))


if __name__ == "__main__":
    main()
