"""Cross-validating a class-weighted multi-class model: each fold decides by argmax p_k·w_k with its
own weights (its oof_predictions.csv labels), and the pooled argmax metrics count those labels, not
one plain argmax over the pooled recalibrated probabilities (decisions no fold made)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli
from tests.integration.test_class_weighted_multiclass import NAMES, _table


def test_pooled_cv_metrics_do_not_redecide_a_weighted_models_labels(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    table, out = _table(tmp_path / "three.csv", n=1800), tmp_path / "cv"
    result = run_cli(["cv", "--data", str(table), "--model", "logreg", "-k", "2", "--out", str(out), "--no-progress"],
                     capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((out / "cv.json").read_text())
    assert "argmax p_k·w_k" in summary["pooled"]["note"]
    assert summary["mean"]["balanced_accuracy"] is not None  # per fold, at each fold's own decisions
    with (out / "oof_predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    for k in (0, 1):
        weights = json.loads((out / f"fold{k}" / "config.json").read_text())["decision"]["class_weights"]
        assert summary["folds"][k]["decision_weights"] == weights  # cv.json says how the fold decided
        mine = [r for r in rows if r["fold"] == str(k)]
        probs = np.array([[float(r[f"p_{n}"]) for n in NAMES] for r in mine])
        assert [r["predicted"] for r in mine] == [NAMES[i] for i in (probs * weights).argmax(axis=1)]
    right = np.mean([r["predicted"] == NAMES[int(r["label"])] for r in rows])
    assert summary["pooled"]["accuracy"]["estimate"] == pytest.approx(right)  # the folds' own labels, pooled
