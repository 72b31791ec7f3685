"""train -> evaluate -> predict -> registry through the CLI, on synthetic lesions (known answer)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli
from sklearn.metrics import accuracy_score, roc_auc_score


@pytest.fixture
def home(trained: dict, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    return trained["home"]


def test_train_writes_bundle_run_folder_and_learns_the_lesion(trained: dict) -> None:
    bundle, run_dir = trained["bundle"], trained["run_dir"]
    for name in ("weights.safetensors", "config.json", "metrics.json", "model_card.md", "meddx_version"):
        assert (bundle / name).is_file(), name
    for name in ("plan.json", "config.json", "data.json", "environment.json", "trainer.json", "checkpoints/last.ckpt"):
        assert (run_dir / name).is_file(), name
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert metrics["test"]["auc"] >= 0.95, metrics["test"]
    assert metrics["test"]["n"] == 200
    config = json.loads((bundle / "config.json").read_text())
    assert config["label_names"] == ["normal", "lesion"]  # the no-finding class first: lesion is positive
    assert 0.0 < config["decision"]["threshold"] < 1.0
    plan = json.loads((run_dir / "plan.json").read_text())
    assert plan["image_size"] == [28, 28] and plan["channels"] == 1 and plan["epochs"] == 12
    assert plan["normalization"]["mean"] and plan["reasons"]["image_size"]


def test_evaluate_writes_metrics_that_match_sklearn(home: Path, trained: dict, tmp_path: Path, capsys) -> None:
    out = tmp_path / "eval"
    result = run_cli(["evaluate", "lesions", "--data", str(trained["folder"]), "--split", "test", "--out", str(out)], capsys)
    assert result.code == 0, result.err
    metrics = json.loads((out / "metrics.json").read_text())
    with (out / "predictions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    y = np.array([int(r["label"]) for r in rows])
    p_pos = np.array([float(r["p_lesion"]) for r in rows])  # class 1 is "lesion" (the no-finding class comes first)
    assert metrics["auc"] == pytest.approx(roc_auc_score(y, p_pos), abs=1e-4)
    threshold = json.loads((trained["bundle"] / "config.json").read_text())["decision"]["threshold"]
    assert metrics["accuracy"] == pytest.approx(accuracy_score(y, (p_pos >= threshold).astype(int)), abs=1e-4)
    assert metrics["auc"] >= 0.95


def test_predict_raw_png_files_json(home: Path, trained: dict, capsys) -> None:
    lesion = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[:5]
    normal = sorted((trained["folder"] / "test" / "normal").glob("*.png"))[:5]
    result = run_cli(["predict", str(trained["bundle"]), *map(str, lesion + normal), "--json"], capsys)
    assert result.code == 0, result.err
    preds = [json.loads(line) for line in result.out.strip().splitlines()]
    assert len(preds) == 10
    assert all(set(p["probabilities"]) == {"lesion", "normal"} for p in preds)
    assert all(abs(sum(p["probabilities"].values()) - 1) < 1e-4 for p in preds)
    correct = sum(p["label"] == Path(p["source"]).parent.name for p in preds)
    assert correct >= 8


def test_predict_a_folder_predicts_every_image_beneath_it(home: Path, trained: dict, capsys) -> None:
    """``meddx predict BUNDLE test/`` reads test/lesion/*.png and test/normal/*.png, sorted."""
    test = trained["folder"] / "test"
    expected = sorted(str(p) for p in test.rglob("*.png"))
    result = run_cli(["predict", str(trained["bundle"]), str(test), "--json"], capsys)
    assert result.code == 0, result.err
    preds = [json.loads(line) for line in result.out.strip().splitlines()]
    assert [p["source"] for p in preds] == expected and len(preds) == 200
    correct = np.mean([p["label"] == Path(p["source"]).parent.name for p in preds])
    assert correct >= 0.9  # the known answer: the folder each image sits in


def test_predict_table_and_registry_commands(home: Path, trained: dict, capsys) -> None:
    png = next((trained["folder"] / "test" / "lesion").glob("*.png"))
    table = run_cli(["predict", "lesions:1", str(png)], capsys)
    assert table.code == 0 and png.name in table.out
    listed = run_cli(["registry", "list", "--json"], capsys)
    records = json.loads(listed.out)
    assert [(r["name"], r["version"]) for r in records] == [("lesions", 1)]
    assert records[0]["metrics"]["test_auc"] >= 0.95
    shown = run_cli(["registry", "show", "lesions"], capsys)
    assert json.loads(shown.out)["config"]["model"]["name"] == "seed-cnn"


def test_python_api_round_trip(home: Path, trained: dict) -> None:
    import meddx

    predictor = meddx.load_bundle(trained["bundle"])
    source = meddx.load_source(str(trained["folder"]))
    from meddx.evaluation.evaluate import predict_split

    preds = predict_split(predictor, source, "test")
    assert roc_auc_score(preds.labels, preds.probs[:, 1]) >= 0.95


def test_models_and_data_commands(home: Path, trained: dict, capsys) -> None:
    result = run_cli(["models"], capsys)
    assert result.code == 0 and "seed-cnn" in result.out and "resnet18-3d" in result.out
    info = run_cli(["data", "info", str(trained["folder"]), "--json"], capsys)
    assert info.code == 0
    assert json.loads(info.out)["splits"]["train"]["count"] == 300


def test_training_on_patients_shared_across_splits_warns(trained: dict, tmp_path: Path, capsys) -> None:
    """A manifest whose test split shares patients with train: the run still trains, and the
    summary, metrics.json and model card say that test numbers may be optimistic."""
    rows = []
    for split in ("train", "test"):
        paths = [p for label in ("lesion", "normal") for p in sorted((trained["folder"] / split / label).glob("*.png"))[:30]]
        for i, path in enumerate(paths):
            rows.append([str(path), path.parent.name, f"p{i % 30}", split])  # p0..p29 on both splits
    manifest = tmp_path / "shared.csv"
    with manifest.open("w", newline="") as f:
        csv.writer(f).writerows([["path", "label", "patient_id", "split"], *rows])
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(manifest), "--model", "seed-cnn", "--epochs", "1", "--output", str(out),
                      "--no-progress"], capsys)
    assert result.code == 0, result.err
    assert "warning: data verify found 30 patients with samples on more than one split" in " ".join(result.err.split())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["warnings"] and "30 patients" in metrics["warnings"][0]
    assert "30 patients with samples on more than one split" in (out / "model_card.md").read_text()


def test_a_2d_image_saved_as_a_one_slice_nifti_predicts_as_the_png(trained: dict, tmp_path: Path, capsys,
                                                                    monkeypatch) -> None:
    """Found by an outside-in audit: a 2D NIfTI stored as x*y*1 was refused by a 2D bundle as 3D."""
    import nibabel as nib
    from PIL import Image

    monkeypatch.setenv("MEDDX_HOME", str(trained["home"]))
    png = next(p for p in sorted(Path(trained["folder"]).rglob("*.png")))
    pixels = np.asarray(Image.open(png).convert("L"), dtype=np.float32)  # (H, W), 0..255
    nifti = tmp_path / "slice.nii.gz"
    nib.save(nib.Nifti1Image(pixels.T[:, :, None], np.eye(4)), str(nifti))  # NIfTI order x, y, z=1
    rows = []
    for path in (png, nifti):
        result = run_cli(["predict", str(trained["bundle"]), str(path), "--json"], capsys)
        assert result.code == 0, result.err
        rows.append(json.loads(result.out.strip().splitlines()[0])["probabilities"])
    assert rows[0].keys() == rows[1].keys()
    assert all(abs(rows[0][k] - rows[1][k]) < 1e-4 for k in rows[0]), rows
    explained = run_cli(["explain", str(trained["bundle"]), str(nifti), "--out", str(tmp_path / "ex")], capsys)
    assert explained.code == 0 and list((tmp_path / "ex").glob("*slice.nii.gz-gradcam.png")), explained.err
