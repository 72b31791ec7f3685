"""``meddx train --pretrained`` with a GPT-2-style model that has no padding token: trained, saved and
predicted in batches. Found by an audit: training died at the first batch with a ValueError
traceback ("Cannot handle batch sizes > 1 if no padding token is defined")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli
from tests.unit.models.test_text_pretrained_pad import _save_tiny_gpt2


def test_a_gpt2_model_without_a_pad_token_trains_and_predicts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.synthetic_text import write_text_csv

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    folder = tmp_path / "tiny-gpt2"
    _save_tiny_gpt2(folder)
    data = write_text_csv(tmp_path / "notes.csv", n=60, seed=4)
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(data), "--pretrained", str(folder), "--epochs", "1", "--no-progress",
                      "--output", str(out), "--no-baseline"], capsys)
    assert result.code == 0, result.err[-2000:]
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["args"]["pad_id"] == 0  # no padding token named: id 0 (<|endoftext|> here)
    from meddx.bundle import load_bundle

    probs = load_bundle(out).predict_texts(["chest pain", "a longer note about a fall and an ankle sprain"])
    assert probs.shape[0] == 2
