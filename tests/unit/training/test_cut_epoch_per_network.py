"""An epoch the time limit cut short is recorded per network and per cross-validation fold.

Found by an audit: the bundle's ``training.cut_epoch`` was read from the run folder's
``trainer.json`` only, so in an ensemble a cut in network 2 (``members/1``) reached neither the
bundle nor the model card; and ``meddx cv`` neither recorded nor warned of folds whose last epoch
the time limit cut. The cut is forced here (``training.fit.epoch_cut_short``, which reads
Lightning's batch counters when ``max_time`` stops an epoch) so the tests need no real clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import meddx.training.fit as fitlib
from tests.integration.cli_helpers import run_cli

CUT = {"epoch": 0, "batches": 3, "of": 8}


@pytest.fixture(scope="module")
def notes_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.data.synthetic_text import write_text_csv

    return write_text_csv(tmp_path_factory.mktemp("cut_notes") / "notes.csv", n=100, seed=7)


def _cut_on_call(monkeypatch: pytest.MonkeyPatch, cut_calls: set[int]) -> None:
    """``epoch_cut_short`` reports ``CUT`` on the given calls (counted from 0: one per trained network)."""
    calls = iter(range(1000))
    monkeypatch.setattr(fitlib, "epoch_cut_short", lambda trainer: dict(CUT) if next(calls) in cut_calls else None)


SMALL = "model: lstm\nmodel_args:\n  embedding_dim: 16\n  hidden_size: 16\nepochs: 1\nbatch_size: 8\nbaseline: false\n" \
        "embedding_init: random\nci_resamples: 0\n"


def _config(tmp_path: Path) -> str:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return str(path)


def test_a_cut_in_the_second_network_is_in_the_bundle_and_the_card(
        notes_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    _cut_on_call(monkeypatch, {1})  # network 2 of 2
    result = run_cli(["train", _config(tmp_path), "--data", str(notes_csv), "--ensemble", "2", "--no-progress",
                      "--name", "cut", "--out", str(tmp_path / "bundle")], capsys)
    assert result.code == 0, result.err
    cfg: dict[str, Any] = json.loads((tmp_path / "bundle" / "config.json").read_text())
    networks = cfg["training"]["networks"]
    assert [n.get("cut_epoch") for n in networks] == [None, CUT]
    assert "cut_epoch" not in cfg["training"]  # network 1 (the top-level record) was not cut
    card = " ".join((tmp_path / "bundle" / "model_card.md").read_text().split())
    assert "- network 2 of 2: epochs run: 1 of 1 planned (the time limit stopped epoch 1 after 3 of its 8 " \
           "batches; the best validation epoch was kept)" in card
    assert "- network 1 of 2: epochs run: 1 of 1 planned;" in card
    assert "warning: network 2 of 2: the time limit" in " ".join(result.err.split())


def test_cv_records_and_warns_of_the_folds_the_time_limit_cut(
        notes_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    _cut_on_call(monkeypatch, {1})  # fold 1 of folds 0, 1
    result = run_cli(["cv", _config(tmp_path), "--data", str(notes_csv), "--folds", "2", "--out", str(tmp_path / "cv")], capsys)
    assert result.code == 0, result.err
    summary = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert summary["cut_folds"] == [1]
    assert [f["cut_epochs"] for f in summary["folds"]] == [[], [{"network": 1, "networks": 1, **CUT}]]
    out = " ".join(result.err.split())
    assert "warning: the time limit (1.25x --time-budget) stopped training mid-epoch in fold 1 (stopped epoch 1 " \
           "after 3 of its 8 batches)" in out
    assert "fold 0 (" not in out


def test_a_segmentation_ensembles_card_names_the_network_the_time_limit_cut(tmp_path: Path) -> None:
    """Segmentation bundles record each network's epochs as text bundles do (``seg_finish`` reads
    the same ``trainer.json`` records), and the card names a cut network."""
    from meddx.bundle.seg_card import render_seg_model_card
    from meddx.training.finish import networks_field

    run = tmp_path / "run"
    (run / "members" / "1").mkdir(parents=True)
    (run / "trainer.json").write_text(json.dumps({"epochs_run": 5, "epochs_planned": 5, "cut_epoch": None,
                                                  "restored_checkpoint": str(run / "checkpoints" / "last.ckpt")}))
    (run / "members" / "1" / "trainer.json").write_text(json.dumps({
        "epochs_run": 3, "epochs_planned": 7, "cut_epoch": {"epoch": 2, "batches": 4, "of": 9},
        "restored_checkpoint": "members/1/checkpoints/best-epoch=001.ckpt"}))
    field = networks_field(run, 2)
    assert field["networks"] == [
        {"network": 1, "epochs": 5, "epochs_run": 5, "kept_weights_epoch": 4},
        {"network": 2, "epochs": 7, "epochs_run": 3, "kept_weights_epoch": 1,
         "cut_epoch": {"epoch": 2, "batches": 4, "of": 9}}]
    config = {"name": "seg", "label_names": ["background", "lesion"], "model": {"name": "unet", "ensemble": 2},
              "training": {"plan": {"epochs": 5, "spatial_dims": 2}, **field}}
    card = " ".join(render_seg_model_card(config, {}).split())
    assert "- network 2 of 2: epochs run: 3 of 7 planned (stopped early) (the time limit stopped epoch 3 after 4 " \
           "of its 9 batches; the best validation epoch was kept); the weights are those after epoch 2" in card
    assert "- network 1 of 2: epochs run: 5 of 5 planned; the weights are those after epoch 5" in card
