"""``meddx cv --resume FOLDER`` goes on inside the fold it was interrupted in, from that fold's last
finished epoch (training's own resume of the fold's run), instead of retraining it from its first; a
fold run whose ``last.ckpt`` is damaged is retrained from epoch 1 with a line saying why; a Ctrl-C
while the trained folds are pooled names the resume. Tiny tables (a torch MLP, 3 folds of 3 epochs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli
from test_cv_resume import _without_paths
from test_tabular_cli import write_table


@pytest.fixture(scope="module")
def cv_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A 3-fold, 3-epoch cross-validation config, and the folder of its uninterrupted run (once for the module:
    the tests only read it; each test's own runs go to its own MEDDX_HOME)."""
    from meddx.evaluation.cv import cross_validate
    from meddx.training.config import load_config

    root = tmp_path_factory.mktemp("cv_fold_resume")
    table = write_table(root / "synthetic.csv", n=150)
    config = root / "cv.yaml"
    config.write_text(f"data: {table}\nmodel: mlp\nepochs: 3\nci_resamples: 20\nseed: 3\n")
    whole = root / "whole"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(root / "home"))
        cross_validate(load_config(config), folds=3, out=whole)  # as `meddx cv CONFIG --folds 3 --out WHOLE`
    return table, config, whole


class Spy:
    """Counts each fold's ``fit`` calls (and whether they resumed) and the epochs each one trains; raises
    one Ctrl-C inside epoch ``stop_epoch`` (from 0) of fold ``stop_fold``'s first training."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, stop_fold: int | None = None, stop_epoch: int = 1) -> None:
        from meddx.training import checkpoint
        from meddx.training import fit as fitlib

        self.fits: list[tuple[str, bool]] = []  # (fold source name, resumed)
        self.epochs: list[tuple[str, int]] = []  # (fold source name, epoch started, from 0)
        self.stop_fold, self.stop_epoch, self.stopped = stop_fold, stop_epoch, False
        real_fit = fitlib.fit

        def fit(*args: Any, **kwargs: Any) -> Any:
            self.fits.append((kwargs["source"].name, kwargs.get("resume") is not None))
            return real_fit(*args, **kwargs)

        def epoch_start(callback: Any, trainer: Any, pl_module: Any) -> None:
            self.epochs.append((self.fits[-1][0], int(trainer.current_epoch)))

        def batch_start(callback: Any, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
            fold = self.fits[-1][0]
            if (not self.stopped and self.stop_fold is not None and fold.endswith(f"-fold{self.stop_fold}")
                    and trainer.current_epoch == self.stop_epoch and batch_idx == 1):
                self.stopped = True
                raise KeyboardInterrupt  # as a Ctrl-C inside the epoch

        monkeypatch.setattr(fitlib, "fit", fit)
        monkeypatch.setattr(checkpoint.LastEveryEpoch, "on_train_epoch_start", epoch_start, raising=False)
        monkeypatch.setattr(checkpoint.LastEveryEpoch, "on_train_batch_start", batch_start, raising=False)

    def clear(self) -> None:
        self.fits.clear()
        self.epochs.clear()

    def epochs_of(self, fold: int) -> list[int]:
        return [e for name, e in self.epochs if name.endswith(f"-fold{fold}")]


def _interrupted_in_fold_1(config: Path, broken: Path, spy: Spy, capsys: pytest.CaptureFixture[str]) -> Path:
    """Run the cv into ``broken`` with a Ctrl-C inside fold 1's second epoch; return fold 1's run folder."""
    from meddx.core.paths import runs_dir

    result = run_cli(["cv", str(config), "--folds", "3", "--out", str(broken)], capsys)
    assert result.code == 130 and spy.stopped, result.out + result.err
    [run] = [r for r in runs_dir().glob("*-fold1-*")  # fold 1's training run, under MEDDX_HOME/runs
             if json.loads((r / "config.json").read_text())["output"] == str(broken / "fold1")]
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert f"fold 1's 1 finished epoch in {run / 'checkpoints' / 'last.ckpt'}" in result.err, result.err
    assert f"resume with: meddx cv --resume {broken}" in result.err
    return run


def test_resume_goes_on_inside_the_interrupted_fold(cv_setup: tuple[Path, Path, Path], tmp_path: Path,
                                                    meddx_home: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Also a Ctrl-C while the folds are pooled (in the resume, after every fold trained): it names the resume,
    and the second resume only pools (one cross-validation fewer than a test of its own)."""
    from meddx.evaluation import cv
    from meddx.registry.runs import get_run

    table, config, whole = cv_setup
    broken = tmp_path / "broken"
    spy = Spy(monkeypatch, stop_fold=1, stop_epoch=1)
    run = _interrupted_in_fold_1(config, broken, spy, capsys)

    real, stopped = cv._pool, []

    def interrupted_once(*args: Any, **kwargs: Any) -> Any:  # Ctrl-C while the folds are pooled, after every fold
        if not stopped:
            stopped.append(True)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(cv, "_pool", interrupted_once)
    spy.clear()
    result = run_cli(["cv", "--resume", str(broken)], capsys)
    assert result.code == 130 and stopped, result.out + result.err
    said = result.out + result.err  # the fold lines: on stdout or stderr (notices), as the CLI prints them
    assert "fold 0: reused" in said and f"fold 1: resumed from epoch 2 of 3 ({run})" in said
    assert "fold 2: training" in said
    assert spy.fits == [(f"{table.stem}-fold1", True), (f"{table.stem}-fold2", False)]  # fold 1 from its checkpoint
    assert spy.epochs_of(1) == [1, 2] and spy.epochs_of(2) == [0, 1, 2]  # fold 1's epoch 1 not trained again
    assert "after its 3 folds were trained, before cv.json was written" in result.err
    assert f"resume with: meddx cv --resume {broken}" in result.err and not (broken / "cv.json").exists()
    row = get_run(str(broken))
    assert (row.status, row.resume_command) == ("interrupted", f"meddx cv --resume {broken}")

    spy.clear()
    result = run_cli(["cv", "--resume", str(broken)], capsys)
    assert result.code == 0 and spy.fits == [], result.out + result.err  # every fold reused: only pooled
    first, resumed = (json.loads((d / "cv.json").read_text()) for d in (whole, broken))
    assert _without_paths(resumed) == _without_paths(first)  # every metric to the last digit
    assert (broken / "oof_predictions.csv").read_bytes() == (whole / "oof_predictions.csv").read_bytes()
    plan = json.loads((broken / "cv_plan.json").read_text())
    assert plan["resumes"][0]["resumed"] == [{"fold": 1, "run": str(run), "epochs_saved": 1}]

    fold_run = get_run(str(run))  # the fold's own run: finished by the resume, never a `train --resume`
    assert (fold_run.status, fold_run.resumes, fold_run.resume_command) == ("finished", 1, None)


def test_a_damaged_last_checkpoint_retrains_the_fold_from_its_first_epoch(
        cv_setup: tuple[Path, Path, Path], tmp_path: Path, meddx_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _, config, whole = cv_setup
    broken = tmp_path / "broken"
    spy = Spy(monkeypatch, stop_fold=1, stop_epoch=1)
    run = _interrupted_in_fold_1(config, broken, spy, capsys)
    last = run / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])  # cut, as by a full disk

    spy.clear()
    result = run_cli(["cv", "--resume", str(broken)], capsys)
    assert result.code == 0, result.out + result.err
    said = result.out + result.err
    assert f"fold 1: training from its first epoch: {last} is not a readable checkpoint (truncated" in said
    assert spy.fits[0][1] is False and spy.epochs_of(1) == [0, 1, 2]
    first, resumed = (json.loads((d / "cv.json").read_text()) for d in (whole, broken))
    assert _without_paths(resumed) == _without_paths(first)


def test_a_relative_out_resumed_from_another_folder_goes_on_inside_its_fold(
        cv_setup: tuple[Path, Path, Path], tmp_path: Path, meddx_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``meddx cv --out cv`` run in folder A, resumed as ``meddx cv --resume A/cv`` from A's parent. Before, the
    fold runs recorded the relative ``output`` and fold records the relative bundle, so from elsewhere every
    fold was trained again from its first epoch (fold 0 too), saying only "training", and a fold run's bundle
    would have been saved relative to the resume's folder."""
    _, config, whole = cv_setup
    started = tmp_path / "a"
    started.mkdir()
    monkeypatch.chdir(started)
    spy = Spy(monkeypatch, stop_fold=1, stop_epoch=1)
    result = run_cli(["cv", str(config), "--folds", "3", "--out", "cv"], capsys)
    assert result.code == 130 and spy.stopped, result.out + result.err
    assert "resume with: meddx cv --resume cv" in result.err

    monkeypatch.chdir(tmp_path)
    spy.clear()
    result = run_cli(["cv", "--resume", "a/cv"], capsys)
    assert result.code == 0, result.out + result.err
    said = result.out + result.err
    assert "fold 0: reused (a/cv/fold0)" in said, said
    assert "fold 1: resumed from epoch 2 of 3" in said, said
    assert spy.epochs_of(0) == [] and spy.epochs_of(1) == [1, 2]
    summary = json.loads((started / "cv" / "cv.json").read_text())
    assert [f["bundle"] for f in summary["folds"]] == [f"a/cv/fold{k}" for k in range(3)]  # as given, from here
    assert not (tmp_path / "cv").exists()  # no bundle saved relative to the resume's folder
    assert _without_paths(summary) == _without_paths(json.loads((whole / "cv.json").read_text()))


def test_a_saved_fold_is_reused_and_a_moved_folder_goes_on_inside_its_fold(
        cv_setup: tuple[Path, Path, Path], tmp_path: Path, meddx_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Two cases left by stop 51, in one cross-validation. A Ctrl-C after fold 1's bundle was saved but before its
    cv_folds record was written: before, the resume removed the bundle and trained fold 1 again from its first
    epoch; now it is reused, its held-out part predicted again from it (the same bits as the uninterrupted run's).
    Then, interrupted inside fold 2 and moved (`mv first second`): before, fold 2 trained again from epoch 1
    with a bare "training" line (its run recorded the old absolute path); now it goes on from its last finished
    epoch and saves its bundle into the moved folder."""
    from meddx.evaluation import cv_resume

    table, config, whole = cv_setup
    first, second = tmp_path / "first", tmp_path / "second"
    spy = Spy(monkeypatch, stop_fold=2, stop_epoch=1)
    real_save, stopped = cv_resume.save_fold, []

    def interrupted_once(out_dir: Path, k: int, fold: Any) -> Path:  # Ctrl-C between fold 1's bundle and record
        if k == 1 and not stopped:
            stopped.append(True)
            raise KeyboardInterrupt
        return real_save(out_dir, k, fold)

    monkeypatch.setattr(cv_resume, "save_fold", interrupted_once)
    result = run_cli(["cv", str(config), "--folds", "3", "--out", str(first)], capsys)
    assert result.code == 130 and stopped, result.out + result.err
    assert f"fold 1's bundle {first / 'fold1'}, saved before its record (a resume reuses it)" in result.err

    spy.clear()
    result = run_cli(["cv", "--resume", str(first)], capsys)  # a Ctrl-C inside fold 2's second epoch
    assert result.code == 130 and spy.stopped, result.out + result.err
    said = result.out + result.err
    assert "2 of 3 folds finished and reused (1 predicted again from its saved bundle), 1 to train" in said, said
    assert f"fold 1: reused ({first / 'fold1'}; saved before the interrupt" in said
    assert spy.fits == [(f"{table.stem}-fold2", False)]  # fold 1 not trained again
    plan = json.loads((first / "cv_plan.json").read_text())
    assert plan["resumes"][0]["predicted_again"] == [1] and plan["folder"] == str(first)

    first.rename(second)
    spy.clear()
    result = run_cli(["cv", "--resume", str(second)], capsys)
    assert result.code == 0, result.out + result.err
    said = result.out + result.err
    assert "fold 2: resumed from epoch 2 of 3" in said, said
    assert f"its bundle goes to this folder, not to {first})" in said, said
    assert spy.fits == [(f"{table.stem}-fold2", True)] and spy.epochs_of(2) == [1, 2]
    assert not first.exists() and (second / "fold2" / "weights.safetensors").is_file()
    summary = json.loads((second / "cv.json").read_text())
    assert [f["bundle"] for f in summary["folds"]] == [str(second / f"fold{k}") for k in range(3)]
    assert _without_paths(summary) == _without_paths(json.loads((whole / "cv.json").read_text()))
    assert (second / "oof_predictions.csv").read_bytes() == (whole / "oof_predictions.csv").read_bytes()
