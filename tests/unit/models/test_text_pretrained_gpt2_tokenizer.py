"""A GPT-2-style (byte-level BPE) pretrained tokenizer, found by an audit of ``--pretrained`` with GPT-2:
without a pad token it pads with its end-of-text token, not id 0 (GPT-2's ``!``, which the model,
classifying from the last token that is not padding, skipped at a note's end); and the character
spans explanations highlight leave out the space a byte-level token carries (" pain")."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from meddx.transforms.text import TextTokenizer

TEXTS = [f"chest pain and troponin rise! visit {i}" if i % 2 else f"ankle sprain after a fall, visit {i}"
         for i in range(40)]


def _save_gpt2_like(folder: Path) -> None:
    """A tiny random GPT-2 whose byte-level BPE tokenizer has ``!`` at id 0 and ``<|endoftext|>``
    last, as GPT-2's does, and no padding token."""
    pytest.importorskip("transformers")
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2ForSequenceClassification, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(TEXTS, trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                       show_progress=False))
    bpe.add_special_tokens([AddedToken("<|endoftext|>", special=True)])
    assert bpe.token_to_id("!") == 0 and bpe.token_to_id("<|endoftext|>") == bpe.get_vocab_size() - 1
    PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>").save_pretrained(folder)
    torch.manual_seed(0)
    end = bpe.token_to_id("<|endoftext|>")
    config = GPT2Config(vocab_size=bpe.get_vocab_size(), n_embd=32, n_layer=1, n_head=2, n_positions=64,
                        bos_token_id=end, eos_token_id=end)
    GPT2ForSequenceClassification(config).save_pretrained(folder)


def test_no_pad_token_falls_back_to_the_eos_token_not_id_0(tmp_path: Path) -> None:
    _save_gpt2_like(tmp_path)
    tok = TextTokenizer.from_pretrained(tmp_path, max_length=32)
    assert tok.pad_id == tok._tok.token_to_id("<|endoftext|>") != tok._tok.token_to_id("!")
    ids, mask = tok.encode_batch(["ankle sprain", "chest pain and troponin rise after a fall"])
    assert (ids[0][mask[0] == 0] == tok.pad_id).all()


def test_a_final_exclamation_mark_is_read_by_the_model(tmp_path: Path) -> None:
    from meddx.models.text import load_pretrained

    _save_gpt2_like(tmp_path)
    tok = TextTokenizer.from_pretrained(tmp_path, max_length=32)
    _, model = load_pretrained(tmp_path, 2, pad_id=tok.pad_id)
    with torch.no_grad():
        logits = [model.eval()(*(torch.from_numpy(a) for a in tok.encode_batch([text])))
                  for text in ("chest pain", "chest pain!")]
    assert not torch.allclose(logits[0], logits[1])  # read at "!", not at "pain" before it


def test_token_spans_leave_out_the_byte_level_space(tmp_path: Path) -> None:
    _save_gpt2_like(tmp_path)
    tok = TextTokenizer.from_pretrained(tmp_path, max_length=32)
    text = "chest pain  and\ntroponin rise"
    spans, positions, cut = tok.token_spans(text)
    assert not cut and len(positions) == len(spans)
    assert spans == tok.tokens(text) == tok.encode_explained(text)[2]
    covered = [text[start:end] for _, start, end in spans]
    assert all(piece == piece.strip() for piece in covered), covered
    assert "".join(covered) == "chestpainandtroponinrise"  # every word still covered, nothing else
    pain = next(s for s in spans if text[s[1]:s[2]] == "pain")
    assert (pain[1], pain[2]) == (6, 10) and pain[0] == "Ġpain"
