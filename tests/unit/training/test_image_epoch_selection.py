"""Image runs choose their epoch on ``val_select`` (validation AUC to three decimals, ties broken
by the lower loss), as text, series and table runs do.

Found by an audit: image runs kept the best epoch on ``val_auc`` alone, and on easy data the
validation AUC is 1.0 from the first epoch, so every later epoch tied and the barely trained epoch
0 was kept (a ``--devices 2 --time-budget 0.5`` run stopped by its time limit after 133 epochs
restored ``best-epoch=000.ckpt``: validation loss .57 there, .06 at epoch 18).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from meddx.data.base import ImageSource, SplitData
from meddx.training.config import TrainConfig
from meddx.training.fit import fit


def _split(name: str, n: int, seed: int) -> SplitData:
    """Grey 16 px images, dark for class a and bright for b: separable from the first epoch on."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    images = (rng.normal(size=(n, 1, 16, 16)) * 0.5 + np.where(labels, 1.0, -1.0)[:, None, None, None]) * 40 + 128
    return SplitData(ids=[f"{name}-{i}" for i in range(n)], labels=labels, images=images.clip(0, 255).astype(np.uint8))


def test_a_saturated_validation_auc_does_not_keep_the_first_epoch(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    source = ImageSource(name="easy", origin="test", task="binary", label_names=["a", "b"], spatial_dims=2,
                         splits={"train": _split("train", 64, 0), "val": _split("val", 24, 1),
                                 "test": _split("test", 8, 2)})
    config = TrainConfig(data="easy", model="seed-cnn", epochs=4, checkpoint="best", augment="none",
                         precision="32-true", seed=0, ci_resamples=0, verify=False, add_to_registry=False,
                         output=str(tmp_path / "bundle"))
    result = fit(config, source=source, progress=False)
    rows = [r for r in csv.DictReader((result.run_dir / "logs" / "version_0" / "metrics.csv").open())
            if r.get("val_loss")]
    auc, loss = [float(r["val_auc"]) for r in rows], [float(r["val_loss"]) for r in rows]
    assert auc == [1.0] * 4, auc  # the case in question: every epoch ties on AUC...
    assert min(loss) < loss[0], loss  # ...and the later epochs are better, as the loss measures
    trainer = json.loads((result.run_dir / "trainer.json").read_text())
    assert f"best-epoch={loss.index(min(loss)):03d}.ckpt" in trainer["restored_checkpoint"], (trainer, loss)
    assert trainer["kept"] == "best" and "best_val_select" in trainer
