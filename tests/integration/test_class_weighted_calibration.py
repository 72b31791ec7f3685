"""A binary model trained with a class-weighted loss reports risks that mean what they say.

Known answer: outcomes drawn from P(y=1 | x) = sigmoid(2·x1 + x2 − 2.2) (prevalence about .2), so
a class-balanced logistic regression learns the right slopes and an intercept shifted by about
log(.8/.2). A temperature alone cannot undo that shift (the audit: mean risk .44 against .37);
removing the weights' shift brings calibration-in-the-large on the test split to about 0.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def _table(path: Path, n: int = 2000, seed: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * x1 + x2 - 2.2)))).astype(int)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "x1", "x2", "split", "label"])
        for i in range(n):
            writer.writerow([f"r{i}", f"{x1[i]:.4f}", f"{x2[i]:.4f}", "test" if i < n // 4 else "train", y[i]])
    return path


def test_a_class_weighted_binary_model_has_its_log_odds_shift_removed(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    table = _table(tmp_path / "risk.csv")
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(table), "--model", "logreg", "--output", str(out), "--no-progress",
                      "--no-baseline"], capsys)
    assert result.code == 0, result.out + result.err
    config = json.loads((out / "config.json").read_text())
    assert len(set(config["training"]["plan"]["class_weights"])) == 2  # the loss was class-weighted
    calibration = config["calibration"]
    assert calibration["bias"] < -0.5 and "class-weighted" in calibration["method"]
    test = json.loads((out / "metrics.json").read_text())["test"]["calibration"]
    assert test["before"]["in_the_large"] < -0.8  # the weighted model's risks are too high
    # a validation split of 150 cases moves T, so the test split is only about right (30 seeds of
    # this design: in the large -1.24 -> 0.05 on average, ECE .153 -> .047)
    assert abs(test["after"]["in_the_large"]) < abs(test["before"]["in_the_large"]) / 2
    assert test["after"]["ece"] < test["before"]["ece"] / 2
    weights = config["training"]["plan"]["class_weights"]
    c, t = np.log(weights[1] / weights[0]), calibration["temperature"]  # the bias fitted with T (shift_fit)
    assert min(-c, -c / t) - 1e-9 <= calibration["bias"] <= max(-c, -c / t) + 1e-9
    assert "log-odds shifted by" in (out / "model_card.md").read_text()
