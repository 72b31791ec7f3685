"""``meddx evaluate BUNDLE --data held_out.npz`` on a MedMNIST-style file of val/test arrays only.

Found when the federation's coordinator learned to read such a file (``data.base.held_out_allowed``):
``evaluate`` entered only the table reader's switch (``data.tabular.trainless_allowed``), so the same
held-out file was refused with "no training arrays". One switch now covers every reader; ``meddx
train`` on the file is still refused in one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli


def _bundle(path: Path, data: Path) -> Path:
    return tiny_image_bundle(path, label_names=["class_0", "class_1"], decision={"rule": "youden", "threshold": 0.5},
                             training={"data": str(data), "data_path": str(data.resolve()), "seed": 0,
                                       "val_fraction": 0.1, "kept_epoch": ["best"], "epochs": 2, "epochs_run": 2})


def _npz(path: Path, splits: tuple[str, ...]) -> Path:
    rng = np.random.default_rng(1)
    arrays = {}
    for split in splits:
        labels = np.arange(16) % 2
        images = rng.integers(0, 120, (16, 28, 28), dtype=np.uint8)
        images[labels == 1, 8:20, 8:20] = 255  # positives carry a bright square
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels[:, None]
    np.savez(path, **arrays)
    return path


def test_evaluate_reads_a_held_out_npz_and_train_still_refuses_it(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bundle = _bundle(tmp_path / "b", _npz(tmp_path / "train.npz", ("train", "val", "test")))
    held_out = _npz(tmp_path / "held_out.npz", ("val", "test"))
    out = tmp_path / "ev"
    ev = run_cli(["evaluate", str(bundle), "--data", str(held_out), "--split", "test", "--out", str(out),
                  "--bootstrap", "0", "--no-verify", "--no-report"], capsys)
    assert ev.code == 0, ev.err
    assert "auc" in json.dumps(json.loads((out / "metrics.json").read_text()))
    assert (out / "predictions.csv").read_text().count("\n") == 17  # header + every test image
    tr = run_cli(["train", "--data", str(held_out), "--model", "seed-cnn", "--epochs", "1"], capsys)
    assert tr.code == 2
    line = tr.err.strip().splitlines()[-1]
    assert "no training arrays" in line and "train_images" in line
