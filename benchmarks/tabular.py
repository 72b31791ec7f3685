"""UCI Cleveland heart disease and Pima diabetes: 10-fold CV of logreg, gbm and mlp with ``meddx cv``.

    python benchmarks/tabular.py ../shared/data

Protocol: each file is read as a user would (``meddx cv`` machinery, ``evaluation.cv.cross_validate``):
Cleveland ``processed.cleveland.data`` (303 rows, no header: the 14 column names from
``heart-disease.names``; ``?`` = missing; ``num`` 1-4 = disease, 139 positives), Pima
``diabetes.csv`` (768 rows, 268 positives; zeros in Glucose, BloodPressure, SkinThickness,
Insulin and BMI = missing). Folds are stratified by label (``StratifiedGroupKFold``, identical rows
kept together), seed 0. In every fold meddx carves 10% of the fold's training rows as validation
(temperature, threshold, MLP early stopping) and fits the preprocessing (median imputation,
missing indicators, standardisation; NaN passed through for gbm) on the rest; the held-out fold is
scored. AUROC: mean ± sd over folds, and the pooled out-of-fold AUROC with its 95% bootstrap CI;
"vs logreg": the paired bootstrap difference of pooled out-of-fold AUROC, model - logreg (the folds
are the same for every model: same rows, same seed).
CPU seconds: process time of the whole CV (fits, evaluation with bootstrap CIs, bundles).
For reference, scikit-learn's own median-impute + standardise + LogisticRegression(C=1) pipeline
is fitted on the full training part of the same folds (no validation carved).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table  # noqa: E402

CLEVELAND_COLUMNS = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak",
                     "slope", "ca", "thal", "num"]
PIMA_ZEROS = ["Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI"]


def datasets(root: Path) -> dict[str, dict]:
    return {
        "Cleveland": {"data": str(root / "uci-heart-disease" / "processed.cleveland.data"),
                      "columns": CLEVELAND_COLUMNS, "positive_labels": ["1", "2", "3", "4"]},
        "Pima": {"data": str(root / "pima-diabetes" / "diabetes.csv"), "zero_as_missing": PIMA_ZEROS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="the shared data folder (holds uci-heart-disease/, pima-diabetes/)")
    parser.add_argument("--models", default="logreg,gbm,mlp")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--sets", default="Cleveland,Pima")
    parser.add_argument("--out", type=Path, default=Path("/tmp/meddx-bench-tabular"))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    rows, results = [], {}
    for name, options in datasets(args.root).items():
        if name not in args.sets.split(","):
            continue
        ref = _sklearn_reference(options, args.folds)
        rows.append([name, "sklearn LR pipeline (reference, full fold train)", f"{ref['mean']:.3f} ± {ref['sd']:.3f}",
                     "-", "-", f"{ref['cpu']:.1f}"])
        for model in args.models.split(","):
            r = _cross_validate(name, options, model, args.folds, args.out)
            results[f"{name}/{model}"] = r
            s = r["summary"]
            diff = _versus(args.out / f"{name.lower()}-{model}", args.out / f"{name.lower()}-logreg")
            rows.append([name, model, f"{s['mean']['auc']:.3f} ± {s['sd']['auc']:.3f}", _ci(s["pooled"]["auc"]),
                         _ci(diff, signed=True), f"{r['cpu_seconds']:.1f}"])
            print(rows[-1], flush=True)
    print_table(f"{args.folds}-fold CV with meddx cv (seed 0), AUROC", ["data", "model", "AUROC mean ± sd",
                "pooled out-of-fold AUROC (95% CI)", "vs logreg (paired, 95% CI)", "CPU s"], rows)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "results": results}, indent=2, default=str))


def _cross_validate(name: str, options: dict, model: str, folds: int, out: Path) -> dict:
    from meddx.evaluation.cv import cross_validate
    from meddx.training.config import TrainConfig

    config = TrainConfig(model=model, name=f"{name.lower()}-{model}", ci_resamples=1000, **options)
    wall, cpu = time.perf_counter(), time.process_time()
    summary = cross_validate(config, folds=folds, out=out / f"{name.lower()}-{model}")
    return {"summary": summary, "wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}


def _sklearn_reference(options: dict, folds: int) -> dict:
    """Median impute + standardise + LogisticRegression(C=1) on the same folds as ``meddx cv``."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from meddx.data.sources import load_source
    from meddx.evaluation.cv import development_split, make_folds

    source = load_source(options["data"], carve_val=False, options={k: v for k, v in options.items() if k != "data"})
    dev = development_split(source)
    fold_index, _ = make_folds(dev, source.origin, folds, 0)
    x, y = dev.table[source.numeric].to_numpy(dtype=np.float64), np.asarray(dev.labels)
    aucs, cpu = [], time.process_time()
    for test in fold_index:
        train = np.setdiff1d(np.arange(len(y)), test)
        pipe = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
        aucs.append(float(roc_auc_score(y[test], pipe.fit(x[train], y[train]).predict_proba(x[test])[:, 1])))
    return {"mean": float(np.mean(aucs)), "sd": float(np.std(aucs, ddof=1)), "cpu": time.process_time() - cpu}


def _versus(a: Path, b: Path) -> dict | None:
    """Paired bootstrap difference of pooled out-of-fold AUROC between two CV runs (same rows)."""
    import pandas as pd

    from meddx.evaluation.intervals import paired_difference_intervals

    if a == b or not (a / "oof_predictions.csv").is_file() or not (b / "oof_predictions.csv").is_file():
        return None
    left, right = (pd.read_csv(d / "oof_predictions.csv").set_index("id").sort_index() for d in (a, b))
    probs = [frame[[c for c in frame.columns if c.startswith("p_")]].to_numpy() for frame in (left, right)]
    labels = left["label"].astype(int).to_numpy()
    return paired_difference_intervals(labels, probs[0], probs[1], "binary", n_resamples=1000)["auc"]


def _ci(entry: dict | None, signed: bool = False) -> str:
    if not entry:
        return "-"
    fmt = "{:+.3f}" if signed else "{:.3f}"
    lo, hi = entry.get("bca") or entry.get("percentile") or (None, None)
    est = fmt.format(entry["estimate"])
    return est if lo is None else f"{est} ({fmt.format(lo)} to {fmt.format(hi)})"


if __name__ == "__main__":
    main()
