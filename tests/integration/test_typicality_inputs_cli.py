"""A trained image bundle records the intensity check beside the feature check (fitted on train,
threshold on val, both in the digest-checked typicality.json) and ``meddx predict`` flags blank
images of any grey level, which the feature check alone passed when near the training mean."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli


def test_training_records_the_intensity_check_under_the_digest(trained: dict) -> None:
    bundle = trained["bundle"]
    summary = json.loads((bundle / "config.json").read_text())["typicality"]
    stored = json.loads((bundle / "typicality.json").read_text())
    inputs = summary["inputs"]
    assert (inputs["n_train"], inputs["n_val"], inputs["quantile"]) == (300, 100, 0.999)
    assert stored["inputs"]["threshold"] == pytest.approx(inputs["threshold"], abs=1e-6)  # the summary: rounded
    assert stored["threshold"] == pytest.approx(summary["threshold"], abs=1e-6) and stored["quantile"] == summary["quantile"] == 0.995


def test_predict_flags_blank_images_at_every_grey_level(trained: dict, tmp_path: Path, capsys) -> None:
    from PIL import Image

    blanks = []
    for value in range(0, 256, 15):
        path = tmp_path / f"blank{value}.png"
        Image.fromarray(np.full((28, 28), value, np.uint8)).save(path)
        blanks.append(str(path))
    result = run_cli(["predict", str(trained["bundle"]), *blanks, "--json"], capsys)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert len(rows) == len(blanks) and all(row["typical"] is False for row in rows)
    assert all(row["typicality"]["intensity_statistic"] == "log_std" for row in rows)
    assert all(row["typicality"]["intensity_score"] > row["typicality"]["intensity_threshold"] for row in rows)
    assert result.err.count("unlike the images bundle 'lesions'") == len(blanks)
    assert "feature check only" not in result.err and "no typicality record" not in result.err
