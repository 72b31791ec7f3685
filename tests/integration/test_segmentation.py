"""Segmentation end to end through the CLI, on synthetic shapes with known masks.

2D (PNG, three classes) and 3D (NIfTI with a non-trivial affine) sources are trained briefly;
the known answer is the mask itself: Dice >= .95 on the carved test split. Then ``evaluate``
and ``predict`` run on the bundle, and the written masks keep the input's geometry.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.data.synthetic_seg import write_seg_folder
from meddx.evaluation.seg_postprocess import MIN_INFERENCE_GAIN
from tests.integration.cli_helpers import run_cli


@pytest.fixture(scope="module")
def seg_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seg_home")


def _train(data: Path, home: Path, name: str, extra: list[str], capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("MEDDX_HOME", str(home))
    result = run_cli(["train", "--data", str(data), "--name", name, "--no-progress", "--seed", "0", *extra], capsys)
    assert result.code == 0, result.err + result.out
    bundle = home / "bundles" / name / "v1"
    return {"bundle": bundle, "out": result.out, "metrics": json.loads((bundle / "metrics.json").read_text()),
            "config": json.loads((bundle / "config.json").read_text())}


def test_2d_three_classes_train_evaluate_predict(tmp_path: Path, seg_home: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from meddx.data.synthetic_seg import write_seg_folder

    data = write_seg_folder(tmp_path / "shapes2d", n=40, spatial_dims=2, size=64, classes=3, seed=1)
    run = _train(data, seg_home, "shapes2d", ["--epochs", "20"], capsys, monkeypatch)
    test = run["metrics"]["test"]
    assert test["n"] == 8 and set(test["classes"]) == {"ellipse", "box"}
    for name in ("ellipse", "box"):
        assert test["classes"][name]["dice"]["mean"] >= 0.95, test["classes"][name]["dice"]
        lo, hi = test["classes"][name]["dice"]["ci"]
        assert lo <= test["classes"][name]["dice"]["mean"] <= hi
    assert "mean Dice" in run["out"] and "ellipse: Dice" in run["out"]
    runs = list((seg_home / "runs").glob("shapes2d-*"))
    assert (runs[0] / "fingerprint.json").is_file() and (runs[0] / "plan.json").is_file()
    plan = json.loads((runs[0] / "plan.json").read_text())
    assert plan["size"] == [64, 64] and plan["reasons"]["size"]
    # the schedule ran to its end, so its final epoch is kept (nnU-Net's choice), not the best on val
    trainer = json.loads((runs[0] / "trainer.json").read_text())
    assert plan["checkpoint"] == "final" and trainer["kept"] == "final" and trainer["epochs_run"] == 20
    assert trainer["restored_checkpoint"] == str(runs[0] / "checkpoints" / "last.ckpt")
    assert run["config"]["training"]["kept_epoch"] == ["final"]
    assert "final epoch of the schedule was kept" in run["metrics"]["note"]
    assert "final epoch of the schedule was kept" in (run["bundle"] / "model_card.md").read_text()
    assert set(run["config"]["postprocess"]["largest_component"]) == {"ellipse", "box"}
    assert run["config"]["postprocess"]["evidence"]["mirror"]["applied"] == run["config"]["inference"]["mirror"]
    shift = run["config"]["postprocess"]["evidence"]["shift"]
    assert shift["applied"] == run["config"]["inference"]["shift"] and shift["passes"] == 4
    assert shift["applied"] == (shift["dice_with"] - shift["dice_without"] >= MIN_INFERENCE_GAIN - 1e-6)
    assert plan["mirror_axes"] == [] and run["config"]["inference"]["mirror"] is False  # the box is always top-left
    zoom = run["config"]["postprocess"]["evidence"]["zoom"]  # tried on the fixed 2D grid, kept only for a gain
    assert zoom["applied"] == run["config"]["inference"]["zoom"] and zoom["margin"] == 1.5
    assert zoom["applied"] == (zoom["dice_with"] - zoom["dice_without"] >= MIN_INFERENCE_GAIN - 1e-6)

    # evaluate: metrics.json, per-case table, report and overlays of the worst and best cases
    out = tmp_path / "eval"
    result = run_cli(["evaluate", str(run["bundle"]), "--data", str(data), "--out", str(out), "--bootstrap", "100"],
                     capsys)
    assert result.code == 0, result.err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 8 and abs(metrics["mean_foreground"]["dice"]["mean"]
                                     - test["mean_foreground"]["dice"]["mean"]) < 1e-6
    assert (out / "cases.csv").read_text().count("\n") == 9
    assert (out / "report.html").is_file() and len(list((out / "overlays").glob("*.png"))) == 6

    # predict: PNG mask at the original size, overlay, and the masks match the truth
    image = data / "images" / "case_000.png"
    result = run_cli(["predict", str(run["bundle"]), str(image), "--output", str(tmp_path / "pred")], capsys)
    assert result.code == 0, result.err
    mask = np.asarray(Image.open(tmp_path / "pred" / "case_000_mask.png"))
    truth = np.asarray(Image.open(data / "labels" / "case_000.png"))
    assert mask.shape == truth.shape
    assert (mask == truth).mean() > 0.97
    assert (tmp_path / "pred" / "case_000_overlay.png").is_file()
    # a folder: every image beneath it; two inputs named alike get masks named by their folders
    import shutil

    for site, case in (("site_a", "case_000"), ("site_b", "case_001")):
        (tmp_path / "day" / site).mkdir(parents=True)
        shutil.copy(data / "images" / f"{case}.png", tmp_path / "day" / site / "scan.png")
    result = run_cli(["predict", str(run["bundle"]), str(tmp_path / "day"), "--output", str(tmp_path / "day_pred")],
                     capsys)
    assert result.code == 0, result.err
    for site, case in (("site_a", "case_000"), ("site_b", "case_001")):
        written = np.asarray(Image.open(tmp_path / "day_pred" / f"{site}_scan_mask.png"))
        assert (written == np.asarray(Image.open(data / "labels" / f"{case}.png"))).mean() > 0.97
    # without --output: the area of each structure, in pixels (mm² with --pixel-size)
    result = run_cli(["predict", str(run["bundle"]), str(image), "--pixel-size", "0.5"], capsys)
    assert result.code == 0, result.err
    assert f"ellipse {(mask == 1).sum() * 0.25:.1f} mm²" in result.out and "box " in result.out

    # explain: a segmentation bundle is refused in one line that says what to run instead
    result = run_cli(["explain", str(run["bundle"]), str(image), "--out", str(tmp_path / "expl")], capsys)
    assert result.code == 2 and "segmentation model" in result.err and "meddx predict" in result.err
    assert "Traceback" not in result.err and not (tmp_path / "expl").exists()
    # compare with itself: every paired Dice difference is exactly 0 (p = 1)
    result = run_cli(["compare", str(run["bundle"]), str(run["bundle"]), "--data", str(data), "--json",
                      "--bootstrap", "50"], capsys)
    assert result.code == 0, result.err
    dice = json.loads(result.out)["dice"]
    assert set(dice) == {"ellipse", "box", "mean_foreground"}
    assert all(d["difference"] == 0.0 and d["wilcoxon_p"] == 1.0 and d["n"] == 8 for d in dice.values())
    # the membership audit and cv are for classifiers: one-line refusals that say so
    for args, words in ((["audit", "membership", str(run["bundle"]), "--data", str(data)], "classifiers"),
                        (["cv", "--data", str(data), "--folds", "2"], "meddx train")):
        result = run_cli(args, capsys)
        assert result.code == 2 and "segmentation" in result.err and words in result.err, (args, result.err)
        assert "Traceback" not in result.err


def test_3d_nifti_geometry_kept(tmp_path: Path, seg_home: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    import nibabel as nib

    from meddx.data.synthetic_seg import write_seg_folder

    data = write_seg_folder(tmp_path / "shapes3d", n=30, spatial_dims=3, size=32, classes=2, seed=2)
    run = _train(data, seg_home, "shapes3d", ["--epochs", "10"], capsys, monkeypatch)
    test = run["metrics"]["test"]
    assert test["classes"]["ellipse"]["dice"]["mean"] >= 0.95, test["classes"]["ellipse"]["dice"]
    assert test["unit"]["hd95"] == "mm" and test["classes"]["ellipse"]["hd95"]["mean"] < 3.0
    assert "volume_ellipse" in test["measurement"] and test["measurement"]["volume_ellipse"]["unit"] == "mL"
    assert run["config"]["preprocessing"]["target_spacing"] == [1.0, 1.0, 1.5]
    assert run["config"]["orientation"] == "RAS"  # images and masks were read turned to RAS
    zoom = run["config"]["postprocess"]["evidence"]["zoom"]  # resampled by spacing: cropping would not magnify
    assert zoom["applied"] is False and "spacing" in zoom["why"] and run["config"]["inference"]["zoom"] is False

    source = data / "images" / "case_003.nii.gz"
    result = run_cli(["predict", str(run["bundle"]), str(source), "--output", str(tmp_path / "pred"), "--json"], capsys)
    assert result.code == 0, result.err
    row = json.loads(result.out.strip().splitlines()[0])
    written = nib.load(row["mask"])
    reference = nib.load(str(source))
    np.testing.assert_allclose(written.affine, reference.affine)
    assert written.shape == reference.shape
    truth = np.asarray(nib.load(str(data / "labels" / "case_003.nii.gz")).dataobj)
    pred = np.asarray(written.dataobj)
    dice = 2 * ((pred == 1) & (truth == 1)).sum() / ((pred == 1).sum() + (truth == 1).sum())
    assert dice > 0.9
    voxel_ml = 1.5 * 1.0 * 1.0 / 1000
    assert row["volume_ml"]["ellipse"] == pytest.approx((pred == 1).sum() * voxel_ml, rel=1e-6)


def test_plan_override_and_bad_source(tmp_path: Path, seg_home: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.synthetic_seg import write_seg_folder

    data = write_seg_folder(tmp_path / "small", n=12, spatial_dims=2, size=48, classes=2, seed=3)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"patch_size": [32, 32], "batch_size": 4, "augment": "none"}))
    run = _train(data, seg_home, "override", ["--epochs", "1", "--plan", str(plan)], capsys, monkeypatch)
    used = run["config"]["training"]["plan"]
    assert used["patch_size"] == [32, 32] and used["size"] == [32, 32] and used["batch_size"] == 4
    assert used["reasons"]["patch_size"] == "overridden by the given plan file"

    (data / "labels" / "case_000.png").unlink()
    result = run_cli(["train", "--data", str(data), "--epochs", "1", "--no-progress"], capsys)
    assert result.code != 0 and "case_000" in result.err and "Traceback" not in result.err


def test_ensemble_trains_members_and_averages_them(tmp_path: Path, seg_home: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """--ensemble 2: two seeds trained in the run (members/1 beside the first), one bundle whose
    probabilities are the mean of the two trained networks', and a resume that retrains nothing."""
    import torch

    from meddx.bundle import load_bundle
    from meddx.bundle.seg_predictor import SegPredictor
    from meddx.models.registry import create_model

    data = write_seg_folder(tmp_path / "ens2d", n=24, spatial_dims=2, size=48, classes=2, seed=5)
    run = _train(data, seg_home, "ens2d", ["--epochs", "8", "--ensemble", "2"], capsys, monkeypatch)
    assert run["metrics"]["test"]["classes"]["ellipse"]["dice"]["mean"] >= 0.95
    assert run["config"]["model"]["ensemble"] == 2
    assert "mean probabilities of 2 networks trained with seeds 0..1" in (run["bundle"] / "model_card.md").read_text()
    run_dir = next((seg_home / "runs").glob("ens2d-*"))
    plan = json.loads((run_dir / "plan.json").read_text())
    assert plan["ensemble"] == 2 and "set in config" in plan["reasons"]["ensemble"]
    members = [run_dir, run_dir / "members" / "1"]
    trainers = [json.loads((m / "trainer.json").read_text()) for m in members]
    assert all(t["kept"] == "final" and t["restored_checkpoint"].endswith("last.ckpt") for t in trainers)
    best = [t["restored_checkpoint"] for t in trainers]
    assert all(Path(b).is_file() for b in best) and Path(best[0]).parent != Path(best[1]).parent
    assert run["config"]["training"]["kept_epoch"] == ["final", "final"]

    # The bundle's probabilities are the mean of the two members' (each rebuilt from the
    # checkpoint it kept, so the bundle really holds the trained networks, not copies of one).
    bundle = load_bundle(run["bundle"])
    # Test-time shifts (when val chose them) pad the grid past the patch, so sliding windows
    # overlap and average the ensemble's logits (log mean probability), which is not the mean of
    # the members' window-averaged probabilities; compare with them off on both sides.
    bundle.shift = False
    single_cfg = {**run["config"], "model": {k: v for k, v in run["config"]["model"].items() if k != "ensemble"}}
    x = torch.from_numpy(bundle.preprocessor.image(np.asarray(_png(data / "images" / "case_001.png"))[None]))[None]
    member_probs = []
    for path in best:
        net = create_model(run["config"]["model"]["name"], num_classes=run["config"]["model"]["num_classes"],
                           **run["config"]["model"]["args"])
        state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
        net.load_state_dict({k[len("net."):]: v for k, v in state.items() if k.startswith("net.")})
        member = SegPredictor(single_cfg, net)
        member.shift = False
        member_probs.append(member.grid_probs(x))
    assert not torch.allclose(member_probs[0], member_probs[1], atol=1e-3)
    torch.testing.assert_close(bundle.grid_probs(x), (member_probs[0] + member_probs[1]) / 2, atol=1e-5, rtol=1e-4)

    # compare: the ensemble against a one-epoch network on the same test cases is clearly better
    weak = _train(data, seg_home, "ens2d-weak", ["--epochs", "1"], capsys, monkeypatch)
    result = run_cli(["compare", str(run["bundle"]), str(weak["bundle"]), "--data", str(data), "--bootstrap", "200"],
                     capsys)
    assert result.code == 0, result.err
    assert "Dice ellipse" in result.out
    saved = json.loads(next((run["bundle"] / "comparisons").glob("ens2d-weak-ens2d-test-*/comparison.json")).read_text())
    gain = saved["dice"]["ellipse"]
    assert gain["difference"] > 0.05 and gain["ci"][0] > 0
    # every test case is better: the smallest p an exact two-sided Wilcoxon test gives for n cases
    assert gain["wilcoxon_p"] == pytest.approx(2 / 2 ** saved["n"])
    assert gain["a"] == pytest.approx(run["metrics"]["test"]["classes"]["ellipse"]["dice"]["mean"], abs=1e-6)

    # Resume after the end is refused (it trained nothing and registered a copy of the bundle).
    logs_before = sorted(p.name for p in (members[1] / "logs").iterdir())
    refused = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert refused.code == 2 and "this run finished: 8 of 8 planned epochs" in refused.err
    assert sorted(p.name for p in (members[1] / "logs").iterdir()) == logs_before
    # Interrupted before its bundle was saved (no metrics.json): both members restore their last
    # state and train nothing more.
    (run_dir / "metrics.json").unlink()
    # ... but not on masks that changed since the run started (its plan was fitted on the first)
    mask = data / "labels" / "case_001.png"
    original = mask.read_bytes()
    from PIL import Image

    Image.fromarray(np.zeros_like(_png(mask))).save(mask)
    refused = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert refused.code == 2 and "differ from its data.json" in refused.err, refused.err
    mask.write_bytes(original)
    result = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert result.code == 0, result.err
    assert json.loads((members[1] / "trainer.json").read_text())["epochs_run"] == 8
    assert len(list((members[1] / "logs").iterdir())) == len(logs_before) + 1  # a new, empty log version


def _png(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path))
