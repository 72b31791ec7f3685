"""Class weights in a table or series ``--plan`` file: checked like an image plan's, and used as given.

(1) A hand-edited plan with the wrong number of weights, a negative or a NaN one is a one-line
ConfigError naming the plan file and the field (exit 2); before, ``mlp`` died in the loss with a
torch traceback or "diverged", and ``logreg`` trained silently.
(2) scikit-learn models weight each training row by its class's weight in the plan; before, any
weights meant ``class_weight="balanced"``, while the calibration removed the plan's own shifts.
Known answer: 3 Gaussian classes with priors .7/.2/.1; with plan weights [1, 1, 1] (an unweighted
fit, no shifts to remove) each class's mean calibrated probability on the held-out split is its
frequency, as it is with the default (inverse-frequency) weights.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli

NAMES = ["a", "b", "c"]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(3)
    n = 2400
    y = rng.choice(3, n, p=[0.7, 0.2, 0.1])
    x = np.array([[0.0, 0.0], [1.5, 0.5], [0.5, 1.8]])[y] + rng.normal(size=(n, 2))
    path = tmp_path_factory.mktemp("plan_weights") / "three.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "x1", "x2", "split", "label"])
        for i in range(n):
            split = "test" if i < n // 3 else "train"
            writer.writerow([f"r{i}", f"{x[i, 0]:.4f}", f"{x[i, 1]:.4f}", split, NAMES[y[i]]])
    return path


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv

    source = make_threshold_series(160, seed=3)
    values, labels = write_long_csv(source, tmp_path_factory.mktemp("plan_weights_series"))
    return {"args": ["--data", str(values), "--labels-file", str(labels)],
            "train_labels": np.asarray(source.split("train").labels)}


def _plan(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


BAD = [("[1, 2]", "one weight per class"),
       ("[-1, 1, 1]", "greater than or equal to 0"),
       ("[1, NaN, 2]", "finite number")]


@pytest.mark.parametrize("model", ["logreg", "mlp"])
@pytest.mark.parametrize(("weights", "expected"), BAD)
def test_bad_class_weights_in_a_table_plan_are_one_line_errors(
        table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str, weights: str,
        expected: str) -> None:
    plan = _plan(tmp_path / "edited_plan.json", f'{{"class_weights": {weights}}}')
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(table), "--model", model, "--plan", str(plan), "--output", str(out),
                      "--epochs", "1", "--no-progress", "--no-baseline"], capsys)
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert "class_weights" in lines[0] and str(plan) in lines[0] and expected in lines[0], lines[0]
    assert not (out / "config.json").exists()


@pytest.mark.parametrize(("weights", "expected"), [("[1, 2, 3]", "one weight per class"),
                                                    ("[-1, 1]", "greater than or equal to 0")])
def test_bad_class_weights_in_a_series_plan_are_one_line_errors(
        series: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], weights: str,
        expected: str) -> None:
    plan = _plan(tmp_path / "edited_plan.json", f'{{"class_weights": {weights}}}')
    result = run_cli(["train", *series["args"], "--model", "logreg", "--plan", str(plan),
                      "--output", str(tmp_path / "bundle"), "--no-progress", "--no-baseline"], capsys)
    assert result.code == 2, result.out + result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "class_weights" in lines[0] and str(plan) in lines[0] and expected in lines[0], lines


def _mean_test_probabilities(table: Path, out: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> tuple[np.ndarray, np.ndarray]:
    result = run_cli(["evaluate", str(out), "--data", str(table), "--split", "test",
                      "--output", str(tmp_path / "ev")], capsys)
    assert result.code == 0, result.out + result.err
    with (tmp_path / "ev" / "predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    probs = np.array([[float(r[f"p_{n}"]) for n in NAMES] for r in rows])
    truth = np.array([int(r["label"]) for r in rows])
    return probs.mean(axis=0), np.bincount(truth, minlength=3) / len(truth)


def test_plan_weights_of_one_train_unweighted_and_calibrate_to_the_frequencies(
        table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ones"
    plan = _plan(tmp_path / "ones.json", '{"class_weights": [1, 1, 1]}')
    result = run_cli(["train", "--data", str(table), "--model", "logreg", "--plan", str(plan), "--output", str(out),
                      "--no-progress", "--no-baseline"], capsys)
    assert result.code == 0, result.out + result.err
    mean, frequency = _mean_test_probabilities(table, out, tmp_path, capsys)
    # before: trained balanced, calibrated as unweighted -> mean P .48/.28/.24 against .71/.21/.08
    np.testing.assert_allclose(mean, frequency, atol=0.05)


def test_default_plan_weights_still_calibrate_to_the_frequencies(
        table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "default"
    result = run_cli(["train", "--data", str(table), "--model", "logreg", "--output", str(out),
                      "--no-progress", "--no-baseline"], capsys)
    assert result.code == 0, result.out + result.err
    weights = json.loads((out / "config.json").read_text())["training"]["plan"]["class_weights"]
    assert weights is not None and len(set(weights)) == 3  # inverse class frequency, on by default here
    mean, frequency = _mean_test_probabilities(table, out, tmp_path, capsys)
    np.testing.assert_allclose(mean, frequency, atol=0.03)


@pytest.mark.parametrize("weights", [None, [1.0, 1.0], [2.0, 0.5]])
def test_series_sklearn_models_weight_rows_by_the_plan_weights(
        series: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, weights: list[float] | None) -> None:
    from sklearn.utils.class_weight import compute_sample_weight

    import meddx.models.tabular as tabular

    seen: list[Any] = []
    real = tabular.fit_sklearn_net

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("class_weight"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tabular, "fit_sklearn_net", spy)
    extra = []
    if weights is not None:
        extra = ["--plan", str(_plan(tmp_path / "plan.json", json.dumps({"class_weights": weights})))]
    result = run_cli(["train", *series["args"], "--model", "logreg", *extra, "--output", str(tmp_path / "bundle"),
                      "--no-progress", "--no-baseline"], capsys)
    assert result.code == 0, result.out + result.err
    y = series["train_labels"]
    got = compute_sample_weight(seen[0], y)
    if weights is None:  # the default (imbalance > 1.5 here): exactly what "balanced" gave before
        assert np.bincount(y).max() / np.bincount(y).min() > 1.5
        np.testing.assert_allclose(got, compute_sample_weight("balanced", y), rtol=1e-5)
    else:
        np.testing.assert_allclose(got, np.asarray(weights)[y])
