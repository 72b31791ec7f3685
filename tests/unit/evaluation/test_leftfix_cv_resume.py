"""``meddx cv --resume``: an ensemble fold's line counts each network's epochs, saved and left (the Ctrl-C line
counted them, the resume line did not); and a fold whose saved bundle could not predict, and was therefore
trained again, is recorded in ``cv_plan.json`` as trained, not as ``predicted_again``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.evaluation import cv_plan
from meddx.evaluation.cv_fold_runs import FoldRun, resumable_fold_run
from meddx.training.config import TrainConfig

SETTINGS = TrainConfig(data="notes.csv", model="lstm", epochs=3, seed=3).model_dump(mode="json")


def _fold_run(home: Path, out_dir: Path, k: int, epoch: int | None, **changes: object) -> Path:
    """A fold run folder as ``training.fit`` leaves it: config.json (output: the fold's bundle), plan.json
    (3 epochs) and, with ``epoch``, a ``last.ckpt`` holding epochs 0..``epoch``."""
    run = home / "runs" / f"notes-fold{k}-20261125-100000"
    (run / "checkpoints").mkdir(parents=True)
    config = {**SETTINGS, "name": f"notes-fold{k}", "output": str(out_dir / f"fold{k}"), "add_to_registry": False,
              "verify": False, "evaluate_test": True, "precision": "32-true", **changes}
    (run / "config.json").write_text(json.dumps(config))
    (run / "plan.json").write_text(json.dumps({"epochs": 3}))
    if epoch is not None:
        _checkpoint(run, epoch)
    return run


def _checkpoint(folder: Path, epoch: int) -> None:
    (folder / "checkpoints").mkdir(parents=True, exist_ok=True)
    torch.save({"epoch": epoch, "state_dict": {"w": torch.zeros(2)}}, folder / "checkpoints" / "last.ckpt")


def _member(run: Path, m: int, planned: int, epoch: int | None) -> Path:
    """Network m+1 of the run: ``members/<m>`` with its own plan.json and, with ``epoch``, its checkpoint."""
    folder = run / "members" / str(m)
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text(json.dumps({"epochs": planned}))
    if epoch is not None:
        _checkpoint(folder, epoch)
    return folder


def test_an_ensemble_folds_resume_line_counts_each_networks_epochs(tmp_path: Path, meddx_home: Path) -> None:
    """Network 1 finished its 3 epochs, network 2 (re-planned to 4) holds 1, network 3 none yet: before, the line
    said only "resumed, each network of its ensemble from its last finished epoch (RUN)"."""
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 1, epoch=2, ensemble=3)
    _member(run, 1, planned=4, epoch=0)
    _member(run, 2, planned=3, epoch=None)
    found, why = resumable_fold_run(out, 1, {**SETTINGS, "ensemble": 3})
    assert why is None and found is not None
    assert found.line(1) == (
        "  fold 1: resumed, its ensemble of 3 networks each from its last finished epoch: network 1's 3 finished "
        "epochs, none left; network 2's 1 finished epoch, 3 left; network 3: none yet, 3 to train "
        f"({run})")


def test_an_ensemble_network_ended_early_and_a_time_budget_are_said(tmp_path: Path, meddx_home: Path) -> None:
    """Network 1 stopped by early stopping after 2 of 3 epochs has none left; under a --time-budget the epochs
    left are an upper bound ("up to")."""
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 0, epoch=1, ensemble=2, time_budget=0.5)
    (run / "trainer.json").write_text(json.dumps({"epochs_run": 2, "stopped_by": "early stopping"}))
    _member(run, 1, planned=5, epoch=1)
    found, why = resumable_fold_run(out, 0, {**SETTINGS, "ensemble": 2, "time_budget": 0.5})
    assert why is None and found is not None
    assert found.line(0) == (
        "  fold 0: resumed, its ensemble of 2 networks each from its last finished epoch: network 1's 2 finished "
        "epochs, none left (early stopping ended its training); network 2's 2 finished epochs, up to 3 left "
        f"({run})")


def test_a_fold_that_is_no_ensemble_keeps_its_line(tmp_path: Path, meddx_home: Path) -> None:
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 1, epoch=0)
    found, _ = resumable_fold_run(out, 1, SETTINGS)
    assert found == FoldRun(run, epochs_saved=1, epochs_planned=3)
    assert found.line(1) == f"  fold 1: resumed from epoch 2 of 3 ({run})"


def test_a_saved_bundle_retrained_is_not_recorded_as_predicted_again(tmp_path: Path, meddx_home: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Fold 0's run saved its bundle before the interrupt, but the bundle cannot predict its held-out part: the
    fold is trained again from its first epoch. Before, cv_plan.json's resume entry still listed it under
    ``predicted_again`` (and ``reused``), not under ``trained``."""
    from meddx.core.errors import BundleError
    from meddx.evaluation import cv_resume

    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 0, epoch=2)
    (run / "metrics.json").write_text("{}")
    bundle = out / "fold0"
    bundle.mkdir(parents=True)
    (bundle / "metrics.json").write_text("{}")
    (bundle / "config.json").write_text(json.dumps({"training": {"run_dir": str(run)}}))

    def train(k: int, fold_run: FoldRun | None) -> str:
        if k == 0 and fold_run is not None:
            raise BundleError(f"{bundle / 'weights.safetensors'}: damaged")
        return f"trained {k}"

    monkeypatch.setattr(cv_resume, "save_fold", lambda *args: None)
    plan = {"config": SETTINGS}
    outcomes = cv_resume.fold_outcomes(2, out, plan, lambda line: None, train)  # type: ignore[arg-type]
    assert outcomes == ["trained 0", "trained 1"]
    entry = json.loads((out / cv_plan.PLAN_FILE).read_text())["resumes"][-1]
    assert entry["predicted_again"] == [] and entry["reused"] == [] and entry["trained"] == [0, 1]
    assert plan["resumes"][-1] == entry  # the plan in memory says the same as the file


def test_an_ensemble_whose_networks_all_ended_is_said_to_be_only_evaluated(tmp_path: Path, meddx_home: Path) -> None:
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 2, epoch=2, ensemble=2)
    _member(run, 1, planned=3, epoch=2)
    found, _ = resumable_fold_run(out, 2, {**SETTINGS, "ensemble": 2})
    assert found is not None and found.line(2) == (
        "  fold 2: resumed after the last epoch of each network of its ensemble of 2 (network 1's 3 finished epochs, "
        f"none left; network 2's 3 finished epochs, none left), to be evaluated and saved ({run})")
