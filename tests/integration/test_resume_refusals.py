"""``--resume`` after ``plan.json`` or ``config.json`` were edited in ways a resume cannot honour.

Found by an audit: ``"model": "resnet18"`` edited into a seed-cnn run's plan.json ended the resume
with a state-dict traceback; ``"lr": 0.5`` edited into its config.json resumed without a word at the
checkpoint's learning rate while the bundle recorded 0.5; ``"image_size": [20, 20]`` resumed at the
fitted 16 px while the bundle's plan said 20. Each is now refused before anything trains, naming
the file and field and what the run started with.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli


@pytest.fixture()
def finished_run(tmp_path: Path, meddx_home: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    from meddx.data.synthetic import make_lesion_source

    source = make_lesion_source(40, 16, 8, size=16, seed=2, contrast=2.0)
    data = {f"{split}_{kind}": (s.images[:, 0] if kind == "images" else s.labels[:, None])
            for split, s in source.splits.items() for kind in ("images", "labels")}
    np.savez(tmp_path / "lesions.npz", **data)
    first = run_cli(["train", "--data", str(tmp_path / "lesions.npz"), "--model", "seed-cnn", "--epochs", "1",
                     "--batch-size", "16", "--no-progress"], capsys)
    assert first.code == 0, first.err
    run = next((meddx_home / "runs").iterdir())
    _edit(run / "plan.json", epochs=2)  # to train longer: the documented edit, accepted
    return run


def _edit(path: Path, **fields: object) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **fields}))


@pytest.mark.parametrize(("file", "field", "value", "named"), [
    ("plan.json", "model", "resnet18", "plan.json model 'resnet18' (the run started with 'seed-cnn')"),
    ("config.json", "lr", 0.5, "config.json: lr 0.5 differs from the 0.002 the run started with"),
    ("plan.json", "image_size", [20, 20], "image_size [20, 20] differs from the [16, 16] the run was trained at"),
])
def test_an_edit_a_resume_cannot_honour_is_refused_before_training(finished_run: Path, file: str, field: str,
                                                                   value: object, named: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    last = finished_run / "checkpoints" / "last.ckpt"
    before = last.stat().st_mtime_ns
    _edit(finished_run / file, **{field: value})
    result = run_cli(["train", "--resume", str(finished_run), "--no-progress"], capsys)
    assert result.code == 2 and "Traceback" not in result.err, result.err
    assert named in result.err and "start a new run" in result.err
    assert last.stat().st_mtime_ns == before  # nothing trained
