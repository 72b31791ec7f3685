"""A GPT-2 folder saved in the older form (``vocab.json`` + ``merges.txt``, no ``tokenizer.json``), read
through ``transformers.AutoTokenizer``: without a pad token it pads with its end-of-text token, as a
``tokenizer.json`` folder does, not id 0 (GPT-2's ``!``, which the model then skipped at a note's end)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.transforms.text import TextTokenizer

TEXTS = [f"chest pain and troponin rise! visit {i}" if i % 2 else f"ankle sprain after a fall, visit {i}"
         for i in range(40)]


def _save_gpt2_vocab_files(tmp_path: Path) -> Path:
    """A tiny random GPT-2 in ``tmp_path/model`` whose tokenizer is ``vocab.json`` + ``merges.txt`` only
    (``!`` at id 0, ``<|endoftext|>`` last, no pad token), as older GPT-2 folders are saved."""
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2ForSequenceClassification

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.train_from_iterator(TEXTS, trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                       show_progress=False))
    folder = tmp_path / "model"
    folder.mkdir()
    bpe.model.save(str(folder))  # vocab.json + merges.txt
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    assert vocab["!"] == 0
    end = vocab["<|endoftext|>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(vocab), n_embd=32, n_layer=1, n_head=2, n_positions=64,
                        bos_token_id=end, eos_token_id=end)
    GPT2ForSequenceClassification(config).save_pretrained(folder)
    assert not (folder / "tokenizer.json").exists()  # read through transformers.AutoTokenizer
    return folder


def test_vocab_and_merges_folder_pads_with_the_eos_token_not_id_0(tmp_path: Path) -> None:
    folder = _save_gpt2_vocab_files(tmp_path)
    tok = TextTokenizer.from_pretrained(folder, max_length=32)
    eos = tok._tok.token_to_id("<|endoftext|>")
    assert eos is not None and tok.pad_id == eos != tok._tok.token_to_id("!")
    ids, mask = tok.encode_batch(["ankle sprain", "chest pain and troponin rise after a fall"])
    assert (ids[0][mask[0] == 0] == eos).all()


def test_a_final_exclamation_mark_is_read_by_the_model(tmp_path: Path) -> None:
    from meddx.models.text import load_pretrained

    folder = _save_gpt2_vocab_files(tmp_path)
    tok = TextTokenizer.from_pretrained(folder, max_length=32)
    _, model = load_pretrained(folder, 2, pad_id=tok.pad_id)
    with torch.no_grad():
        logits = [model.eval()(*(torch.from_numpy(a) for a in tok.encode_batch([text])))
                  for text in ("chest pain", "chest pain!")]
    assert not torch.allclose(logits[0], logits[1])  # read at "!", not at "pain" before it
