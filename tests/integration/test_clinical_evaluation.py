"""Clinical evaluation through the CLI on synthetic data with known answers.

- a site whose images carry no lesion signal must show up as the subgroup with the largest gap;
- a bundle compared with itself differs by exactly zero; against an untrained model it wins;
- extra operating points honour their target on validation;
- cross-validation keeps patients within one fold and predicts every sample once;
- the bundle carries a temperature that predict applies, and a TRIPOD+AI model card.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def _write_pngs(root: Path, rows: list[tuple[str, np.ndarray, str, str, str]]) -> Path:
    """rows: (relative path, image (1, H, W) uint8, label, split, patient) -> manifest.csv."""
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "patient_id", "split"])
        for rel, image, label, split, patient in rows:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image[0]).save(root / rel)
            writer.writerow([rel, label, patient, split])
    return manifest


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A test-only manifest from three 'sites': A (clear lesions), B (no lesion signal), C (12 images)."""
    from meddx.data.synthetic import LABEL_NAMES, make_lesion_images

    root = tmp_path_factory.mktemp("sites")
    rows, attributes = [], [("id", "site", "age")]
    for site, n, contrast, seed in (("A", 120, 2.0, 31), ("B", 120, 0.0, 32), ("C", 12, 2.0, 33)):
        data = make_lesion_images(n, 28, contrast=contrast, seed=seed)
        for i, (image, label) in enumerate(zip(data.images, data.labels)):
            rel = f"{site}/{i}.png"
            rows.append((rel, image, LABEL_NAMES[int(label)], "test", f"{site}{i}"))
            attributes.append((rel, site, str(20 + (i * 7) % 60)))
    manifest = _write_pngs(root, rows)
    attrs = root / "attributes.csv"
    with attrs.open("w", newline="") as fh:
        csv.writer(fh).writerows(attributes)
    return manifest, attrs


def test_evaluate_finds_the_failing_site(trained: dict, two_sites: tuple[Path, Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    manifest, attrs = two_sites
    out = tmp_path / "eval"
    res = run_cli(["evaluate", str(trained["bundle"]), "--data", str(manifest), "--attributes", str(attrs),
                   "--out", str(out), "--bootstrap", "300", "--no-verify"], capsys)
    assert res.code == 0, res.err
    metrics = json.loads((out / "metrics.json").read_text())
    site = metrics["subgroups"]["site"]
    assert site["groups"]["A"]["auc"]["estimate"] > 0.9
    assert site["groups"]["B"]["auc"]["estimate"] < 0.75  # no lesion signal at site B
    assert site["largest_gap"]["between"] == ["A", "B"]
    assert "too small" in site["groups"]["C"]["warning"] and site["groups"]["A"]["warning"] is None
    assert any("site=C" in w for w in metrics["warnings"])
    assert len(metrics["subgroups"]["age"]["groups"]) == 4  # ages in years cut into quartile bands
    auc = metrics["ci"]["auc"]
    assert auc["bca"][0] <= auc["estimate"] <= auc["bca"][1] and metrics["ci"]["n_resamples"] == 300
    assert metrics["ci"]["unit"] == "patient"  # the manifest has patient ids
    html = (out / "report.html").read_text()
    assert "site" in html and "<img" in html
    assert "warning: subgroup site=C" in res.err


def test_evaluate_operating_points_and_calibration(trained: dict, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "eval"
    res = run_cli(["evaluate", str(trained["bundle"]), "--data", str(trained["folder"]), "--out", str(out),
                   "--bootstrap", "200", "--operating-point", "sensitivity>=0.95",
                   "--operating-point", "specificity>=0.95"], capsys)
    assert res.code == 0, res.err
    metrics = json.loads((out / "metrics.json").read_text())
    sens, spec = metrics["operating_points"]
    assert sens["rule"] == "sensitivity>=0.95" and sens["val"]["sensitivity"] >= 0.95
    assert spec["val"]["specificity"] >= 0.95
    assert sens["threshold"] <= spec["threshold"]
    assert set(sens["test"]["lesion"]) == {"sensitivity", "specificity", "ppv", "npv"}
    cal = metrics["calibration"]
    assert cal["temperature"] > 0 and cal["fitted_on"] == "val"
    assert {"ece", "ece_adaptive", "mce", "brier", "reliability"} <= set(cal["before"])
    assert metrics["operating_point"]["chosen_on"] == "val"
    assert metrics["dataset"]["duplicates"]["checked"] is True
    assert metrics["dataset"]["splits"]["test"]["n"] == 200
    assert "sensitivity>=0.95 (lesion)" in res.out and "calibration: ECE" in res.out


def test_evaluate_a_folder_of_one_class_reports_its_sensitivity_or_specificity(
        trained: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An external set of confirmed lesions only (or of normals only): every reader used to refuse a
    source with one label value. Its labels map onto the bundle's two classes; the rate it measures
    equals the share of predictions above the bundle's threshold."""
    import shutil

    threshold = json.loads((trained["bundle"] / "config.json").read_text())["decision"]["threshold"]
    for only, measure, rate in (("lesion", "sensitivity", "sensitivity"), ("normal", "specificity", "specificity")):
        external = tmp_path / only
        shutil.copytree(trained["folder"] / "test" / only, external / "test" / only)
        out = tmp_path / f"eval-{only}"
        res = run_cli(["evaluate", str(trained["bundle"]), "--data", str(external), "--out", str(out),
                       "--bootstrap", "100"], capsys)
        assert res.code == 0, res.err
        metrics = json.loads((out / "metrics.json").read_text())
        with (out / "predictions.csv").open() as f:
            positive = [float(r["p_lesion"]) >= threshold for r in csv.DictReader(f)]
        expected = np.mean(positive) if only == "lesion" else 1 - np.mean(positive)
        assert metrics["label_names"] == ["normal", "lesion"] and metrics["n"] == len(positive) > 50
        assert metrics["per_class"]["lesion"][rate] == pytest.approx(expected)
        assert metrics["accuracy"] == pytest.approx(expected) and metrics["auc"] is None
        ci = metrics["ci"]["per_class"]["lesion"][rate]
        assert ci["bca"][0] <= ci["estimate"] <= ci["bca"][1]
        assert any(f"one class only ({only!r}" in w and measure in w for w in metrics["warnings"])
        assert f"{rate} {expected:.3f}" in res.out and (out / "report.html").is_file()


def test_evaluate_split_train_of_the_training_file_leaves_out_the_carved_validation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by an audit: on a source without a val split, ``--split train`` counted the samples
    training had carved for validation, and its n changed when ``--operating-point`` was added."""
    from meddx.data.synthetic import LABEL_NAMES, make_lesion_images

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    data = make_lesion_images(120, 28, contrast=2.0, seed=5)
    manifest = _write_pngs(tmp_path / "data", [(f"{i}.png", image, LABEL_NAMES[int(label)], "train", f"p{i}")
                                               for i, (image, label) in enumerate(zip(data.images, data.labels))])
    res = run_cli(["train", "--data", str(manifest), "--model", "seed-cnn", "--epochs", "2", "--name", "carved",
                   "--no-progress"], capsys)
    assert res.code == 0, res.err
    ids = {}
    for extra in ([], ["--operating-point", "fixed:0.5"]):
        for split in ("train", "val"):
            out = tmp_path / f"ev-{split}-{len(extra)}"
            res = run_cli(["evaluate", "carved:1", "--data", str(manifest), "--split", split, "--out", str(out),
                           "--bootstrap", "0", "--no-verify", "--no-report", *extra], capsys)
            assert res.code == 0, res.err
            with (out / "predictions.csv").open() as f:
                ids[split, len(extra)] = {r["id"] for r in csv.DictReader(f)}
    assert ids["train", 0] == ids["train", 2] and ids["val", 0] == ids["val", 2]
    assert not ids["train", 0] & ids["val", 0] and len(ids["train", 0]) + len(ids["val", 0]) == 120
    assert 100 <= len(ids["train", 0]) < 120


def test_extra_operating_point_needs_a_validation_split(trained: dict, two_sites: tuple[Path, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(["evaluate", str(trained["bundle"]), "--data", str(two_sites[0]), "--out", str(tmp_path),
                   "--operating-point", "sensitivity>=0.9", "--no-verify"], capsys)
    assert res.code == 2 and "split" in res.err and "Traceback" not in res.err
    res = run_cli(["evaluate", str(trained["bundle"]), "--data", str(trained["folder"]), "--out", str(tmp_path),
                   "--operating-point", "sensitivity>0.9"], capsys)
    assert res.code == 2 and "valid rules" in res.err


def test_bundle_is_calibrated_and_predict_applies_it(trained: dict) -> None:
    from meddx.bundle.bundle import load_bundle
    from meddx.evaluation.calibration import apply_temperature

    config = json.loads((trained["bundle"] / "config.json").read_text())
    assert config["calibration"]["fitted_on"] == "val" and config["calibration"]["temperature"] > 0
    assert config["decision"]["rule"] == "youden" and 0 < config["decision"]["threshold"] < 1
    predictor = load_bundle(trained["bundle"])
    files = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[:5]
    from meddx.data.io import read_image

    raw = predictor.predict_arrays([read_image(f).array for f in files], calibrated=False)
    expected = apply_temperature(raw, predictor.temperature, "binary")
    got = np.array([[p.probabilities[n] for n in predictor.label_names] for p in predictor.predict_files(files)])
    assert np.allclose(got, expected, atol=1e-5)


def test_model_card_reports_cis_calibration_and_tripod_items(trained: dict) -> None:
    card = (trained["bundle"] / "model_card.md").read_text()
    metrics = json.loads((trained["bundle"] / "metrics.json").read_text())
    for heading in ("## Intended use", "## Outcome", "## Data", "## Model and training",
                    "## Model output and operating point", "## Performance", "## Calibration", "## Subgroups",
                    "## Limitations", "## TRIPOD+AI checklist"):
        assert heading in card
    lo, hi = metrics["test"]["ci"]["auc"]["bca"]
    assert f"{metrics['test']['auc']:.3f} ({lo:.3f}–{hi:.3f})" in card
    assert "**to fill**" in card and "| 17 | Ethical approval | **to fill** |" in card
    assert "| test | 200 |" in card  # split counts from the dataset summary
    assert ("by rule `youden` (maximising sensitivity + specificity − 1, Youden's J, averaged over 100 bootstrap "
            "resamples of the validation split)") in " ".join(card.split())


def test_compare_with_itself_and_with_an_untrained_model(trained: dict, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    bundle = str(trained["bundle"])
    res = run_cli(["compare", bundle, bundle, "--data", str(trained["folder"]), "--out", str(tmp_path / "same"),
                   "--bootstrap", "100"], capsys)
    assert res.code == 0, res.err
    same = json.loads((tmp_path / "same" / "comparison.json").read_text())
    assert same["delong"]["lesion"]["difference"] == 0 and same["delong"]["lesion"]["p_value"] == 1.0
    assert same["mcnemar"]["p_value"] == 1.0 and same["difference"]["auc"]["bca"] == [0.0, 0.0]

    weak = tmp_path / "weak"
    res = run_cli(["train", "--data", str(trained["folder"]), "--model", "seed-cnn", "--epochs", "1", "--lr", "1e-6",
                   "--output", str(weak), "--no-progress", "--seed", "3"], capsys)
    assert res.code == 0, res.err
    res = run_cli(["compare", bundle, str(weak), "--data", str(trained["folder"]), "--out", str(tmp_path / "vs"),
                   "--bootstrap", "200"], capsys)
    assert res.code == 0, res.err
    vs = json.loads((tmp_path / "vs" / "comparison.json").read_text())
    assert vs["delong"]["lesion"]["difference"] > 0.2 and vs["delong"]["lesion"]["p_value"] < 0.001
    assert vs["difference"]["auc"]["bca"][0] > 0
    assert "DeLong p=" in res.out and "McNemar p=" in res.out


def test_cross_validation_groups_patients_and_predicts_each_sample_once(tmp_path: Path, few_resamples: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.data.synthetic import LABEL_NAMES, make_lesion_images

    data = make_lesion_images(120, 28, contrast=2.0, seed=41)
    rows = [(f"img/{i}.png", image, LABEL_NAMES[int(label)], "train", f"p{i // 3}")  # 3 images per patient
            for i, (image, label) in enumerate(zip(data.images, data.labels))]
    manifest = _write_pngs(tmp_path / "cv-data", rows)
    out = tmp_path / "cv"
    res = run_cli(["cv", str(few_resamples),
                   "--data", str(manifest), "--folds", "3", "--model", "seed-cnn", "--epochs", "6",
                   "--out", str(out)], capsys)
    assert res.code == 0, res.err
    summary = json.loads((out / "cv.json").read_text())
    assert len(summary["folds"]) == 3 and "grouped by patient" in summary["how"]
    assert summary["mean"]["auc"] > 0.8 and summary["sd"]["auc"] is not None
    assert summary["pooled"]["auc"]["estimate"] > 0.8
    with (out / "oof_predictions.csv").open() as fh:
        oof = list(csv.DictReader(fh))
    assert sorted(r["id"] for r in oof) == sorted(r[0] for r in rows)  # every sample exactly once
    fold_of_patient: dict[str, set[str]] = {}
    for r in oof:
        fold_of_patient.setdefault(r["patient_id"], set()).add(r["fold"])
    assert all(len(f) == 1 for f in fold_of_patient.values())  # no patient in two folds
    assert all((out / f"fold{k}" / "weights.safetensors").is_file() for k in range(3))
    assert "auc:" in res.out and "±" in res.out
