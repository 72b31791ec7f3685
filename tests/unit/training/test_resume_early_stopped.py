"""A network that early stopping ended is not trained again by a resume that only evaluates and saves.

Found by an audit: a run early-stopped after epoch N whose evaluation was interrupted (the note says
"resume to evaluate and save"), or an ensemble's first network, early-stopped, when a later network
was interrupted, went on training on resume: Lightning restores early stopping's counters but checks
them only after the next epoch's validation, so one more epoch ran, ``trainer.json`` said N + 1
epochs, and the weights kept could change. It now stays stopped, as a network that ran its planned
epochs or spent its time limit does.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.training.config import TrainConfig


def _noise_table(path: Path, n: int = 60) -> Path:
    """Labels unrelated to the features: validation stops improving within a few epochs."""
    rng = np.random.default_rng(3)
    rows = ["a,b,label", *(f"{a:.4f},{b:.4f},{int(t)}" for (a, b), t in zip(rng.normal(size=(n, 2)),
                                                                        rng.random(n) > 0.5))]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_an_early_stopped_run_resumed_to_evaluate_trains_no_more(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.training.finish as finish
    from meddx.training.fit import fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    config = TrainConfig(data=str(_noise_table(tmp_path / "t.csv")), model="mlp", epochs=60, seed=0,
                         ci_resamples=0, name="stopped", early_stopping_patience=2)
    finish_run = finish.finish_run

    def interrupted(*args: object, **kwargs: object) -> None:
        raise RuntimeError("evaluation interrupted")

    monkeypatch.setattr(finish, "finish_run", interrupted)
    with pytest.raises(RuntimeError, match="evaluation interrupted"):
        fit(config, progress=False)
    run = next((tmp_path / "home" / "runs").glob("stopped-*"))
    first = json.loads((run / "trainer.json").read_text())
    assert first["stopped_by"] == "early stopping" and first["epochs_run"] < 60, first

    monkeypatch.setattr(finish, "finish_run", finish_run)
    fit(None, resume=run, progress=False)
    again = json.loads((run / "trainer.json").read_text())
    assert (again["epochs_run"], again["stopped_by"]) == (first["epochs_run"], "early stopping"), again
    assert again["best_checkpoint"] == first["best_checkpoint"]
