"""Training mechanics through the CLI: resume, plan override, two real processes, the demo."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli


def _val_rows(run_dir: Path) -> list[list[tuple[int, int]]]:
    """(epoch, global step) of each validation result, per (re)start's log."""
    out = []
    for log in sorted((run_dir / "logs").glob("version_*/metrics.csv")):
        with log.open() as fh:
            out.append([(int(r["epoch"]), int(r["step"])) for r in csv.DictReader(fh) if r.get("val_auc")])
    return out


def test_resume_continues_from_last_checkpoint(lesion_folder: Path, few_resamples: Path,
                                               meddx_home: Path, capsys) -> None:
    first = run_cli(["train", str(few_resamples), "--data", str(lesion_folder), "--model", "seed-cnn", "--epochs", "2",
                     "--name", "resumable", "--no-progress"], capsys)
    assert first.code == 0, first.err
    run_dir = next((meddx_home / "runs").iterdir())
    assert _val_rows(run_dir) == [[(0, 2), (1, 5)]]  # 300 samples / batch 128 = 3 steps per epoch
    # Extend the plan by one epoch, then resume: only epoch 2 may run, from the saved state.
    plan = json.loads((run_dir / "plan.json").read_text())
    plan["epochs"] = 3
    # Found by an audit: edited class weights changed the loss half-way through the run while the
    # bundle recorded them for every epoch; a resume now refuses them (the checkpoint records the plan).
    (run_dir / "plan.json").write_text(json.dumps({**plan, "class_weights": [1.0, 5.0]}))
    refused = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert refused.code == 2 and "plan.json: class_weights [1.0, 5.0] differs from the null" in refused.err
    (run_dir / "plan.json").write_text(json.dumps(plan))
    mtime_before = (run_dir / "checkpoints" / "last.ckpt").stat().st_mtime_ns
    import torch

    before = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["state_dict"]
    second = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert second.code == 0, second.err
    after = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    # Found by an outside-in audit: the restored schedule had ended at rate 0, so the extra epoch
    # changed no weight. Its end now follows the plan: 3 epochs x 3 steps.
    assert any(not torch.equal(before[k], after["state_dict"][k]) for k in before)
    assert after["lr_schedulers"][0]["lr_lambdas"][0]["total"] == 9
    trainer = json.loads((run_dir / "trainer.json").read_text())
    assert trainer["epochs_run"] == 3
    first_log, resumed_log = _val_rows(run_dir)
    assert first_log == [(0, 2), (1, 5)]  # the first run's log is kept
    # The resumed process starts at the saved global step 5 (it does not retrain epochs 0-1;
    # depending on where in the epoch Lightning saved last.ckpt it may re-validate epoch 1
    # first) and trains epoch 2 only.
    assert all(step >= 5 and epoch >= 1 for epoch, step in resumed_log) and resumed_log[-1] == (2, 8)
    assert (run_dir / "checkpoints" / "last.ckpt").stat().st_mtime_ns > mtime_before
    assert (meddx_home / "bundles" / "resumable" / "v2" / "weights.safetensors").is_file()
    bundle = json.loads((meddx_home / "bundles" / "resumable" / "v2" / "config.json").read_text())["training"]
    assert bundle["epochs_run"] == 3 and bundle["plan"]["class_weights"] is None
    assert "epochs run: 3 of 3 planned" in (meddx_home / "bundles" / "resumable" / "v2" / "model_card.md").read_text()
    # Found by an audit: resuming a finished run registered a copy, and flags beside --resume were ignored.
    again = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert again.code == 2 and "this run finished: 3 of 3 planned epochs" in again.err
    flags = run_cli(["train", "--resume", str(run_dir), "--epochs", "5", "--model", "resnet18"], capsys)
    assert flags.code == 2 and "--model, --epochs: not used with --resume" in flags.err
    assert not (meddx_home / "bundles" / "resumable" / "v3").exists()


def test_resume_refuses_other_data_at_the_recorded_path(tmp_path: Path, meddx_home: Path, capsys,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by an audit: a resume read whatever file the (relative) recorded path now named, and
    trained on it with the first data's normalisation and class weights."""
    import numpy as np

    def npz(path: Path, seed: int) -> None:
        rng = np.random.default_rng(seed)
        arrays = {}
        for split, n in (("train", 60), ("val", 20), ("test", 20)):
            arrays[f"{split}_images"] = rng.integers(0, 255, (n, 28, 28), dtype=np.uint8)
            arrays[f"{split}_labels"] = rng.integers(0, 2, (n, 1))
        np.savez(path, **arrays)

    monkeypatch.chdir(tmp_path)
    npz(tmp_path / "scans.npz", 0)
    first = run_cli(["train", "--data", "scans.npz", "--model", "seed-cnn", "--epochs", "1", "--no-progress"], capsys)
    assert first.code == 0, first.err
    run_dir = next((meddx_home / "runs").iterdir())
    assert json.loads((run_dir / "config.json").read_text())["data"] == str(tmp_path / "scans.npz")
    plan = json.loads((run_dir / "plan.json").read_text())
    (run_dir / "plan.json").write_text(json.dumps({**plan, "epochs": 2}))
    npz(tmp_path / "scans.npz", 1)  # other images and labels at the same path
    monkeypatch.chdir(meddx_home)
    refused = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert refused.code == 2 and "not the data run" in refused.err and "train" in refused.err


def test_an_unregistered_bundle_folder_is_not_overwritten_by_the_next_run(lesion_folder: Path, meddx_home: Path,
                                                                         tmp_path: Path, capsys) -> None:
    """Found by an audit: with add_to_registry off, a second run of the same name trained fully and
    then failed on the first run's bundle folder (v1 again)."""
    config = tmp_path / "noreg.yaml"
    config.write_text(f"data: {lesion_folder}\nname: noreg\nmodel: seed-cnn\nepochs: 1\nadd_to_registry: false\n")
    for _ in range(2):
        result = run_cli(["train", str(config), "--no-progress"], capsys)
        assert result.code == 0, result.err
    assert sorted(p.name for p in (meddx_home / "bundles" / "noreg").iterdir()) == ["v1", "v2"]


def test_last_checkpoint_follows_every_epoch_not_only_the_best(lesion_folder: Path, few_resamples: Path,
                                                               meddx_home: Path,
                                                               capsys) -> None:
    """With a learning rate too small to change validation, only epoch 0 is the best, yet
    last.ckpt (what --resume continues from) must hold the final epoch."""
    import torch

    result = run_cli(["train", str(few_resamples),
                      "--data", str(lesion_folder), "--model", "seed-cnn", "--epochs", "3", "--lr", "1e-12",
                      "--patience", "5", "--name", "flat", "--no-progress"], capsys)
    assert result.code == 0, result.err
    run_dir = next((meddx_home / "runs").iterdir())
    ckpts = run_dir / "checkpoints"
    assert [p.name for p in ckpts.glob("best-*.ckpt")] == ["best-epoch=000.ckpt"]
    last = torch.load(ckpts / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["epoch"] == 2 and last["global_step"] == 9  # 3 epochs x 3 steps


def test_ensemble_is_refused_for_classification(lesion_folder: Path, meddx_home: Path, capsys) -> None:
    result = run_cli(["train", "--data", str(lesion_folder), "--epochs", "1", "--ensemble", "2", "--no-progress"],
                     capsys)
    assert result.code == 2 and "segmentation" in result.err and "--ensemble" in result.err
    assert "Traceback" not in result.err and not list((meddx_home / "runs").glob("*"))


def test_resume_without_checkpoint_is_a_clear_error(tmp_path: Path, capsys) -> None:
    result = run_cli(["train", "--resume", str(tmp_path)], capsys)
    assert result.code == 2
    assert "nothing to resume" in result.err and "Traceback" not in result.err


def test_plan_file_overrides_automatic_choice(lesion_folder: Path, few_resamples: Path,
                                              meddx_home: Path, tmp_path: Path, capsys) -> None:
    edited = tmp_path / "plan.json"
    edited.write_text(json.dumps({"batch_size": 50, "epochs": 1}))
    result = run_cli(["train", str(few_resamples),
                      "--data", str(lesion_folder), "--model", "seed-cnn", "--plan", str(edited),
                      "--name", "planned", "--no-progress"], capsys)
    assert result.code == 0, result.err
    run_dir = next((meddx_home / "runs").iterdir())
    plan = json.loads((run_dir / "plan.json").read_text())
    assert plan["batch_size"] == 50 and plan["epochs"] == 1
    assert "overridden" in plan["reasons"]["batch_size"]


def test_time_budget_sets_epochs_from_measured_speed(lesion_folder: Path, few_resamples: Path,
                                                     meddx_home: Path, capsys) -> None:
    result = run_cli(["train", str(few_resamples),
                      "--data", str(lesion_folder), "--model", "seed-cnn", "--time-budget", "0.1",
                      "--name", "budget", "--no-progress"], capsys)
    assert result.code == 0, result.err
    plan = json.loads(next((meddx_home / "runs").iterdir()).joinpath("plan.json").read_text())
    assert plan["seconds_per_sample"] > 0
    assert "budget" in plan["reasons"]["epochs"]
    assert 1 <= plan["epochs"] <= 200


def test_a_probe_taken_under_load_is_corrected_after_the_first_epoch(lesion_folder: Path, few_resamples: Path,
                                                                     meddx_home: Path,
                                                                     capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed probe is made to read 50x slow (as under another job's load): the plan starts
    with 1 epoch, the measured first epoch shows more fit, and the run trains them."""
    import meddx.training.speed as speed

    real = speed.seconds_per_sample
    monkeypatch.setattr(speed, "seconds_per_sample", lambda *a, **k: real(*a, **k) * 50)
    result = run_cli(["train", str(few_resamples),
                      "--data", str(lesion_folder), "--model", "seed-cnn", "--time-budget", "0.25",
                      "--image-size", "28", "--name", "loaded", "--no-progress"], capsys)
    assert result.code == 0, result.err
    run_dir = next((meddx_home / "runs").iterdir())
    plan = json.loads((run_dir / "plan.json").read_text())
    trainer = json.loads((run_dir / "trainer.json").read_text())
    assert "re-planned after epoch 1" in plan["reasons"]["epochs"] and plan["epochs"] > 2
    assert 2 < trainer["epochs_run"] <= plan["epochs"]  # (early stopping may end it sooner)
    bundle_plan = json.loads((meddx_home / "bundles" / "loaded" / "v1" / "config.json").read_text())
    assert bundle_plan["training"]["plan"]["epochs"] == plan["epochs"]  # the bundle records what ran


@pytest.mark.slow
def test_two_processes_data_parallel(lesion_folder: Path, meddx_home: Path) -> None:
    """``--devices 2`` really starts two processes (gloo) and still produces one bundle. With a
    ``--time-budget`` the epochs are planned for each process's share of the samples, and every
    process re-plans them from rank 0's clock, without a deadlock (tests/unit/training/
    test_budget_processes.py: the planner counted all samples per process, the re-planner was off)."""
    import torch

    env = {**os.environ, "MEDDX_HOME": str(meddx_home)}
    env.pop("MEDDX_RUN_DIR", None)
    cmd = [sys.executable, "-m", "meddx.cli.main", "train", "--data", str(lesion_folder), "--model", "seed-cnn",
           "--image-size", "28", "--time-budget", "0.05", "--devices", "2", "--name", "ddp", "--no-progress"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)  # a deadlock: the timeout
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = next((meddx_home / "runs").iterdir())
    trainer = json.loads((run_dir / "trainer.json").read_text())
    assert trainer["world_size"] == 2 and trainer["strategy"] == "DDPStrategy"
    assert (meddx_home / "bundles" / "ddp" / "v1" / "weights.safetensors").is_file()
    plan = json.loads((run_dir / "plan.json").read_text())
    n_train = len(list((lesion_folder / "train").rglob("*.png")))
    assert f"{-(-n_train // 2)} samples per process: {n_train} shared by 2 processes" in plan["reasons"]["epochs"]
    assert trainer["epochs_planned"] == plan["epochs"]
    last = run_dir / "checkpoints" / "last.ckpt"
    replan = torch.load(last, map_location="cpu", weights_only=True)["callbacks"]["BudgetReplan"]  # saved for a resume
    assert replan["elapsed"] > 0
    assert all(f"re-planned after epoch {h['after_epoch']}:" in plan["reasons"]["epochs"] for h in replan["history"])


@pytest.mark.slow
def test_demo_runs_offline_end_to_end(meddx_home: Path, capsys) -> None:
    # No --model: the demo leaves the network to the planner, which narrows resnet18 when a short
    # budget fits few epochs at full width (a named model would keep width 64).
    result = run_cli(["demo", "--time-budget", "0.15", "--no-progress"], capsys)
    assert result.code == 0, result.err
    assert "test AUC" in result.out and "demo-lesions:1" in result.out
    plan = json.loads(next((meddx_home / "runs").glob("demo-lesions-*/plan.json")).read_text())
    assert plan["model"] == "resnet18" and plan["model_args"]["width"] == 32, plan["reasons"]["model"]
    assert "plan: resnet18 (width 32)" in " ".join(result.out.split())
    assert (meddx_home / "bundles" / "demo-lesions" / "v1" / "model_card.md").is_file()
    assert (meddx_home / "datasets" / "demo-lesions" / ".complete").is_file()


def test_ema_bundle_holds_the_average_and_resume_continues_it(lesion_folder: Path, few_resamples: Path,
                                                              meddx_home: Path,
                                                              capsys) -> None:
    import torch
    from safetensors.torch import load_file

    result = run_cli(["train", str(few_resamples),
                      "--data", str(lesion_folder), "--model", "seed-cnn", "--epochs", "2", "--ema", "1",
                      "--name", "averaged", "--no-progress"], capsys)
    assert result.code == 0, result.err
    run_dir = next((meddx_home / "runs").iterdir())
    trainer = json.loads((run_dir / "trainer.json").read_text())
    assert trainer["ema"] == {"epochs": 1.0, "steps_per_epoch": 3, "decay": round(1 - 1 / 3, 8)}
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert int(last["averaging_state"]["n_averaged"]) == 6  # one update per step, 2 epochs x 3 steps
    raw, average = last["current_model_state"], last["state_dict"]
    assert any(not torch.equal(raw[k], average[k]) for k in raw)  # the average is not the raw weights
    best = torch.load(trainer["best_checkpoint"], map_location="cpu", weights_only=True)["state_dict"]
    bundle = load_file(str(meddx_home / "bundles" / "averaged" / "v1" / "weights.safetensors"))
    assert all(torch.equal(bundle[k], best["net." + k]) for k in bundle)  # the bundle is the averaged best epoch

    plan = json.loads((run_dir / "plan.json").read_text())
    plan["epochs"] = 3
    (run_dir / "plan.json").write_text(json.dumps(plan))
    assert run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys).code == 0
    resumed = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert int(resumed["averaging_state"]["n_averaged"]) == 9  # the average went on, not restarted


def test_small_images_default_to_shift_augmentation_and_the_final_epoch_through_the_cli(trained: dict) -> None:
    """28-px images, 12 epochs, no option given: shift augmentation, the schedule runs to its end
    (no early stopping), the bundle holds the final epoch and says so, and the lesions are learnt.
    The shared ``trained`` run is exactly that command (``train --data <lesions> --model seed-cnn
    --epochs 12 --lr 0.005 --seed 1``, exit 0 asserted by the fixture), so it is read, not retrained."""
    run_dir = trained["run_dir"]
    plan = json.loads((run_dir / "plan.json").read_text())
    assert plan["checkpoint"] == "final" and plan["early_stopping_patience"] == 12 and plan["augment"] == "shift"
    assert plan["reasons"]["augment"].startswith("default (28 px per side <= 32 and 12 epochs >= 8)")
    trainer = json.loads((run_dir / "trainer.json").read_text())
    assert trainer["kept"] == "final" and trainer["epochs_run"] == 12 and trainer["early_stopping"] is False
    bundle = trained["bundle"]
    config = json.loads((bundle / "config.json").read_text())
    assert config["training"]["kept_epoch"] == ["final"] and config["training"]["plan"]["augment"] == "shift"
    assert "the final epoch of the schedule was kept" in (bundle / "model_card.md").read_text()
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert metrics["note"].startswith("the final epoch of the schedule was kept")
    assert metrics["test"]["auc"] >= 0.95


def test_shift_augmentation_is_refused_for_segmentation(meddx_home: Path, tmp_path: Path, capsys) -> None:
    from meddx.data.synthetic_seg import write_seg_folder

    write_seg_folder(tmp_path / "seg", n=6, size=32, seed=0)
    result = run_cli(["train", "--data", str(tmp_path / "seg"), "--epochs", "1", "--augment", "shift",
                      "--no-progress"], capsys)
    assert result.code == 2 and "classification" in result.err and "none, light, strong" in result.err
    assert "Traceback" not in result.err
