"""Text ensembles (``--ensemble K``) through the real CLI, on keyword documents with a known answer.

K networks train one after another with seeds seed..seed+K-1; the bundle holds them all and
predicts the mean of their probabilities. The keyword decides each document's class, so the
ensemble must reach accuracy near 1, and its explanations (mean attention, integrated gradients
through every member's embedding table) must point at the keyword.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tests.integration.cli_helpers import run_cli

NARROW = "model: bilstm-attention\nmodel_args:\n  embedding_dim: 32\n"  # 61 word types: PPMI vectors apply


@pytest.fixture(scope="module")
def notes_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.data.synthetic_text import write_text_csv

    return write_text_csv(tmp_path_factory.mktemp("ens_notes") / "notes.csv", n=300, seed=3)


def test_an_ensemble_of_two_text_networks_trains_saves_predicts_and_explains(
        notes_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    config = tmp_path / "narrow.yaml"
    config.write_text(NARROW + "ci_resamples: 100\n")  # the test reads estimates, not intervals
    result = run_cli(["train", str(config), "--data", str(notes_csv), "--epochs", "8", "--ensemble", "2",
                      "--no-progress", "--name", "ens", "--seed", "0"], capsys)
    assert result.code == 0, result.err
    run_dir = next((tmp_path / "home" / "runs").iterdir())
    plan = json.loads((run_dir / "plan.json").read_text())
    assert plan["ensemble"] == 2 and "mean of the networks' probabilities" in plan["reasons"]["ensemble"]
    assert plan["embedding_init"] == "ppmi"
    for member_dir in (run_dir, run_dir / "members" / "1"):  # each member has its own checkpoints and record
        assert json.loads((member_dir / "trainer.json").read_text())["epochs_run"] >= 1
        assert list((member_dir / "checkpoints").glob("*.ckpt"))

    bundle = tmp_path / "home" / "bundles" / "ens" / "v1"
    cfg = json.loads((bundle / "config.json").read_text())
    assert cfg["model"]["ensemble"] == 2 and cfg["training"]["plan"]["ensemble"] == 2
    kept = [json.loads((d / "trainer.json").read_text())["kept"] for d in (run_dir, run_dir / "members" / "1")]
    assert cfg["training"]["kept_epoch"] == kept  # one entry per network, as segmentation ensembles record
    assert json.loads((bundle / "metrics.json").read_text())["test"]["accuracy"] >= 0.95
    assert "- ensemble: 2 (set in config" in (bundle / "model_card.md").read_text()

    from safetensors.torch import load_file

    from meddx.bundle import load_bundle
    from meddx.explain.text import token_attributions
    from meddx.models.ensemble import SoftmaxMean

    weights = load_file(str(bundle / "weights.safetensors"))
    assert {k.split(".")[1] for k in weights} == {"0", "1"}
    key = "members.0.embedding.weight"
    assert not torch.equal(weights[key], weights[key.replace(".0.", ".1.")])  # two seeds, two networks
    predictor = load_bundle(bundle)
    assert isinstance(predictor.net, SoftmaxMean) and len(predictor.net.members) == 2

    doc = "Patient presented with seizure noted on exam and fatigue"
    predicted = run_cli(["predict", "ens:1", "--json", "--text", doc, "--explain", str(tmp_path / "expl")], capsys)
    assert predicted.code == 0, predicted.err
    row = json.loads(predicted.out.strip().splitlines()[0])
    assert row["label"] == "neurology" and "<mark" in Path(row["explanation"]).read_text()
    for method in ("attention", "integrated-gradients"):
        attribution = token_attributions(predictor, doc, method=method)
        assert attribution.top(1)[0]["token"] == "seizure", method
    # integrated gradients through both embedding tables still add up to the output's change
    assert attribution.extra["convergence_delta"] < 1e-3

    evaluated = run_cli(["explain", str(bundle), "--evaluate", "--data", str(notes_csv), "--split", "val", "--n", "8",
                         "-m", "all", "--json"], capsys)
    assert evaluated.code == 0, evaluated.err
    rows = {row["method"]: row for row in json.loads(evaluated.out)}
    assert set(rows) == {"attention", "integrated-gradients"}
    for method, row in rows.items():  # deleting the top-ranked tokens hurts the averaged prediction most
        assert row["deletion_auc"] < row["random_deletion_auc"], method


def test_an_ensemble_run_resumes_without_retraining_finished_members(
        notes_csv: Path, tmp_path: Path, few_resamples: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    first = run_cli(["train", str(few_resamples), "--data", str(notes_csv), "--model", "lstm", "--epochs", "2",
                     "--ensemble", "2",
                     "--no-progress", "--no-baseline", "--name", "r"], capsys)
    assert first.code == 0, first.err
    run_dir = next((tmp_path / "home" / "runs").iterdir())
    refused = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)  # finished: nothing to do
    assert refused.code == 2 and "this run finished" in refused.err
    (run_dir / "metrics.json").unlink()  # as if interrupted before the bundle was saved
    again = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert again.code == 0, again.err
    for member_dir in (run_dir, run_dir / "members" / "1"):
        assert json.loads((member_dir / "trainer.json").read_text())["epochs_run"] == 2
    cfg = json.loads((tmp_path / "home" / "bundles" / "r" / "v2" / "config.json").read_text())
    assert cfg["model"]["ensemble"] == 2


def test_cross_validation_trains_an_ensemble_in_every_fold(notes_csv: Path, tmp_path: Path, few_resamples: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    result = run_cli(["cv", str(few_resamples), "--data", str(notes_csv), "--model", "lstm", "--epochs", "1",
                      "--folds", "2", "--ensemble", "2", "--no-baseline", "--out", str(tmp_path / "cv")], capsys)
    assert result.code == 0, result.err
    summary = json.loads((tmp_path / "cv" / "cv.json").read_text())
    for fold in summary["folds"]:
        assert json.loads((Path(fold["bundle"]) / "config.json").read_text())["model"]["ensemble"] == 2


def test_ensembles_that_cannot_work_are_refused_before_anything_is_written(
        notes_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    multilabel = tmp_path / "ml.jsonl"
    words = ("fever cough", "cough", "fever", "headache")
    multilabel.write_text("\n".join(json.dumps({"text": f"note {i} about {words[i % 4]} and rest",
                                                "labels": words[i % 4].split()}) for i in range(60)) + "\n")
    refused = run_cli(["train", "--data", str(multilabel), "--epochs", "1", "--ensemble", "2", "--no-progress"], capsys)
    assert refused.code == 2 and "Traceback" not in refused.err
    assert "multi-label" in refused.err and "--ensemble" in refused.err
    two_processes = run_cli(["train", "--data", str(notes_csv), "--epochs", "1", "--ensemble", "2", "--devices", "2",
                             "--no-progress"], capsys)
    assert two_processes.code == 2 and "--devices" in two_processes.err and "Traceback" not in two_processes.err
    assert not (tmp_path / "home" / "runs").exists() or not list((tmp_path / "home" / "runs").iterdir())
