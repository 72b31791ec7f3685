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


def test_a_run_of_an_earlier_cv_in_the_same_second_is_not_taken_up(tmp_path: Path, meddx_home: Path) -> None:
    """The ``started`` filter compares to the second: an earlier cross-validation into FOLDER that left fold 1's run
    in the second this one started (a script: run, Ctrl-C, remove, run again) was taken up as this one's. The runs
    into FOLDER that exist when a cross-validation starts are recorded (``earlier_runs``) and never taken up."""
    from meddx.evaluation.cv_fold_runs import interrupted_fold_note

    out = tmp_path / "cv"
    stale = _fold_run(meddx_home, out, 1, "20261125-110000", epoch=1)  # the earlier cv's, in 11:00:00
    _fold_run(meddx_home, tmp_path / "other", 1, "20261125-110000-2", epoch=1)  # another folder's: not listed
    plan = cv_plan.started_in(out, {"started": "2026-11-25T11:00:00Z"})
    assert plan["earlier_runs"] == [stale.name] and plan["folder"] == str(out)
    out.mkdir()
    (out / cv_plan.PLAN_FILE).write_text(json.dumps(plan))
    assert latest_fold_run(out, 1) is None and interrupted_fold_note(out, 1) is None
    ours = _fold_run(meddx_home, out, 1, "20261125-110000-3", epoch=0)  # this cv's, in the same second
    assert latest_fold_run(out, 1) == ours and resumable_fold_run(out, 1, SETTINGS)[0].epochs_saved == 1
    del plan["earlier_runs"]  # a plan written before the list (stop 51): the second alone, as before
    (out / cv_plan.PLAN_FILE).write_text(json.dumps(plan))
    assert latest_fold_run(out, 1) == ours


def test_an_ensemble_folds_ctrl_c_line_names_each_networks_epochs(tmp_path: Path, meddx_home: Path) -> None:
    """Before, it counted the first network's epochs only (``RUN/checkpoints/last.ckpt``), which a resume does not
    go on from alone: network 2 had one epoch kept, network 3 none."""
    from meddx.evaluation.cv_fold_runs import interrupted_fold_note

    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 1, "20261125-100000", epoch=2, ensemble=3)
    (run / "members" / "1" / "checkpoints").mkdir(parents=True)
    torch.save({"epoch": 0, "state_dict": {}}, run / "members" / "1" / "checkpoints" / "last.ckpt")
    (run / "members" / "2").mkdir()
    member = run / "members" / "1" / "checkpoints" / "last.ckpt"
    assert interrupted_fold_note(out, 1) == (
        f"fold 1's ensemble of 3 networks: network 1's 3 finished epochs in {run / 'checkpoints' / 'last.ckpt'}, "
        f"network 2's 1 finished epoch in {member}, network 3: none yet")


def _moved(tmp_path: Path, home: Path) -> tuple[Path, Path, Path]:
    """A cross-validation started in ``first`` (its plan records the folder), its fold 1 run interrupted after an
    epoch, the folder then moved to ``second``."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    (first / cv_plan.PLAN_FILE).write_text(json.dumps(cv_plan.started_in(first, {"started": "2026-11-25T10:00:00Z"})))
    run = _fold_run(home, first, 1, "20261125-110000", epoch=0)
    first.rename(second)
    return first, second, run


def test_a_moved_cv_goes_on_from_its_fold_run_and_saves_into_the_new_folder(tmp_path: Path, meddx_home: Path) -> None:
    from meddx.evaluation.cv_fold_runs import retarget

    first, second, run = _moved(tmp_path, meddx_home)
    found, why = resumable_fold_run(second, 1, SETTINGS)
    assert why is None and (found.path, found.moved_from) == (run, first)
    assert found.line(1) == (f"  fold 1: resumed from epoch 2 of 3 ({run}; its bundle goes to this folder, not to "
                             f"{first})")
    retarget(run, second, 1)
    assert json.loads((run / "config.json").read_text())["output"] == str(second / "fold1")
    assert resumable_fold_run(second, 1, SETTINGS)[0].moved_from is None


def test_a_copied_cv_does_not_take_up_its_originals_fold_run(tmp_path: Path, meddx_home: Path) -> None:
    """`cp -r first second; meddx cv --resume second`: the run is the original's (it saves into ``first``); taken up
    from the copy, the original could no longer go on from it."""
    import shutil

    first, second, run = _moved(tmp_path, meddx_home)
    shutil.copytree(second, first)
    found, why = resumable_fold_run(second, 1, SETTINGS)
    assert found is None and why == (f"its run {run} saves into {first}, where this cross-validation started and "
                                     "which still holds one (a copy does not go on from its original's runs: resume "
                                     f"that one with meddx cv --resume {first})")
    assert resumable_fold_run(first, 1, SETTINGS)[0].path == run


def test_a_run_that_saved_the_bundle_beside_is_reused_not_retrained(tmp_path: Path, meddx_home: Path) -> None:
    """Interrupted between its bundle and its cv record: before, "saved its bundle but the cross-validation did not
    record it" and the fold trained again from its first epoch. A bundle another run saved is not this run's."""
    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 1, "20261125-100000", epoch=2)
    (run / "metrics.json").write_text("{}")
    bundle = out / "fold1"
    bundle.mkdir(parents=True)
    (bundle / "metrics.json").write_text("{}")
    (bundle / "config.json").write_text(json.dumps({"training": {"run_dir": str(run)}}))
    found, why = resumable_fold_run(out, 1, SETTINGS)
    assert why is None and found.saved == bundle
    assert found.line(1) == (f"  fold 1: reused ({bundle}; saved before the interrupt, its record was not: its "
                             "held-out part is predicted again from it)")
    (bundle / "config.json").write_text(json.dumps({"training": {"run_dir": str(tmp_path / "another-run")}}))
    assert resumable_fold_run(out, 1, SETTINGS) == (
        None, f"its run {run} saved its bundle but the cross-validation did not record it")


def test_a_moved_cv_of_an_older_plan_names_the_run_it_does_not_take_up(tmp_path: Path, meddx_home: Path) -> None:
    """A plan written by stop 51 records no ``folder``: the fold cannot know its run is its own (before, its line
    said a bare "training"); it names the run and why."""
    first, second = tmp_path / "first", tmp_path / "second"
    _plan(first, "2026-11-25T10:00:00Z")  # started and runs only, as stop 51 wrote them
    run = _fold_run(meddx_home, first, 1, "20261125-110000", epoch=0)
    first.rename(second)
    assert resumable_fold_run(second, 1, SETTINGS) == (None, (
        f"its run {run} may be this fold's but saves into {first / 'fold1'}, a folder no longer there (this one was "
        "moved since?); its cv_plan.json, written by an older meddx, does not record the folder it started in, so the "
        "run is not taken up"))
    assert resumable_fold_run(second, 2, SETTINGS) == (None, None)


def test_a_saved_bundle_that_cannot_predict_is_trained_again_saying_why(tmp_path: Path, meddx_home: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.core.errors import BundleError
    from meddx.evaluation import cv_resume

    out = tmp_path / "cv"
    run = _fold_run(meddx_home, out, 0, "20261125-100000", epoch=2)
    (run / "metrics.json").write_text("{}")
    bundle = out / "fold0"
    bundle.mkdir(parents=True)
    (bundle / "metrics.json").write_text("{}")
    (bundle / "config.json").write_text(json.dumps({"training": {"run_dir": str(run)}}))
    calls, lines = [], []

    def train(k: int, fold_run: FoldRun | None) -> str:
        calls.append(None if fold_run is None else fold_run.saved)
        if fold_run is not None:
            raise BundleError(f"{bundle / 'weights.safetensors'}: damaged")
        return "trained"

    monkeypatch.setattr(cv_resume, "save_fold", lambda *args: None)
    outcomes = cv_resume.fold_outcomes(1, out, {"config": SETTINGS}, lines.append, train)  # type: ignore[arg-type]
    assert outcomes == ["trained"]
    assert calls == [bundle, None] and not bundle.exists()
    assert lines[-1] == (f"  fold 0: training from its first epoch: its saved bundle {bundle} could not predict its "
                         f"held-out part (BundleError; removed {bundle})")
