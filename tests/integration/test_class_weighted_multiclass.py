"""A multi-class model trained with a class-weighted loss: its probabilities have the weights
removed (each class's mean probability is its frequency) and its decisions stay argmax p_k·w_k,
the same in the bundle's predictions and in every metric evaluate reports.

Known answer: 3 Gaussian classes with priors .7/.2/.1; the plan weights the loss by inverse class
frequency (imbalance > 1.5), so the logistic regression's probabilities are ∝ w_k·P(k | x).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli

NAMES = ["a", "b", "c"]


def _table(path: Path, n: int = 2400, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    x = np.array([[0.0, 0.0], [1.5, 0.5], [0.5, 1.8]])[y] + rng.normal(size=(n, 2))
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "x1", "x2", "split", "label"])
        for i in range(n):
            split = "test" if i < n // 3 else "train"
            writer.writerow([f"r{i}", f"{x[i, 0]:.4f}", f"{x[i, 1]:.4f}", split, NAMES[y[i]]])
    return path


def test_a_class_weighted_multiclass_model_reports_frequencies_and_keeps_its_decisions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table, out, ev = _table(tmp_path / "three.csv"), tmp_path / "bundle", tmp_path / "ev"
    result = run_cli(["train", "--data", str(table), "--model", "logreg", "--output", str(out), "--no-progress",
                      "--no-baseline"], capsys)
    assert result.code == 0, result.out + result.err
    config = json.loads((out / "config.json").read_text())
    weights = config["training"]["plan"]["class_weights"]
    assert len(set(weights)) == 3  # the loss was class-weighted
    assert config["calibration"]["bias"] == pytest.approx(list(-np.log(weights)))
    assert config["decision"]["class_weights"] == weights
    result = run_cli(["evaluate", str(out), "--data", str(table), "--split", "test", "--output", str(ev)], capsys)
    assert result.code == 0, result.out + result.err
    with (ev / "predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    probs = np.array([[float(r[f"p_{n}"]) for n in NAMES] for r in rows])
    truth = np.array([int(r["label"]) for r in rows])
    predicted = np.array([NAMES.index(r["predicted"]) for r in rows])
    np.testing.assert_allclose(probs.mean(axis=0), np.bincount(truth) / len(truth), atol=0.03)
    assert (predicted == (probs * weights).argmax(axis=1)).all()
    assert (predicted != probs.argmax(axis=1)).sum() > 20  # the weighted rule decides differently from argmax p
    metrics = json.loads((ev / "metrics.json").read_text())
    assert metrics["accuracy"] == pytest.approx(float(np.mean(predicted == truth)))
    recall = float(np.mean([np.mean(predicted[truth == k] == k) for k in range(3)]))
    assert metrics["balanced_accuracy"] == pytest.approx(recall)
    assert metrics["ci"]["balanced_accuracy"]["estimate"] == pytest.approx(recall)  # the bootstrap decides alike
    calibration = metrics["calibration"]
    assert calibration["after"]["brier"] < calibration["before"]["brier"] - 0.05
    card = (out / "model_card.md").read_text()
    assert "after removing the class-weighted loss's shifts" in card and "p_k·w_k" in card
