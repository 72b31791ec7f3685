"""How faithful is each explanation method on real bundles? PneumoniaMNIST and brain-tumour MRI.

    python benchmarks/explanations.py --pneumonia ../shared/data/medmnist/pneumoniamnist.npz \
        --brain ../shared/data/brain-tumor-mri --figure docs/figures/explain-methods.png

For each dataset a bundle is trained with fixed epochs (or an existing one passed with
``--pneumonia-bundle`` / ``--brain-bundle``), then ``meddx explain --evaluate`` runs every image
method on the same seeded sample of the test split: deletion AUC (probability of the explained
class as the most important pixels are set to the training mean; lower is better) and insertion
AUC (higher is better), each next to the same curve for random pixel orders, and the cascading
parameter-randomisation sanity check (a method whose maps stay rank-correlated with the trained
model's after the top layers are re-initialised fails). One comparison figure (every method on
one positive test image) is written to ``--figure``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402

METHODS = ("gradcam", "gradcam++", "occlusion", "integrated-gradients", "saliency")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pneumonia", help="pneumoniamnist.npz")
    parser.add_argument("--brain", help="the brain-tumor-mri folder (Training/Testing)")
    parser.add_argument("--pneumonia-bundle", help="an existing PneumoniaMNIST bundle instead of training one")
    parser.add_argument("--brain-bundle", help="an existing brain-tumour bundle instead of training one")
    parser.add_argument("--n", type=int, default=50, help="test images sampled per dataset")
    parser.add_argument("--sanity", type=int, default=5, help="images for the randomisation check")
    parser.add_argument("--figure", type=Path, default=None, help="comparison PNG (PneumoniaMNIST, one positive)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/meddx-bench-explain"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    jobs = []
    if args.pneumonia or args.pneumonia_bundle:
        bundle = args.pneumonia_bundle or _train(args.pneumonia, "explain-pneumonia", args.out, model="seed-cnn",
                                                 epochs=12, threads=args.threads)
        jobs.append(("PneumoniaMNIST (seed CNN, 28 px)", bundle, args.pneumonia or _data_of(bundle)))
    if args.brain or args.brain_bundle:
        bundle = args.brain_bundle or _train(args.brain, "explain-brain", args.out, model="resnet18", epochs=8,
                                             image_size=64, threads=args.threads)
        jobs.append(("brain-tumour MRI (ResNet-18, 64 px, 4 classes)", bundle, args.brain or _data_of(bundle)))
    for title, bundle, data in jobs:
        _evaluate(title, bundle, data, args.n, args.sanity)
    if args.figure and jobs:
        _figure(jobs[0][1], jobs[0][2], args.figure)


def _train(data: str, name: str, out: Path, **config: object) -> str:
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    threads = config.pop("threads")
    cfg = TrainConfig(data=data, name=name, output=str(out / name), add_to_registry=False, num_threads=threads,
                      ci_resamples=200, **config)
    start = time.perf_counter()
    result = fit(cfg, progress=False)
    test = result.metrics.get("test", {})
    print(f"{name}: trained in {(time.perf_counter() - start) / 60:.1f} min, test AUC {test.get('auc'):.3f}",
          flush=True)
    return str(result.bundle_path)


def _data_of(bundle: str) -> str:
    import json

    return json.loads((Path(bundle) / "config.json").read_text())["training"]["data"]


def _evaluate(title: str, bundle: str, data: str, n: int, sanity: int) -> None:
    from meddx.explain.evaluate import evaluate_explanations

    start = time.perf_counter()
    report, path = evaluate_explanations(bundle, data, methods=list(METHODS), n=n, sanity_inputs=sanity)
    rows = []
    for name, m in report["methods"].items():
        f = m["faithfulness"]
        r = m.get("randomisation") or {}
        rows.append([name, f"{f['deletion_auc']['mean']:.3f}", f"{f['random_deletion_auc']['mean']:.3f}",
                     f"{f['insertion_auc']['mean']:.3f}", f"{f['random_insertion_auc']['mean']:.3f}",
                     f"{'passed' if r.get('passed') else 'FAILED'} (median ρ {r.get('spearman_median', float('nan')):.2f})",
                     f"{m['milliseconds_per_input']:.1f}"])
    print_table(f"{title}: {report['n']} test images, {(time.perf_counter() - start) / 60:.1f} min; {path}",
                ["method", "deletion AUC ↓", "random deletion", "insertion AUC ↑", "random insertion",
                 "randomisation check", "ms per image"], rows)


def _figure(bundle: str, data: str, figure: Path) -> None:
    import numpy as np

    from meddx.data.sources import load_source
    from meddx.explain.api import as_predictor, explain
    from meddx.explain.image import comparison_png

    predictor = as_predictor(bundle)
    source = load_source(data, carve_val=False)
    test = source.split("test")
    index = int(np.flatnonzero(np.asarray(test.labels) == 1)[0])
    image = source.get_image("test", index)
    found = explain(predictor, [image], list(METHODS))
    figure.parent.mkdir(parents=True, exist_ok=True)
    comparison_png(image, {e.method: e.attribution for e in found}, figure,
                   title=f"{found[0].target} ({found[0].probability:.2f}), test image {test.ids[index]}")
    print(f"figure: {figure}")


if __name__ == "__main__":
    main()
