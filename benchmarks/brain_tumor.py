"""Brain tumour MRI (4 classes): train on Training, test on Testing minus the leaked images.

    python benchmarks/brain_tumor.py ../shared/data/brain-tumor-mri --budget 20

``meddx data verify`` finds Testing images that are exact or near copies of Training images
(88 byte-identical ``no_tumor`` images, and more near copies); they are removed from the test
split through a clean CSV manifest before training, so the test accuracy is not memorisation.
The validation split is carved from Training (stratified, 10%).
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
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from meddx.data.dedupe import write_clean_manifest
    from meddx.data.sources import load_source
    from meddx.data.verify import verify_source

    source = load_source(args.root, carve_val=False)
    report = verify_source(source).to_dict()
    with tempfile.TemporaryDirectory(prefix="meddx-bench-") as tmp:
        cleaned = write_clean_manifest(source, report, Path(tmp) / "clean.csv")
        print(f"removed from test: {len(cleaned.removed.get('test', []))}; kept {cleaned.kept}", flush=True)
        extra = {k: v for k, v in {"model": args.model, "image_size": args.image_size}.items() if v}
        r = train_and_time(str(cleaned.manifest), "brain-tumor-mri", args.budget, Path(tmp), **extra)
    test, val = r["metrics"]["test"], r["metrics"]["val"]
    print_table(
        "brain-tumor-mri, 4 classes (Testing without leaked copies; epoch chosen on val)",
        ["model", "size", "test n", "test ACC", "test macro-AUC", "test balanced ACC", "val ACC", "wall min", "epochs"],
        [[r["plan"]["model"], r["plan"]["image_size"], test["n"], test["accuracy"], test["auc"],
          test["balanced_accuracy"], val["accuracy"], r["wall_minutes"], r["epochs"]]],
    )
    print_table("per-class test sensitivity", ["class", "sensitivity", "specificity", "support"],
                [[n, c["sensitivity"], c["specificity"], c["support"]] for n, c in test["per_class"].items()])
    if args.json:
        args.json.write_text(json.dumps({**r, "removed": cleaned.removed}, indent=2, default=str))


if __name__ == "__main__":
    main()
