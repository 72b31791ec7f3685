"""Differentially private and federated image bundles fit no input-typicality check (its statistics
of the training images' features would be released outside the privacy accountant, or leave the
sites): their model card, ``meddx predict`` and its ``--json`` say so, naming why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli
from test_federated_simulate import write_npz


def _predicted(bundle: Path, image: str, capsys) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    result = run_cli(["predict", str(bundle), image, "--json"], capsys)
    assert result.code == 0, result.err
    return json.loads(result.out.splitlines()[0]), result.err


def _says_why(bundle: Path, image: str, words: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert "typicality" not in json.loads((bundle / "config.json").read_text())
    assert not (bundle / "typicality.json").exists()
    row, err = _predicted(bundle, image, capsys)
    assert row["typicality"] is None and "typical" not in row and words in row["typicality_reason"]
    assert err.count("checks no inputs:") == 1 and words in err and "no typicality record" not in err
    card = (bundle / "model_card.md").read_text()
    assert f"Inputs unlike the training images are not flagged: {words}" in card


@pytest.mark.slow
def test_a_dp_image_bundle_says_it_has_no_check_and_why(lesion_folder: Path, meddx_home: Path, tmp_path: Path,
                                                          capsys) -> None:
    config = tmp_path / "fast.yaml"
    config.write_text("ci_resamples: 20\nverify: false\n")
    result = run_cli(["train", str(config), "--data", str(lesion_folder), "--model", "seed-cnn", "--epochs", "1",
                      "--batch-size", "32", "--dp", "--epsilon", "3", "--no-progress", "--name", "private",
                      "--seed", "1"], capsys)
    assert result.code == 0, result.err
    image = str(next((lesion_folder / "test").rglob("*.png")))
    _says_why(meddx_home / "bundles" / "private" / "v1", image, "trained with differential privacy (--dp)", capsys)


@pytest.mark.slow
def test_a_federated_image_bundle_says_it_has_no_check_and_why(meddx_home: Path, tmp_path: Path, capsys) -> None:
    import numpy as np
    from PIL import Image

    npz = write_npz(tmp_path / "small.npz", 120, seed=5, n_val=20, n_test=40)
    result = run_cli(["federated", "simulate", "--data", str(npz), "--sites", "2", "--rounds", "1", "--name",
                      "fedtyp", "--threads", "1", "--bootstrap", "20"], capsys)
    assert result.code == 0, result.err
    image = tmp_path / "one.png"
    Image.fromarray(np.load(npz)["test_images"][0].astype(np.uint8)).save(image)
    _says_why(meddx_home / "bundles" / "fedtyp" / "v1", str(image), "trained federated", capsys)
