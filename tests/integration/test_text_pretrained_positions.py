"""``--pretrained`` with a RoBERTa-family model: its positions count from ``pad_token_id + 1``, so
``max_position_embeddings`` is not the number of tokens it takes. Found by an audit: documents
longer than the position table were cut to ``max_position_embeddings`` tokens and training died
with a RuntimeError traceback (index out of bounds), e.g. ``--max-length 600`` with roberta-base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from tests.integration.cli_helpers import run_cli


def _tiny_roberta(folder: Path, positions: int) -> None:
    """A random tiny RoBERTa beside the tiny BERT's WordPiece tokenizer (only its ids matter here)."""
    from transformers import RobertaConfig, RobertaForSequenceClassification

    from meddx.data.synthetic_text import keyword_documents
    from tests.tiny_bert import save_tiny_bert

    bert = folder.parent / "bert"
    save_tiny_bert(bert, keyword_documents(200, seed=9)[0])
    folder.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(bert / name, folder / name)
    vocab = len(json.loads((bert / "tokenizer.json").read_text())["model"]["vocab"])
    torch.manual_seed(0)
    config = RobertaConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=positions, pad_token_id=0)
    RobertaForSequenceClassification(config).save_pretrained(folder)


def test_a_roberta_model_gets_no_more_tokens_than_its_positions_take(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.synthetic_text import write_text_csv
    from meddx.models.text import load_pretrained

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    folder = tmp_path / "tiny-roberta"
    _tiny_roberta(folder, positions=20)
    data = write_text_csv(tmp_path / "notes.csv", n=120, seed=4)  # documents of 12-40 words: longer than 19
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(data), "--pretrained", str(folder), "--epochs", "1", "--max-length", "64",
                      "--no-progress", "--output", str(out), "--no-baseline"], capsys)
    assert result.code == 0, result.err
    config = json.loads((out / "config.json").read_text())
    assert config["preprocessing"]["max_length"] == 19
    plan = json.loads((Path(config["training"]["run_dir"]) / "plan.json").read_text())
    assert "cut to the pretrained model's 19 positions" in plan["reasons"]["max_length"]
    from meddx.bundle import load_bundle

    probs = load_bundle(out).predict_texts([" ".join(["review labs normal stable"] * 20) + " carcinoma"])
    assert probs.shape == (1, 3)
    _, module = load_pretrained(folder, 3)
    assert module.max_tokens() == 19  # positions 1..19 of 20: they count from pad_token_id + 1 = 1
