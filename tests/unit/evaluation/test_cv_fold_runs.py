"""Finding an interrupted fold's training run again (``meddx cv --resume`` goes on from its last finished
epoch): the newest run writing this cross-validation's fold bundle, taken up only with a whole checkpoint,
the recorded settings and no saved bundle; otherwise the reason is said. And a Ctrl-C in fold 0 after an
epoch was saved keeps the cross-validation resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.evaluation import cv_plan
from meddx.evaluation.cv_fold_runs import FoldRun, latest_fold_run, resumable_fold_run
from meddx.training.config import TrainConfig

SETTINGS = TrainConfig(data="table.csv", model="mlp", epochs=3, seed=3).model_dump(mode="json")


def _fold_run(home: Path, out_dir: Path, k: int, stamp: str, epoch: int | None = 0, **changes: object) -> Path:
    """A fold run folder as ``training.fit`` leaves it: config.json (output: the fold's bundle), plan.json
    and, with ``epoch``, a ``last.ckpt`` holding epochs 0..``epoch``."""
    run = home / "runs" / f"table-fold{k}-{stamp}"
    (run / "checkpoints").mkdir(parents=True)
    config = {**SETTINGS, "name": f"table-fold{k}", "output": str(out_dir / f"fold{k}"), "add_to_registry": False,
              "verify": False, "evaluate_test": True, "precision": "32-true", **changes}
    (run / "config.json").write_text(json.dumps(config))
    (run / "plan.json").write_text(json.dumps({"epochs": 3}))
    if epoch is not None:
        torch.save({"epoch": epoch, "state_dict": {"w": torch.zeros(2)}}, run / "checkpoints" / "last.ckpt")
    return run


def test_the_newest_run_of_the_fold_writing_this_folder_is_taken(tmp_path: Path, meddx_home: Path) -> None:
    out = tmp_path / "cv"
    older = _fold_run(meddx_home, out, 1, "20261125-100000")
    newer = _fold_run(meddx_home, out, 1, "20261125-110000", epoch=1)
    _fold_run(meddx_home, tmp_path / "other-cv", 1, "20261125-120000")  # another cross-validation's fold 1
    _fold_run(meddx_home, out, 2, "20261125-130000")  # another fold
    assert latest_fold_run(out, 1) == newer != older
    run, why = resumable_fold_run(out, 1, SETTINGS)
    assert why is None and run == FoldRun(newer, epochs_saved=2, epochs_planned=3)
    assert run.line(1) == f"  fold 1: resumed from epoch 3 of 3 ({newer})"
    assert FoldRun(newer, 3, 3).line(1) == (f"  fold 1: resumed after its last epoch (3 of 3), to be evaluated and "
                                            f"saved ({newer})")
    assert latest_fold_run(out, 0) is None and resumable_fold_run(out, 0, SETTINGS) == (None, None)


def test_a_newest_run_without_checkpoint_is_not_passed_over_for_an_older_one(tmp_path: Path,
                                                                              meddx_home: Path) -> None:
    out = tmp_path / "cv"
    _fold_run(meddx_home, out, 1, "20261125-100000")  # left by an earlier run into the same folder
    newest = _fold_run(meddx_home, out, 1, "20261125-110000", epoch=None)  # this run's: stopped in its first epoch
    assert resumable_fold_run(out, 1, SETTINGS) == (None, f"its run {newest} had finished no epoch")


@pytest.mark.parametrize(("change", "said"), [
    ("settings", "was started with other settings (epochs)"),
    ("bundle", "saved its bundle but the cross-validation did not record it"),
    ("damaged", "is not a readable checkpoint (truncated"),
])
def test_a_run_that_cannot_be_taken_up_says_why(tmp_path: Path, meddx_home: Path, change: str, said: str) -> None:
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 0, "20261125-100000", **({"epochs": 5} if change == "settings" else {}))
    if change == "bundle":
        (run / "metrics.json").write_text("{}")
    if change == "damaged":
        last = run / "checkpoints" / "last.ckpt"
        last.write_bytes(last.read_bytes()[:40])
    found, why = resumable_fold_run(out, 0, SETTINGS)
    assert found is None and said in why and "\n" not in why


def test_a_ctrl_c_in_fold_0_after_an_epoch_was_saved_keeps_the_cv_resumable(tmp_path: Path,
                                                                             meddx_home: Path) -> None:
    """Before, a Ctrl-C in fold 0 said "none finished, nothing kept; run it again" and removed
    cv_plan.json, although fold 0's run had saved epochs a resume now goes on from."""
    from meddx.evaluation.cv_resume import fold_outcomes
    from meddx.training.fit import TrainingInterrupted

    out = tmp_path / "cv"
    out.mkdir()
    (out / cv_plan.PLAN_FILE).write_text("{}")
    run = _fold_run(meddx_home, out, 0, "20261125-100000", epoch=1)

    def interrupted(k: int, resume_from: Path | None) -> None:
        raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted) as caught:
        fold_outcomes(3, out, None, print, interrupted)  # type: ignore[arg-type]
    assert str(caught.value) == (f"cross-validation interrupted in fold 0 (folds 0 to 2; fold 0's 2 finished epochs in "
                                 f"{run / 'checkpoints' / 'last.ckpt'}); resume with: meddx cv --resume {out}")
    assert (out / cv_plan.PLAN_FILE).is_file()


def _plan(out: Path, started: str, runs: Path | None = None) -> None:
    """The parts of ``cv_plan.json`` fold runs are found by: when the cross-validation started, and where."""
    out.mkdir(parents=True, exist_ok=True)
    (out / cv_plan.PLAN_FILE).write_text(json.dumps({"started": started, "runs": str(runs) if runs else None}))


def test_a_run_of_an_earlier_cv_into_the_same_folder_is_not_taken_up(tmp_path: Path, meddx_home: Path) -> None:
    """An earlier cross-validation into FOLDER (interrupted, its folder removed, the cv run again) left fold 1's
    run with a checkpoint, the same settings and data. Before, this cv's resume went on from it when fold 1 of
    this cv had left no run (interrupted before it), and the Ctrl-C line counted its epochs as this cv's; a
    finished one gave the false reason "saved its bundle but the cross-validation did not record it"."""
    from meddx.evaluation.cv_fold_runs import interrupted_fold_note

    out = tmp_path / "cv"
    stale = _fold_run(meddx_home, out, 1, "20261125-100000", epoch=1)
    finished = _fold_run(meddx_home, out, 2, "20261125-100500", epoch=2)
    (finished / "metrics.json").write_text("{}")
    _plan(out, "2026-11-25T11:00:00Z")
    assert latest_fold_run(out, 1) is None and interrupted_fold_note(out, 1) is None
    assert resumable_fold_run(out, 1, SETTINGS) == (None, None)
    assert resumable_fold_run(out, 2, SETTINGS) == (None, None)
    ours = _fold_run(meddx_home, out, 1, "20261125-110000", epoch=None)  # this cv's: stopped inside epoch 1
    assert resumable_fold_run(out, 1, SETTINGS) == (None, f"its run {ours} had finished no epoch")
    assert stale.is_dir()  # left alone
    _plan(out, "2026-11-25T09:00:00Z")  # started before both: the older run is this cv's own
    assert latest_fold_run(out, 2) == finished


def test_a_resume_under_another_meddx_home_says_where_the_fold_run_is(tmp_path: Path, meddx_home: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 1, "20261125-110000", epoch=1)
    _plan(out, "2026-11-25T10:00:00Z", runs=meddx_home / "runs")
    assert resumable_fold_run(out, 1, SETTINGS, str(meddx_home / "runs"))[0].path == run
    other = tmp_path / "other-home"
    monkeypatch.setenv("MEDDX_HOME", str(other))
    found, why = resumable_fold_run(out, 1, SETTINGS, str(meddx_home / "runs"))
    assert found is None and why == (f"its run {run} is under {meddx_home / 'runs'}, MEDDX_HOME's runs folder when "
                                     f"the cross-validation started, not under {(other / 'runs').resolve()}; to go "
                                     "on from it instead, resume with that MEDDX_HOME")
    assert resumable_fold_run(out, 2, SETTINGS, str(meddx_home / "runs")) == (None, None)  # no run of fold 2 there


@pytest.mark.parametrize("cause", ["early stopping", "the time limit"])
def test_a_fold_whose_training_had_ended_is_said_to_be_only_evaluated(tmp_path: Path, meddx_home: Path,
                                                                      cause: str) -> None:
    """Interrupted while it was evaluated or saved after early stopping (or the time limit) ended it after 2 of
    its 3 epochs, the fold is evaluated and saved (training's StayEarlyStopped); before, its line said "resumed
    from epoch 3 of 3"."""
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 0, "20261125-100000", epoch=1)
    (run / "trainer.json").write_text(json.dumps({"epochs_run": 2, "epochs_planned": 3, "stopped_by": cause}))
    found, why = resumable_fold_run(out, 0, SETTINGS)
    assert why is None and found.line(0) == (f"  fold 0: resumed after its last epoch (2 of 3; {cause} ended its "
                                             f"training), to be evaluated and saved ({run})")
    (run / "trainer.json").write_text(json.dumps({"epochs_run": 1, "epochs_planned": 3, "stopped_by": cause}))
    assert resumable_fold_run(out, 0, SETTINGS)[0].line(0) == f"  fold 0: resumed from epoch 3 of 3 ({run})"


def test_a_time_budget_fold_is_said_to_go_on_as_its_budget_allows(tmp_path: Path, meddx_home: Path) -> None:
    """A --time-budget fold's plan.json holds the epochs' upper bound (a table MLP: 100) and the time limit, counted
    over both legs, ends it sooner: before, the line said "resumed from epoch 2 of 100" for a fold that would run
    57 epochs."""
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 1, "20261125-100000", epoch=0, time_budget=0.1)
    found, why = resumable_fold_run(out, 1, {**SETTINGS, "time_budget": 0.1})
    assert why is None and found.line(1) == (f"  fold 1: resumed from epoch 2 (of up to 3, as its 0.1-minute "
                                             f"--time-budget allows) ({run})")


def test_the_ctrl_c_line_counts_no_epochs_of_a_run_that_saved_its_bundle(tmp_path: Path, meddx_home: Path) -> None:
    """A resume retrains a fold whose run saved its bundle unrecorded; a Ctrl-C before its new run existed
    said "fold 1's 3 finished epochs in RUN/checkpoints/last.ckpt", epochs the next resume does not go on from."""
    from meddx.evaluation.cv_fold_runs import interrupted_fold_note

    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 1, "20261125-100000", epoch=2)
    assert interrupted_fold_note(out, 1) == f"fold 1's 3 finished epochs in {run / 'checkpoints' / 'last.ckpt'}"
    (run / "metrics.json").write_text("{}")
    assert interrupted_fold_note(out, 1) is None
