"""``--pretrained`` with a GPT-2-style model, whose config has no ``pad_token_id``: it classifies from
the last token that is not padding, so it needs one. Found by an audit: training stopped at the first
batch with a ``ValueError: Cannot handle batch sizes > 1 if no padding token is defined`` traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from meddx.models.registry import create_model
from meddx.transforms.text import TextTokenizer

TEXTS = [f"chest pain and troponin rise, visit {i}" if i % 2 else f"ankle sprain after a fall, visit {i}"
         for i in range(40)]


def _save_tiny_gpt2(folder: Path) -> None:
    """A tiny random GPT-2 and its byte-level BPE tokenizer with no padding token, as saved by HF."""
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2ForSequenceClassification, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(TEXTS, trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                       show_progress=False))
    PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>").save_pretrained(folder)
    torch.manual_seed(0)
    end = bpe.token_to_id("<|endoftext|>")
    config = GPT2Config(vocab_size=bpe.get_vocab_size(), n_embd=32, n_layer=1, n_head=2, n_positions=64,
                        bos_token_id=end, eos_token_id=end)
    assert config.pad_token_id is None
    GPT2ForSequenceClassification(config).save_pretrained(folder)


def test_a_model_without_a_pad_token_takes_the_tokenizers_and_classifies_batches(tmp_path: Path) -> None:
    from meddx.models.text import load_pretrained

    _save_tiny_gpt2(tmp_path)
    tok = TextTokenizer.from_pretrained(tmp_path, max_length=32)
    args, model = load_pretrained(tmp_path, 2, pad_id=tok.pad_id)
    assert args["pad_id"] == tok.pad_id and model.model.config.pad_token_id == tok.pad_id
    ids, mask = (torch.from_numpy(a) for a in tok.encode_batch(["chest pain", "ankle sprain after a long fall"]))
    with torch.no_grad():
        logits = model.eval()(ids, mask)
        alone = model(ids[:1, : int(mask[0].sum())], mask[:1, : int(mask[0].sum())])
    assert logits.shape == (2, 2)
    torch.testing.assert_close(logits[:1], alone)  # the padded row is read up to its last real token
    rebuilt = create_model("hf-sequence-classifier", num_classes=2, **args).eval()  # as load_bundle does
    rebuilt.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(ids, mask), logits)


def test_a_models_own_pad_token_is_kept(tmp_path: Path) -> None:
    from meddx.models.text import load_pretrained
    from tests.tiny_bert import save_tiny_bert

    save_tiny_bert(tmp_path, TEXTS)
    args, model = load_pretrained(tmp_path, 2, pad_id=7)
    assert "pad_id" not in args and model.model.config.pad_token_id == 0
