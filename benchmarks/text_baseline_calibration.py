"""The bundled TF-IDF baseline's calibration: as fitted, with the balanced weights' shift removed, and with
a temperature and bias fitted on validation (what training does since stop 46), on real abstracts.

../shared/data/medical-abstracts-tc/medical_tc_test.csv (or $MEDDX_SHARED_DATA), per split: half the file
fitted, a third of the rest validation (481), the other two thirds (963 abstracts) scored. Two tasks:

- ``multilabel``: the 5 classes as one-vs-rest labels. Rules: ``as fitted`` (class-balanced, the baseline
  before stop 46), ``shift removed`` (``settings["shift"]``), ``T + b on val`` (``fit_calibration``: each
  label's T and b fitted on validation as the network's, ``label_temperature``). Per label and pooled:
  prevalence, mean probability, in-the-large, calibration slope, ECE (15 bins), Brier, log-loss, AUC; and how
  many test decisions at the Youden thresholds chosen on validation differ from the balanced model's.
- ``multiclass``: the 5 classes. Rules: ``as fitted`` (argmax), ``shift removed`` (b_k = −log w_k, decided
  by argmax p_k·w_k; what training does), ``T on val`` (T fitted after b_k, ``class_shifted_temperature_fit``;
  argmax p_k·w_k; not done by training: it moves the one-vs-rest AUC).
  Mean probability per class against its frequency, class-wise ECE (mean over classes, 15 bins), Brier,
  log-loss, macro AUC (one-vs-rest), accuracy, and decisions differing from the balanced model's argmax.

    python benchmarks/text_baseline_calibration.py [splits] [multilabel|multiclass|both]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np


def _data() -> tuple[list[str], np.ndarray]:
    import pandas as pd

    root = Path(os.environ.get("MEDDX_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    frame = pd.read_csv(root / "medical-abstracts-tc" / "medical_tc_test.csv")
    return frame["medical_abstract"].tolist(), frame["condition_label"].to_numpy() - 1


def _splits(n: int, split: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.random.default_rng(split).permutation(n)
    train, rest = order[:n // 2], order[n // 2:]
    return train, rest[:len(rest) // 3], rest[len(rest) // 3:]


def _variants(base: Any) -> dict[str, Any]:
    """The same fitted arrays read three ways: without shift, with it, and as fitted (no calibration)."""
    from meddx.evaluation.text_baseline import TfidfBaseline

    def without(*keys: str) -> Any:
        return TfidfBaseline(base.vocabulary, base.idf, base.coef, base.intercept, base.task,
                             {k: v for k, v in base.settings.items() if k not in keys})

    return {"as fitted": without("shift", "calibration"), "shift removed": without("calibration")}


def multilabel(splits: int) -> None:
    import pandas as pd
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    from meddx.evaluation.calibration import expected_calibration_error
    from meddx.evaluation.calibration_slope import calibration_slope
    from meddx.evaluation.operating import choose_operating_point
    from meddx.evaluation.text_baseline import TfidfBaseline

    texts, classes = _data()
    y = np.eye(5, dtype=int)[classes]
    rows, decisions = [], {}
    for split in range(splits):
        train, val, test = _splits(len(texts), split)
        base = TfidfBaseline.fit([texts[i] for i in train], y[train], "multilabel")
        models = _variants(base)
        models["T + b on val"] = base.fit_calibration([texts[i] for i in val], y[val])
        for rule, model in models.items():
            pv, pt = (model.predict_proba([texts[i] for i in idx]).astype(float) for idx in (val, test))
            point = choose_operating_point(y[val], pv, "multilabel", "youden", per_class=True,
                                           label_names=[str(j) for j in range(5)])
            cut = np.array([point["class_thresholds"][str(j)] for j in range(5)])
            decisions[(split, rule)] = pt >= cut
            for j in range(5):
                truth, p = y[test, j], np.clip(pt[:, j], 1e-7, 1 - 1e-7)
                line = calibration_slope(p, truth)
                rows.append({"rule": rule, "label": j, "prev": truth.mean(), "mean_p": p.mean(),
                             "in_large": line["in_the_large"], "slope": line["slope"],
                             "ece": expected_calibration_error(p, truth, 15), "brier": brier_score_loss(truth, p),
                             "log_loss": log_loss(truth, p, labels=[0, 1]), "auc": roc_auc_score(truth, p)})
    table = pd.DataFrame(rows)
    print("multi-label (5 one-vs-rest labels), per label:")
    print(table.groupby(["label", "rule"]).mean().round(4).to_string())
    print(table.drop(columns="label").groupby("rule").mean().round(4).to_string())
    for rule in ("shift removed", "T + b on val"):
        changed = sum(int((decisions[(s, rule)] != decisions[(s, "as fitted")]).sum()) for s in range(splits))
        total = sum(decisions[(s, rule)].size for s in range(splits))
        print(f"test decisions differing from the balanced model's ({rule}): {changed} of {total}")


def multiclass(splits: int) -> None:
    import pandas as pd
    from sklearn.metrics import log_loss, roc_auc_score

    from meddx.evaluation.calibration import brier_score, expected_calibration_error
    from meddx.evaluation.decision import decided_class
    from meddx.evaluation.text_baseline import TfidfBaseline

    texts, y = _data()
    rows, means = [], []
    changed = {"shift removed": 0, "T on val": 0}
    total = 0
    for split in range(splits):
        train, val, test = _splits(len(texts), split)
        base = TfidfBaseline.fit([texts[i] for i in train], y[train], "multiclass")
        models = _variants(base)
        models["T on val"] = base.fit_calibration([texts[i] for i in val], y[val])
        weights = np.asarray(base.decision_weights)
        documents, truth = [texts[i] for i in test], y[test]
        fitted_argmax = models["as fitted"].predict_proba(documents).argmax(axis=1)
        total += len(test)
        for rule, model in models.items():
            p = model.predict_proba(documents).astype(np.float64)
            decided = fitted_argmax if rule == "as fitted" else decided_class(p, weights)
            if rule != "as fitted":
                changed[rule] += int((decided != fitted_argmax).sum())
            onehot = np.eye(5, dtype=int)[truth]
            rows.append({"rule": rule, "ece_classwise": np.mean([expected_calibration_error(p[:, k], onehot[:, k], 15)
                                                                  for k in range(5)]),
                         "brier": brier_score(truth, p, "multiclass"),
                         "log_loss": log_loss(truth, p / p.sum(axis=1, keepdims=True), labels=list(range(5))),
                         "macro_auc": roc_auc_score(truth, p, multi_class="ovr", average="macro"),
                         "accuracy": float((decided == truth).mean()),
                         "T": float(model.calibration["temperature"]) if model.calibration else 1.0})
            means.append({"rule": rule, **{f"p{k}": p[:, k].mean() for k in range(5)}})
        means.append({"rule": "frequency", **{f"p{k}": float((truth == k).mean()) for k in range(5)}})
    print("multi-class (5 classes):")
    print(pd.DataFrame(means).groupby("rule").mean().round(3).to_string())
    print(pd.DataFrame(rows).groupby("rule").mean().round(4).to_string())
    for rule, n in changed.items():
        print(f"test decisions differing from the balanced model's argmax ({rule}, argmax p_k·w_k): {n} of {total}")


def main(splits: int = 3, task: str = "both") -> None:
    if task in ("multilabel", "both"):
        multilabel(splits)
    if task in ("multiclass", "both"):
        multiclass(splits)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3, sys.argv[2] if len(sys.argv) > 2 else "both")
