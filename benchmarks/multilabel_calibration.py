"""One temperature per label against one shared by all labels: the table in docs/evaluation-notes.md
("One temperature per label (multi-label)").

Known generating distribution: 4 independent labels of prevalence .03/.20/.50/.90; label j's score
x_j ~ N(1.5·y_j, 1), so its true log-odds are logit(prev_j) + 1.5·x_j − 1.125 (exact). The simulated
network reports each label's true log-odds times its own factor c_j = 2.5/1.0/1.8/0.6 (over-confident
on labels 1 and 3, right on 2, under-confident on the common label 4), so the right temperature of
label j is c_j. For each validation draw (sizes 150, 500, 2 000; 20 draws), T is fitted on validation
by meddx's rules (0/1 NLL; Platt's targets when separable): one T for all labels (meddx before) and one
per label (``evaluation.label_temperature``); each is scored on one test sample of 100 000 per label:
ECE (15 uniform bins), calibration-in-the-large (the logistic intercept with the slope fixed at 1,
``calibration_slope``; 0 is ideal, < 0: risks too high) and log-loss. Means over draws; the "sd" row
of calibration-in-the-large is its spread over draws (what the validation split's noise costs).

    python benchmarks/multilabel_calibration.py [draws]
    python benchmarks/multilabel_calibration.py --bundle PATH --data FILE   # a trained multi-label bundle

``--bundle``: the bundle's raw (uncalibrated) probabilities on its validation and test splits (``FILE`` read
as training read it), both rules fitted on validation (after the bundle's ``pos_weight`` shifts, when it
removed them), scored per label on test.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.special import expit, logit

from meddx.evaluation.calibration import apply_temperature, expected_calibration_error, temperature_fit
from meddx.evaluation.calibration_slope import calibration_slope
from meddx.evaluation.label_temperature import fit_label_temperatures

PREVALENCES = np.array([0.03, 0.20, 0.50, 0.90])
FACTORS = np.array([2.5, 1.0, 1.8, 0.6])
SIZES = (150, 500, 2000)
N_TEST = 100_000


def draw(n: int, rng: np.random.Generator, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels (n, L), true probabilities and the network's output."""
    y = (rng.random((n, len(PREVALENCES))) < PREVALENCES).astype(int)
    true_logit = logit(PREVALENCES) + 1.5 * (1.5 * y + rng.normal(size=y.shape)) - 1.125
    return y, expit(true_logit), expit(factors * true_logit)


def scores(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(4, L): per label ECE, calibration-in-the-large, log-loss, mean P − observed rate."""
    out = np.zeros((4, y.shape[1]))
    for j in range(y.shape[1]):
        q = np.clip(p[:, j], 1e-15, 1 - 1e-15)
        out[0, j] = expected_calibration_error(q, y[:, j], 15)
        out[1, j] = calibration_slope(q, y[:, j])["in_the_large"]
        out[2, j] = -np.mean(y[:, j] * np.log(q) + (1 - y[:, j]) * np.log(1 - q))
        out[3, j] = q.mean() - y[:, j].mean()
    return out


def main(draws: int = 20) -> None:
    for title, factors in (("labels mis-scaled differently", FACTORS),
                           ("every label 1.5x over-confident (one T is right)", np.full(len(FACTORS), 1.5))):
        scenario(title, factors, draws)


def _line(name: str, s: np.ndarray, t: np.ndarray | None = None, sd: np.ndarray | None = None) -> str:
    return (f"{name:>20}: " + ("" if t is None else "T " + " ".join(f"{v:.2f}" for v in t) + " | ")
            + "ECE " + " ".join(f"{v:.4f}" for v in s[0]) + " | in the large " + " ".join(f"{v:+.3f}" for v in s[1])
            + ("" if sd is None else " (sd " + " ".join(f"{v:.3f}" for v in sd) + ")")
            + " | mean P - rate " + " ".join(f"{v:+.4f}" for v in s[3])
            + " | log-loss " + " ".join(f"{v:.4f}" for v in s[2]))


def scenario(title: str, factors: np.ndarray, draws: int) -> None:
    rng = np.random.default_rng(0)
    y_test, truth, net = draw(N_TEST, rng, factors)
    print(f"\n## {title}: prevalence {PREVALENCES.tolist()}, network factor (right T) {factors.tolist()}; "
          f"test n = {N_TEST}, {draws} validation draws per size")
    for name, p in (("network (no T)", net), ("true probabilities", truth)):
        print(_line(name, scores(y_test, p)))
    for n in SIZES:
        rows: dict[str, list[np.ndarray]] = {"shared T (before)": [], "T per label": []}
        temps: dict[str, list[np.ndarray]] = {"shared T (before)": [], "T per label": []}
        for _ in range(draws):
            y_val, _, val = draw(n, rng, factors)
            shared = temperature_fit(y_val, val, "multilabel")[0]
            per = fit_label_temperatures(y_val, val).temperatures
            for arm, t in (("shared T (before)", shared), ("T per label", per)):
                rows[arm].append(scores(y_test, apply_temperature(net, t, "multilabel")))
                temps[arm].append(np.broadcast_to(np.asarray(t, dtype=float), (len(factors),)))
        print(f"validation n = {n}")
        for arm in rows:
            sd = np.std(np.array(rows[arm])[:, 1, :], axis=0)
            print(_line(arm, np.mean(rows[arm], axis=0), np.array(temps[arm]).mean(axis=0), sd))


def on_bundle(bundle: str, data: str) -> None:
    """Shared T against T per label on a trained multi-label bundle's own validation and test splits."""
    from meddx.bundle.bundle import load_bundle
    from meddx.evaluation.as_trained import load_source_as_trained
    from meddx.evaluation.evaluate import predict_split
    from meddx.evaluation.recalibration import label_shifted_temperature_fit, label_weighted_loss

    predictor = load_bundle(bundle)
    source = load_source_as_trained(predictor, data, carve_val=True)
    val, test = predict_split(predictor, source, "val"), predict_split(predictor, source, "test")
    raw_val = val.probs if val.raw_probs is None else val.raw_probs
    raw_test = test.probs if test.raw_probs is None else test.raw_probs
    weights = predictor.config["training"]["plan"].get("class_weights")
    weights = weights if label_weighted_loss(weights) else None
    if weights is not None:
        shared, bias, _ = label_shifted_temperature_fit(val.labels, raw_val, weights)
    else:
        shared, bias = temperature_fit(val.labels, raw_val, "multilabel")[0], 0.0
    per = fit_label_temperatures(val.labels, raw_val, weights).temperatures
    print(f"{bundle}: labels {predictor.label_names}; val n = {len(val.ids)}, test n = {len(test.ids)}; "
          f"prevalence on test " + " ".join(f"{v:.3f}" for v in test.labels.mean(axis=0))
          + ("; pos_weight shifts removed first" if weights is not None else ""))
    print(_line("network (no T)", scores(test.labels, raw_test)))
    for arm, t in (("shared T (before)", shared), ("T per label", per)):
        s = scores(test.labels, apply_temperature(raw_test, t, "multilabel", bias=bias))
        print(_line(arm, s, np.broadcast_to(np.asarray(t, dtype=float), (len(predictor.label_names),))))


if __name__ == "__main__":
    if "--bundle" in sys.argv:
        on_bundle(sys.argv[sys.argv.index("--bundle") + 1], sys.argv[sys.argv.index("--data") + 1])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
