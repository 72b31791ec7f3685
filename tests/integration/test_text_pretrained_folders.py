"""``--pretrained PATH`` with the local Hugging Face folders users have besides a fine-tuned BERT:
a model-only folder (no tokenizer files), a masked-LM checkpoint (no classification head), a
classifier saved with another class count or the same one, and a checkpoint lacking encoder weights.
Found by a walk over tiny random models of each kind (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.core.errors import DataError

_SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


def _bert_folder(folder: Path, head: str = "BertForMaskedLM", num_labels: int = 2) -> Path:
    """A tiny random BERT checkpoint with ``head`` beside the tiny BERT's own tokenizer files."""
    import transformers

    from meddx.data.synthetic_text import keyword_documents
    from tests.tiny_bert import save_tiny_bert

    save_tiny_bert(folder, keyword_documents(60, seed=9)[0])
    vocab = len(json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"])
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=vocab, num_labels=num_labels, **_SMALL)
    getattr(transformers, head)(config).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("keep", [(), ("tokenizer_config.json", "special_tokens_map.json")])
def test_a_model_only_folder_is_refused_not_read_as_a_vocabulary_of_special_tokens(tmp_path: Path,
                                                                                   keep: tuple[str, ...]) -> None:
    """transformers builds a BertTokenizer of its 5 special tokens from config.json alone: every
    word became [UNK] and training went on to a chance-level model without a word said."""
    from meddx.transforms.text import TextTokenizer

    folder = _bert_folder(tmp_path / "model-only")
    for path in folder.iterdir():
        if path.name not in ("config.json", "model.safetensors", *keep):
            path.unlink()
    with pytest.raises(DataError, match="no tokenizer found.*model-only folder.*found: config.json"):
        TextTokenizer.from_pretrained(folder)


def test_a_slow_vocab_txt_folder_still_loads(tmp_path: Path) -> None:
    from meddx.transforms.text import TextTokenizer

    folder = _bert_folder(tmp_path / "slow")
    vocab = json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"]
    (folder / "vocab.txt").write_text("\n".join(sorted(vocab, key=vocab.get)) + "\n")
    (folder / "tokenizer.json").unlink()
    settings = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**settings, "tokenizer_class": "BertTokenizer"}))
    tok = TextTokenizer.from_pretrained(folder)
    ids, _ = tok.encode_batch(["carcinoma of the lung"])
    assert tok.vocab_size == len(vocab) and (ids != vocab["[UNK]"]).sum() > 2


def test_load_pretrained_says_whether_the_classification_head_is_new(tmp_path: Path) -> None:
    from meddx.models.text import load_pretrained

    _, mlm = load_pretrained(_bert_folder(tmp_path / "mlm"), 3)
    assert mlm.loading_notes == [f"{tmp_path / 'mlm'}: a new, randomly initialised 3-class classification head "
                                 "(the checkpoint is BertForMaskedLM)"]
    _, five = load_pretrained(_bert_folder(tmp_path / "five", "BertForSequenceClassification", 5), 3)
    assert "new, randomly initialised 3-class" in five.loading_notes[0]
    assert "its head had 5 classes" in five.loading_notes[0]
    same = _bert_folder(tmp_path / "three", "BertForSequenceClassification", 3)
    _, three = load_pretrained(same, 3)
    assert "the checkpoint's own 3-class classification head" in three.loading_notes[0]
    assert "class order may not be this data's" in three.loading_notes[0]
    assert len(three.loading_notes) == 1  # every encoder weight came from the checkpoint


def test_load_pretrained_names_encoder_weights_the_checkpoint_lacks(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    from meddx.models.text import load_pretrained

    folder = _bert_folder(tmp_path / "partial")
    weights = load_file(folder / "model.safetensors")
    name = next(k for k in weights if k.startswith("bert.encoder.layer.1.") and k.endswith("dense.weight"))
    del weights[name]
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    _, module = load_pretrained(folder, 2)
    assert module.loading_notes[1] == f"{folder}: 1 encoder weights are not in the checkpoint and start random (e.g. {name})"


_NO_NETWORK = """
import socket, sys
def refuse(*args, **kwargs):
    raise AssertionError("a socket was opened")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from meddx.bundle import load_bundle
print(load_bundle(sys.argv[1]).predict_texts(["chest pain and troponin rise"]).shape)
"""


def test_a_masked_lm_folder_trains_says_its_head_is_new_and_reloads_without_network(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import subprocess
    import sys

    from meddx.data.synthetic_text import write_text_csv
    from tests.integration.cli_helpers import run_cli

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    folder = _bert_folder(tmp_path / "mlm")
    data = write_text_csv(tmp_path / "notes.csv", n=60, seed=4)
    out = tmp_path / "bundle"
    result = run_cli(["train", "--data", str(data), "--pretrained", str(folder), "--epochs", "1", "--no-progress",
                      "--output", str(out), "--no-baseline"], capsys)
    assert result.code == 0, result.err
    note = f"{folder}: a new, randomly initialised 3-class classification head (the checkpoint is BertForMaskedLM)"
    assert f"meddx: note: {note}" in result.err
    plan = json.loads((Path(json.loads((out / "config.json").read_text())["training"]["run_dir"]) / "plan.json")
                      .read_text())
    assert plan["reasons"]["model"] == f"pretrained model folder {folder}; {note}"
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    done = subprocess.run([sys.executable, "-c", _NO_NETWORK, str(out)], env=env, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(1, 3)" in done.stdout


def test_a_tokenizer_with_more_ids_than_the_model_has_embeddings_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Another model's tokenizer files beside the weights: training died with an IndexError traceback."""
    import transformers

    from meddx.data.synthetic_text import write_text_csv
    from tests.integration.cli_helpers import run_cli

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    folder = _bert_folder(tmp_path / "mixed")
    vocab = len(json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"])
    transformers.BertForMaskedLM(transformers.BertConfig(vocab_size=100, **_SMALL)).save_pretrained(folder)
    data = write_text_csv(tmp_path / "notes.csv", n=60, seed=4)
    result = run_cli(["train", "--data", str(data), "--pretrained", str(folder), "--epochs", "1", "--no-progress",
                      "--no-baseline"], capsys)
    assert result.code != 0
    assert result.err.strip().splitlines()[-1] == (
        f"meddx: error: {folder}: the tokenizer has {vocab} token ids but the model's embedding table has 100 rows "
        "(config.json vocab_size 100); the tokenizer files are not this model's: use the tokenizer it was trained with")


def test_a_hub_id_or_a_file_is_not_taken_for_a_folder_and_the_error_says_what_to_pass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--pretrained bert-base-uncased`` only said "no such folder"; a config.json path the same."""
    import socket

    from meddx.models.text import load_pretrained
    from meddx.transforms.text import TextTokenizer

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.chdir(tmp_path)
    for load in (TextTokenizer.from_pretrained, lambda p: load_pretrained(p, 2)):
        with pytest.raises(DataError, match="^emilyalsentzer/Bio_ClinicalBERT: no such folder.*if "
                           "'emilyalsentzer/Bio_ClinicalBERT' is a Hugging Face hub id: meddx never downloads"):
            load("emilyalsentzer/Bio_ClinicalBERT")
        config = tmp_path / "model" / "config.json"
        config.parent.mkdir(exist_ok=True)
        config.write_text("{}")
        with pytest.raises(DataError, match=f"^{config}: a file, not a folder; pass the model folder that holds "
                           f"it \\({config.parent}\\)"):
            load(config)
        with pytest.raises(DataError, match="no such folder") as info:
            load(tmp_path / "absent")
        assert "hub id" not in str(info.value)  # an absolute path is no hub id


def test_a_sentencepiece_folder_without_the_package_says_which_package(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """DeBERTa-v3's own layout (spm.model + tokenizer_config.json, no tokenizer.json) was refused as
    "no tokenizer found" while its tokenizer file was right there."""
    import importlib.util

    from meddx.transforms.text import TextTokenizer

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sentencepiece"
                        else find_spec(name, *a))
    folder = tmp_path / "deberta-v3"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "deberta-v2"}))
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "DebertaV2Tokenizer"}))
    (folder / "spm.model").write_bytes(b"\x0a\x05model")
    with pytest.raises(DataError, match=r"SentencePiece model \(spm.model\).*needs the package 'sentencepiece'"):
        TextTokenizer.from_pretrained(folder)
