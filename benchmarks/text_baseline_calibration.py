"""The bundled TF-IDF baseline's calibration with and without the balanced weights' shift, on real abstracts.

../shared/data/medical-abstracts-tc/medical_tc_test.csv (or $MEDDX_SHARED_DATA) as 5 one-vs-rest labels
(a multi-label baseline): per split, half the file fitted, a third of the rest validation, the other two
thirds (963 abstracts) scored. Rules: ``as fitted`` (class-balanced, the baseline before stop 46),
``shift removed`` (``settings["shift"]``, what the baseline does now), and ``T + b on val`` (each label's
temperature and bias fitted on validation as the network's are, ``label_temperature``; not done by meddx:
the baseline has no validation step). Per label and pooled: prevalence, mean probability, in-the-large,
calibration slope, ECE (15 bins), Brier, log-loss, AUC; and how many test decisions at the Youden thresholds
chosen on validation differ from the balanced model's.

    python benchmarks/text_baseline_calibration.py [splits]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np


def main(splits: int = 3) -> None:
    import pandas as pd
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    from meddx.evaluation.calibration import apply_temperature, expected_calibration_error
    from meddx.evaluation.calibration_slope import calibration_slope
    from meddx.evaluation.label_temperature import fit_label_temperatures
    from meddx.evaluation.operating import choose_operating_point
    from meddx.evaluation.text_baseline import TfidfBaseline

    root = Path(os.environ.get("MEDDX_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    frame = pd.read_csv(root / "medical-abstracts-tc" / "medical_tc_test.csv")
    texts, classes = frame["medical_abstract"].tolist(), frame["condition_label"].to_numpy() - 1
    y = np.eye(5, dtype=int)[classes]
    rows, decisions = [], {}
    for split in range(splits):
        order = np.random.default_rng(split).permutation(len(texts))
        train, rest = order[:len(order) // 2], order[len(order) // 2:]
        val, test = rest[:len(rest) // 3], rest[len(rest) // 3:]
        base = TfidfBaseline.fit([texts[i] for i in train], y[train], "multilabel")
        fitted = TfidfBaseline(base.vocabulary, base.idf, base.coef, base.intercept, "multilabel",
                               {k: v for k, v in base.settings.items() if k != "shift"})
        raw_val, raw_test = (np.clip(fitted.predict_proba([texts[i] for i in idx]).astype(float), 1e-12, 1 - 1e-12)
                             for idx in (val, test))
        fit = fit_label_temperatures(y[val], raw_val, list(np.exp(base.settings["shift"])))
        probs = {"as fitted": (raw_val, raw_test),
                 "shift removed": tuple(base.predict_proba([texts[i] for i in idx]).astype(float) for idx in (val, test)),
                 "T + b on val": tuple(apply_temperature(p, fit.temperatures, "multilabel", bias=fit.bias)
                                       for p in (raw_val, raw_test))}
        for rule, (pv, pt) in probs.items():
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
    print(table.groupby(["label", "rule"]).mean().round(4).to_string())
    print(table.drop(columns="label").groupby("rule").mean().round(4).to_string())
    for rule in ("shift removed", "T + b on val"):
        changed = sum(int((decisions[(s, rule)] != decisions[(s, "as fitted")]).sum()) for s in range(splits))
        total = sum(decisions[(s, rule)].size for s in range(splits))
        print(f"test decisions differing from the balanced model's ({rule}): {changed} of {total}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
