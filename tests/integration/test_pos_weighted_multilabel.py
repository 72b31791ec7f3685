"""A multi-label model trained with per-label ``pos_weight`` (one label rare) has each label's
log-odds shift removed in its bundle's calibration, and its per-label thresholds are chosen after.

The synthetic findings source with most "bright" cases dropped: "bright" in about 1 case of 6, so the
plan weighs its positives by about 5 (negatives per positive) and the network's "bright"
probabilities come out too high; the bundle records −log pos_weight per label and no decision
weights (``evaluation.recalibration``).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli

from meddx.data.synthetic import make_findings_source, write_manifest


def _rare_bright(seed: int):
    source = make_findings_source("multilabel", n_train=360, n_val=150, n_test=240, seed=seed)
    rng = np.random.default_rng(seed)
    splits = {}
    for name, data in source.splits.items():  # keep every case without "bright", 1 in 5 with it
        keep = np.flatnonzero((data.labels[:, 0] == 0) | (rng.random(len(data.ids)) < 0.2))
        splits[name] = dataclasses.replace(data, ids=[data.ids[i] for i in keep], labels=data.labels[keep],
                                           images=data.images[keep])
    return dataclasses.replace(source, splits=splits)


def test_a_pos_weighted_multilabel_bundle_removes_each_labels_shift(tmp_path: Path, meddx_home: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write_manifest(_rare_bright(seed=7), tmp_path / "ml")
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(manifest), "--model", "seed-cnn", "--epochs", "12", "--lr", "0.005",
                      "--output", str(out), "--no-progress"], capsys)
    assert result.code == 0, result.err
    config = json.loads((out / "config.json").read_text())
    weights = config["training"]["plan"]["class_weights"]
    assert weights[0] > 3 and weights[0] > weights[1]  # "bright" is rare: its positives weighed up
    calibration = config["calibration"]
    for b, w, t in zip(calibration["bias"], weights, calibration["temperature"]):  # fitted with T (shift_fit)
        assert min(-np.log(w), -np.log(w) / t) - 1e-9 <= b <= max(-np.log(w), -np.log(w) / t) + 1e-9
    assert "pos_weight" in calibration["method"]
    assert "class_weights" not in config["decision"] and set(config["decision"]["class_thresholds"]) == {"bright",
                                                                                                        "dark"}
    test = json.loads((out / "metrics.json").read_text())["test"]["calibration"]
    # seeds 7 and 8 of this design: in the large -1.22/-1.40 -> -.47/-.48, ECE .153/.221 -> .049/.086
    assert abs(test["after"]["in_the_large"]) < 0.6 * abs(test["before"]["in_the_large"])
    assert test["after"]["ece"] < 0.7 * test["before"]["ece"]
    assert "after removing the class-weighted loss's shifts" in (out / "model_card.md").read_text()
