"""Text models: the contract every registered ``input == "text"`` model honours, and a synthetic
keyword task (known answer) each model must learn.

The contract is parametrized over the registry, so a new text model is tested the moment it is
registered. Models are tiny and everything runs on one thread in well under a minute.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load, save
from torch import nn

from meddx.core.errors import DataError, ModelError
from meddx.models import create_model, list_models, model_info
from meddx.transforms.text import TextTokenizer
from tests.tiny_bert import save_tiny_bert

NUM_CLASSES = 3
VOCAB = 50
KEYWORDS = {1: ("fever", "pyrexia"), 2: ("fracture", "break")}  # class 0: none of them


def _tiny_bert_config() -> dict[str, Any]:
    from transformers import BertConfig

    return BertConfig(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=32, max_position_embeddings=64).to_dict()


# Arguments a factory cannot default (a new text model with required arguments adds them here).
EXTRA_ARGS = {"hf-sequence-classifier": lambda: {"hf_config": _tiny_bert_config()}}


def _text_models() -> list[str]:
    return [name for name in list_models() if model_info(name).get("input") == "text"]


def _build(name: str, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    extra = EXTRA_ARGS.get(name, dict)()
    return create_model(name, num_classes=NUM_CLASSES, vocab_size=VOCAB, **extra)


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Three right-padded rows of lengths 7, 3 and 1 (ids avoid the pad id 0)."""
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, VOCAB, (3, 7), generator=g)
    mask = torch.ones_like(ids)
    for row, length in enumerate((7, 3, 1)):
        ids[row, length:] = 0
        mask[row, length:] = 0
    return ids, mask


def test_text_models_are_registered() -> None:
    assert {"lstm", "bilstm-attention", "transformer", "hf-sequence-classifier"} <= set(_text_models())
    for name in _text_models():
        info = model_info(name)
        assert info["output"] == "logits" and info["dims"] == (1,) and info["description"]


@pytest.mark.parametrize("name", _text_models())
def test_text_model_contract(name: str) -> None:
    model = _build(name)
    ids, mask = _batch()
    assert isinstance(model.get_input_embeddings(), nn.Embedding)

    # forward + backward: logits (B, K) and a finite gradient on every trainable parameter
    model.train()
    logits = model(ids, mask)
    assert logits.shape == (3, NUM_CLASSES)
    nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2])).backward()
    for pname, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None, f"{name}: no gradient for {pname}"
            assert torch.isfinite(p.grad).all(), f"{name}: non-finite gradient for {pname}"

    model.eval()
    with torch.no_grad():
        expected = model(ids, mask)
        # padding invariance: appending padding changes no row's logits
        more_ids = torch.cat([ids, torch.zeros(3, 5, dtype=ids.dtype)], dim=1)
        more_mask = torch.cat([mask, torch.zeros(3, 5, dtype=mask.dtype)], dim=1)
        torch.testing.assert_close(model(more_ids, more_mask), expected, rtol=1e-5, atol=1e-5)
        # a row alone gives the same logits as in the batch; no mask means every token is real
        torch.testing.assert_close(model(ids[1:2, :3], None), expected[1:2], rtol=1e-5, atol=1e-5)

        # safetensors round trip into a freshly built model gives identical eval outputs
        fresh = _build(name, seed=1).eval()
        fresh.load_state_dict(load(save(model.state_dict())))
        torch.testing.assert_close(fresh(ids, mask), expected, rtol=0, atol=0)


def test_seed_lstm_is_exactly_the_article_network() -> None:
    model = create_model("lstm", num_classes=2, vocab_size=1000)
    assert [type(m) for m in model.children()] == [nn.Embedding, nn.LSTM, nn.Dropout, nn.Linear]
    emb, lstm, drop, fc = model.children()
    assert (emb.num_embeddings, emb.embedding_dim, emb.padding_idx) == (1000, 128, 0)
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers, lstm.bidirectional) == (128, 64, 1, False)
    assert drop.p == 0.0 and (fc.in_features, fc.out_features) == (64, 2)
    lstm_params = 4 * 64 * (128 + 64) + 2 * 4 * 64
    assert sum(p.numel() for p in model.parameters()) == 1000 * 128 + lstm_params + 64 * 2 + 2


def test_bilstm_attention_weights_are_a_distribution_over_real_tokens() -> None:
    model = _build("bilstm-attention").eval()
    ids, mask = _batch()
    with torch.no_grad():
        weights = model.attention(ids, mask)
    assert weights.shape == ids.shape
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))
    assert (weights[mask == 0] == 0).all() and (weights[mask == 1] > 0).all()


def test_bad_arguments_are_model_errors() -> None:
    with pytest.raises(ModelError, match="vocab_size"):
        create_model("lstm", num_classes=2, vocab_size=1)
    with pytest.raises(ModelError, match="hf_config"):
        create_model("hf-sequence-classifier", num_classes=2)
    model = create_model("transformer", num_classes=2, vocab_size=VOCAB, max_length=4)
    with pytest.raises(ModelError, match="max_length"):
        model(torch.ones(1, 5, dtype=torch.long))


def test_shared_weights_round_trip_through_safetensors() -> None:
    """BART ties its encoder and decoder embeddings (one tensor, three names): safetensors
    refuses shared tensors, so the wrapper's state_dict gives each name its own copy."""
    from transformers import BartConfig

    cfg = BartConfig(vocab_size=VOCAB, d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                     decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=32)
    torch.manual_seed(0)
    model = create_model("hf-sequence-classifier", num_classes=NUM_CLASSES, hf_config=cfg.to_dict()).eval()
    ids = torch.randint(3, VOCAB, (2, 6))
    ids[:, -1] = cfg.eos_token_id  # BART classifies from the final <eos>
    fresh = create_model("hf-sequence-classifier", num_classes=NUM_CLASSES, hf_config=cfg.to_dict()).eval()
    fresh.load_state_dict(load(save(model.state_dict())))
    with torch.no_grad():
        torch.testing.assert_close(fresh(ids), model(ids), rtol=0, atol=0)
    emb = fresh.model.model
    assert emb.encoder.embed_tokens.weight.data_ptr() == emb.shared.weight.data_ptr()  # still tied


def test_load_pretrained_errors(tmp_path: Path) -> None:
    from meddx.models.text import load_pretrained

    with pytest.raises(DataError, match="no such folder"):
        load_pretrained(tmp_path / "absent", 2)
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(DataError, match="config.json") as err:
        load_pretrained(tmp_path, 2)
    assert "weights.bin" in str(err.value)


def test_import_does_not_import_transformers() -> None:
    code = "import sys, meddx.models.text; print('transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_embeddings_support_captum_layer_integrated_gradients() -> None:
    captum = pytest.importorskip("captum.attr")
    model = _build("lstm").eval()
    ids, mask = _batch()
    lig = captum.LayerIntegratedGradients(lambda i, m: model(i, m), model.get_input_embeddings())
    attr = lig.attribute(ids, baselines=torch.zeros_like(ids), additional_forward_args=(mask,), target=1, n_steps=8)
    assert attr.shape == (*ids.shape, 128) and torch.isfinite(attr).all()


# ----------------------------------------------------------------------------- keyword task


def _keyword_task(n: int = 600, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Short documents of random filler words; the class is 1 or 2 when one of that class's
    keywords appears (at a random position), else 0."""
    rng = random.Random(seed)
    filler = [f"w{i}" for i in range(200)]
    texts, labels = [], []
    for i in range(n):
        label = i % NUM_CLASSES
        words = rng.choices(filler, k=rng.randint(6, 20))
        if label:
            words.insert(rng.randint(0, len(words)), rng.choice(KEYWORDS[label]))
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels)


def _train_and_score(model: nn.Module, tok: TextTokenizer, texts: list[str], labels: np.ndarray,
                     epochs: int, lr: float) -> float:
    """Plain AdamW loop (batch 32) on the first 450 documents; accuracy on the other 150."""
    torch.manual_seed(0)
    x, m = (torch.from_numpy(a) for a in tok.encode_batch(texts[:450]))
    y = torch.from_numpy(labels[:450])
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(y)).split(32):
            loss = nn.functional.cross_entropy(model(x[batch], m[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    x_test, m_test = (torch.from_numpy(a) for a in tok.encode_batch(texts[450:]))
    with torch.no_grad():
        predicted = model(x_test, m_test).argmax(dim=1).numpy()
    return float((predicted == labels[450:]).mean())


@pytest.mark.parametrize(("name", "epochs", "lr"), [("lstm", 8, 5e-3), ("bilstm-attention", 5, 3e-3),
                                                     ("transformer", 6, 1e-3)])
def test_model_learns_keyword_task(name: str, epochs: int, lr: float) -> None:
    texts, labels = _keyword_task()
    tok = TextTokenizer.fit(texts[:450], kind="word", min_frequency=1, max_length=32)
    torch.manual_seed(0)
    model = create_model(name, num_classes=NUM_CLASSES, vocab_size=tok.vocab_size, pad_id=tok.pad_id)
    start = time.perf_counter()
    accuracy = _train_and_score(model, tok, texts, labels, epochs, lr)
    print(f"{name}: held-out accuracy {accuracy:.3f} in {time.perf_counter() - start:.1f} s")
    assert accuracy >= 0.95


def test_pretrained_hf_classifier_learns_keyword_task(tmp_path: Path) -> None:
    from meddx.models.text import load_pretrained

    texts, labels = _keyword_task()
    save_tiny_bert(tmp_path, texts[:450])
    tok = TextTokenizer.from_pretrained(tmp_path)
    assert tok.kind == "pretrained" and tok.max_length == 64
    args, model = load_pretrained(tmp_path, NUM_CLASSES)
    assert json.loads(json.dumps(args)) == args  # plain JSON: it goes into a bundle's config.json
    assert args["vocab_size"] == tok.vocab_size

    start = time.perf_counter()
    accuracy = _train_and_score(model, tok, texts, labels, epochs=6, lr=2e-3)
    print(f"hf-sequence-classifier: held-out accuracy {accuracy:.3f} in {time.perf_counter() - start:.1f} s")
    assert accuracy >= 0.95

    # the bundle path: args rebuild the architecture, the trained weights load via safetensors
    rebuilt = create_model("hf-sequence-classifier", num_classes=NUM_CLASSES, **args).eval()
    rebuilt.load_state_dict(load(save(model.state_dict())))
    x, m = (torch.from_numpy(a) for a in tok.encode_batch(texts[450:460]))
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x, m), model(x, m), rtol=0, atol=0)
