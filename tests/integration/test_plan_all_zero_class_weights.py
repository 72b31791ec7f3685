"""A table or series ``--plan`` whose class weights are all 0 is a one-line ConfigError naming the plan
file (exit 2), before any fit. Before, the plan check accepted it (each weight is >= 0 and finite) and
scikit-learn's ``logreg``/``gbm`` died with a traceback ("Sample weights must contain at least one
non-zero number"). A single zero weight stays allowed (that class ignored by the loss).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(5)
    n = 150
    y = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    x = np.array([[0.0, 0.0], [1.5, 0.5], [0.5, 1.8]])[y] + rng.normal(size=(n, 2))
    path = tmp_path_factory.mktemp("zero_weights") / "three.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["x1", "x2", "label"])
        for i in range(n):
            writer.writerow([f"{x[i, 0]:.4f}", f"{x[i, 1]:.4f}", "abc"[y[i]]])
    return path


def _one_line_error(result: Any, plan: Path) -> str:
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert "class_weights" in lines[0] and str(plan) in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("model", ["logreg", "gbm"])
def test_all_zero_class_weights_in_a_table_plan_are_one_line_errors(
        table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str) -> None:
    plan = tmp_path / "edited_plan.json"
    plan.write_text('{"class_weights": [0, 0, 0]}')
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(table), "--model", model, "--plan", str(plan), "--output", str(out),
                      "--no-progress", "--no-baseline"], capsys)
    assert "at least one weight > 0" in _one_line_error(result, plan)
    assert not (out / "config.json").exists()


def test_one_zero_class_weight_in_a_table_plan_still_trains(
        table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "edited_plan.json"
    plan.write_text('{"class_weights": [1, 0, 1]}')
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(table), "--model", "logreg", "--plan", str(plan), "--output", str(out),
                      "--no-progress", "--no-baseline"], capsys)
    assert result.code == 0, result.out + result.err
    assert (out / "config.json").exists()


def test_all_zero_class_weights_in_a_series_plan_are_one_line_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv

    values, labels = write_long_csv(make_threshold_series(80, seed=3), tmp_path / "series")
    plan = tmp_path / "edited_plan.json"
    plan.write_text('{"class_weights": [0, 0]}')
    result = run_cli(["train", "--data", str(values), "--labels-file", str(labels), "--model", "logreg",
                      "--plan", str(plan), "--output", str(tmp_path / "bundle"), "--no-progress", "--no-baseline"],
                     capsys)
    assert "at least one weight > 0" in _one_line_error(result, plan)


@pytest.mark.parametrize("weights", ["[0, 1]", "[1, 0]"])
def test_a_zero_weight_in_a_binary_table_plan_is_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], weights: str) -> None:
    """Before, it trained a one-class model whose calibration could not undo it (mean P .645 at
    prevalence .188 for [0, 1]) and the bundle said nothing."""
    rng = np.random.default_rng(7)
    y = (rng.random(120) < 0.3).astype(int)
    x = y[:, None] * 1.2 + rng.normal(size=(120, 2))
    data = tmp_path / "two.csv"
    with data.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["x1", "x2", "label"])
        writer.writerows([[f"{a:.4f}", f"{b:.4f}", "no yes".split()[c]] for (a, b), c in zip(x, y)])
    plan = tmp_path / "edited_plan.json"
    plan.write_text('{"class_weights": %s}' % weights)
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(data), "--model", "logreg", "--plan", str(plan), "--output", str(out),
                      "--no-progress", "--no-baseline"], capsys)
    assert "a binary weight of 0" in _one_line_error(result, plan)
    assert not (out / "config.json").exists()
