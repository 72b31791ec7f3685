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
    _fold_run(meddx_home, out, 1, "20261125-110000", epoch=None)  # this run's: stopped in its first epoch
    assert resumable_fold_run(out, 1, SETTINGS) == (None, None)


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
