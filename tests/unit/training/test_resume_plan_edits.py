"""What ``--resume`` does with a run's edited ``plan.json``.

Found by an audit: ``config.json`` edits were compared with the checkpoint's record, but any
``plan.json`` edit went through: ``batch_size``, ``augment`` or ``class_weights`` changed half-way
through the run while the bundle recorded the edited plan for all of its epochs, and an edited
``early_stopping_patience`` was replaced by the checkpoint's without a word. Now every checkpoint
records the plan it trained under; a raised ``epochs`` (and the series ``baseline``, fitted after
training) is honoured with a note, and every other edit is refused naming the field and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.core.errors import ConfigError
from meddx.training import run as runlib
from meddx.training.config import TrainConfig

STARTED_PLAN = {"model": "seed-cnn", "model_args": {"width": 8}, "image_size": [16, 16], "channels": 1,
                "batch_size": 32, "epochs": 4, "class_weights": None, "early_stopping_patience": 4,
                "checkpoint": "best", "augment": "light", "normalization": {"spatial_size": [16, 16], "channels": 1},
                "dp_statistics": None, "seconds_per_sample": 0.01, "reasons": {"epochs": "default"}}


def _run_dir(tmp_path: Path, record: bool = True, **edits: object) -> Path:
    """A run folder whose checkpoint recorded the config and plan it trained with (the plan only
    when ``record``), and whose plan.json holds ``edits`` on top of that plan."""
    config = TrainConfig(data="x.npz", seed=1, precision="32-true").model_dump(mode="json")
    (tmp_path / "checkpoints").mkdir(parents=True)
    saved = {"epoch": 1, "meddx_config": config, **({"meddx_plan": STARTED_PLAN} if record else {})}
    torch.save(saved, tmp_path / "checkpoints" / "last.ckpt")
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "plan.json").write_text(json.dumps({**STARTED_PLAN, **edits}))
    return tmp_path


@pytest.mark.parametrize(("field", "value", "says"), [
    ("batch_size", 8, "the epochs already trained used the first value"),
    ("augment", "strong", "the epochs already trained used the first value"),
    ("class_weights", [1.0, 5.0], "the epochs already trained used the first value"),
    ("epochs", 2, "a resume can raise epochs to train longer, not lower them"),
    ("early_stopping_patience", 10, "restores the first patience: the edit would be ignored"),
    ("checkpoint", "final", "decides whether early stopping runs"),
])
def test_a_plan_edit_the_resume_cannot_honour_is_refused_naming_it(tmp_path: Path, field: str, value: object,
                                                                   says: str) -> None:
    run_dir = _run_dir(tmp_path, **{field: value})
    with pytest.raises(ConfigError, match="plan.json: " + field) as caught:
        runlib.resume_config(run_dir)
    message = str(caught.value)
    assert f"{field} {json.dumps(value)} differs from the {json.dumps(STARTED_PLAN[field])}" in message, message
    assert says in message and "start a new run with this plan.json as --plan" in message, message


def test_raised_epochs_are_honoured_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = runlib.resume_config(_run_dir(tmp_path, epochs=9, reasons={"epochs": "edited"},
                                              seconds_per_sample=0.5))
    assert config.seed == 1
    note = capsys.readouterr().err
    assert "plan.json: edits a resume honours: epochs 9 (was 4; training goes on to epoch 9)" in note, note
    assert "reasons" not in note and "seconds_per_sample" not in note  # explanations, not the plan


def test_a_deleted_field_is_refused(tmp_path: Path) -> None:
    run_dir = _run_dir(tmp_path)
    plan = json.loads((run_dir / "plan.json").read_text())
    del plan["augment"]  # the schema's default would replace it
    (run_dir / "plan.json").write_text(json.dumps(plan))
    with pytest.raises(ConfigError, match="plan.json: augment is absent"):
        runlib.resume_config(run_dir)


def test_a_checkpoint_without_the_plan_record_resumes_unchecked(tmp_path: Path) -> None:
    config, _ = runlib.resume_config(_run_dir(tmp_path, record=False, batch_size=8))
    assert config.seed == 1


def test_checkpoints_record_the_plan_as_plan_json_holds_it(tmp_path: Path) -> None:
    """The record is the plan the epochs trained under, written as plan.json writes it, so an
    untouched run resumes without a note or a refusal."""
    from meddx.tasks.classification import ClassificationTask
    from meddx.training.data import ArrayDataset, make_loader
    from meddx.training.fit import train_and_restore
    from meddx.training.plan import Plan

    rng = np.random.default_rng(0)
    images, labels = rng.normal(size=(8, 1, 12, 12)).astype(np.float32), np.arange(8) % 2
    args = {"in_channels": 1, "spatial_dims": 2, "image_size": 12}
    task = ClassificationTask("seed-cnn", args, "binary", 2, max_epochs=1)
    config = TrainConfig(data="x", epochs=1, precision="32-true", seed=5)
    plan = Plan(model="seed-cnn", model_args=args, image_size=[12, 12], channels=1, batch_size=4, epochs=1,
                class_weights=[1.0, 2.5], early_stopping_patience=4,
                normalization={"spatial_size": [12, 12], "channels": 1, "mean": [np.float32(0.1)], "std": [0.9]},
                reasons={"epochs": "given"})
    plan.write(tmp_path / "plan.json")
    (tmp_path / "config.json").write_text(json.dumps(config.model_dump(mode="json")))
    loader = make_loader(ArrayDataset(images, labels), 4, shuffle=False)
    train_and_restore(config, plan, task, loader, loader, tmp_path, progress=False, resume=False)
    saved = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert saved["meddx_plan"] == json.loads((tmp_path / "plan.json").read_text())
    assert saved["meddx_plan"]["class_weights"] == [1.0, 2.5]
    written = json.loads((tmp_path / "plan.json").read_text())
    (tmp_path / "plan.json").write_text(json.dumps({**written, "batch_size": 2}))
    with pytest.raises(ConfigError, match="plan.json: batch_size 2 differs from the 4"):
        runlib.resume_config(tmp_path)
