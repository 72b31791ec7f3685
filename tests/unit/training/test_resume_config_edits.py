"""What ``--resume`` does with a run's edited ``config.json``.

Found by an audit: only ``lr`` and ``weight_decay`` edits were refused; ``batch_size``,
``augment``, ``class_weights`` or ``epochs`` edits were silently ignored (plan.json decides them)
and ``seed``, ``precision`` or ``label_smoothing`` edits silently changed the remaining epochs
while the bundle recorded them for the whole run. Now fields acting after training are honoured
with a note, and every other edit is refused before anything is read or trained.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from meddx.core.errors import ConfigError
from meddx.training import run as runlib
from meddx.training.config import TrainConfig


def _run_dir(tmp_path: Path, **edits: object) -> Path:
    """A run folder whose checkpoint recorded the config it trained with, and whose config.json
    holds ``edits`` on top of it."""
    started = TrainConfig(data="x.npz", seed=1, precision="32-true").model_dump(mode="json")
    (tmp_path / "checkpoints").mkdir(parents=True)
    torch.save({"epoch": 0, "meddx_config": started}, tmp_path / "checkpoints" / "last.ckpt")
    (tmp_path / "config.json").write_text(json.dumps({**started, **edits}))
    (tmp_path / "plan.json").write_text(json.dumps({"epochs": 4, "batch_size": 32}))
    return tmp_path


@pytest.mark.parametrize(("field", "value", "says"), [
    ("batch_size", 8, "plan.json resolved it when the run started, which says 32, and a resume follows"),
    ("augment", "strong", "a resume follows plan.json"),
    ("class_weights", True, "a resume follows plan.json"),
    ("epochs", 6, 'plan.json, which says 4: to train longer raise "epochs" there'),
    ("seed", 2, "the epochs already trained used the first value"),
    ("precision", "bf16-mixed", "the epochs already trained used the first value"),
    ("label_smoothing", 0.1, "the epochs already trained used the first value"),
    ("lr", 0.01, "the epochs already trained used the first value"),
])
def test_an_edit_the_resume_cannot_honour_is_refused_naming_it(tmp_path: Path, field: str, value: object,
                                                                says: str) -> None:
    run_dir = _run_dir(tmp_path, **{field: value})
    with pytest.raises(ConfigError, match="config.json: " + field) as caught:
        runlib.resume_config(run_dir)
    message = str(caught.value)
    assert f"{field} {json.dumps(value)} differs from" in message and says in message, message


def test_edits_acting_after_training_are_honoured_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run_dir = _run_dir(tmp_path, threshold_rule="accuracy", name="renamed", ci_resamples=100)
    config, _ = runlib.resume_config(run_dir)
    assert (config.threshold_rule, config.name, config.ci_resamples) == ("accuracy", "renamed", 100)
    note = capsys.readouterr().err
    assert 'threshold_rule "accuracy" (was "youden")' in note and 'name "renamed" (was null)' in note


def test_epochs_raised_in_plan_json_and_config_json_alike_is_honoured(tmp_path: Path) -> None:
    config, _ = runlib.resume_config(_run_dir(tmp_path, epochs=4))  # plan.json says 4 too
    assert config.epochs == 4


def test_checkpoints_record_the_config_the_run_trained_with(tmp_path: Path) -> None:
    from meddx.tasks.classification import ClassificationTask
    from meddx.training.data import ArrayDataset, make_loader
    from meddx.training.fit import train_and_restore

    rng = np.random.default_rng(0)
    images, labels = rng.normal(size=(8, 1, 12, 12)).astype(np.float32), np.arange(8) % 2
    task = ClassificationTask("seed-cnn", {"in_channels": 1, "spatial_dims": 2, "image_size": 12}, "binary", 2,
                              max_epochs=1)
    config = TrainConfig(data="x", epochs=1, precision="32-true", seed=5)
    plan = SimpleNamespace(epochs=1, early_stopping_patience=4, checkpoint="best", reasons={})
    loader = make_loader(ArrayDataset(images, labels), 4, shuffle=False)
    train_and_restore(config, plan, task, loader, loader, tmp_path, progress=False, resume=False)
    saved = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert saved["meddx_config"] == config.model_dump(mode="json")
