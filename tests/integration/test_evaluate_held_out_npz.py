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
import torch

from tests.integration.cli_helpers import run_cli


def _bundle(path: Path, data: Path) -> Path:
    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((28, 28), 1).fit([rng.integers(0, 256, (1, 28, 28), dtype=np.uint8) for _ in range(4)])
    config = {"name": "cxr", "task": "binary", "label_names": ["class_0", "class_1"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "tta": [],
              "decision": {"rule": "youden", "threshold": 0.5, "class_thresholds": None, "chosen_on": "val"},
              "calibration": {"temperature": 1.0, "fitted_on": "val", "method": "temperature"},
              "training": {"data": str(data), "data_path": str(data.resolve()), "seed": 0, "val_fraction": 0.1,
                           "kept_epoch": ["best"], "epochs": 2, "epochs_run": 2}}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28)
    return save_bundle(path, net=net, config=config, metrics={}, model_card="")


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
