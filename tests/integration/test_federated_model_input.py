"""A model that cannot take the data's own input size is refused once the data are read, before any
site is carved, run folder written or round run.

The argument-only checks (``federated.preflight``) build the network at a probe size (32 px in 2D):
``--dp client --model seed-cnn`` passed them for 8-pixel images, then the run printed its sites, wrote
a run folder and only failed when it built the network at 8 px.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli
from test_federated_simulate import write_npz


@pytest.fixture(scope="module")
def tiny_npz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_npz(tmp_path_factory.mktemp("fedinput") / "tiny.npz", 60, seed=3, n_test=10, size=8)


@pytest.mark.parametrize("argv", [
    ["simulate", "--data", "{data}", "--sites", "2", "--rounds", "1", "--dp", "client", "--dp-epsilon", "8"],
    ["simulate", "--data", "{data}", "--sites", "2", "--rounds", "1"],
    ["server", "--eval-data", "{data}", "--dp", "client", "--dp-noise", "1.0", "--address", "127.0.0.1:1"],
])
def test_a_model_that_cannot_take_the_datas_image_size_stops_before_any_site_or_run(
        argv: list[str], tiny_npz: Path, meddx_home: Path, capsys) -> None:
    result = run_cli(["federated", *[a.replace("{data}", str(tiny_npz)) for a in argv], "--model", "seed-cnn",
                      "--threads", "1"], capsys)
    assert result.code == 2 and "Traceback" not in result.err
    runs = meddx_home / "runs"
    assert not runs.exists() or not any(runs.iterdir())  # before: a run folder with its config.json
    assert "sites (" not in result.out and "federated server on" not in result.out  # nothing carved or served
    assert result.err.strip().splitlines() == [
        f"meddx: error: --model seed-cnn cannot take 8x8 px input with 1 channel(s) (the images of {tiny_npz}): "
        "model 'seed-cnn': image_size (8, 8) is too small (two valid 3x3 convolutions and two 2x pools need at "
        "least 10 px per side); pass an --image-size it takes, or pick another model"]


def test_an_image_size_the_model_takes_goes_on_to_train(tiny_npz: Path, meddx_home: Path, capsys) -> None:
    """The refusal names --image-size as the way out: with it the same data train."""
    result = run_cli(["federated", "simulate", "--data", str(tiny_npz), "--sites", "2", "--rounds", "1", "--dp",
                      "client", "--dp-epsilon", "8", "--model", "seed-cnn", "--image-size", "12", "--threads", "1",
                      "--bootstrap", "20"], capsys)
    assert result.code == 0, result.err
    assert "2 sites (" in result.out
