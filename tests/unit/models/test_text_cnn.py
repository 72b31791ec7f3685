"""``textcnn`` (Kim 2014): the architecture as published, padding that never counts, the keyword task,
and integrated-gradients explanations through the same path as the other text networks.

The registry-wide text contract (forward/backward, padding invariance, safetensors round trip) runs
on it from ``test_text_models.py`` as soon as it is registered; the tests here add what is specific.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from meddx.core.errors import ModelError
from meddx.models import create_model, list_models, model_info
from meddx.transforms.text import TextTokenizer
from tests.unit.models.test_text_models import NUM_CLASSES, _keyword_task, _train_and_score


def test_textcnn_is_a_registered_text_model() -> None:
    assert "textcnn" in list_models()
    info = model_info("textcnn")
    assert (info["input"], info["output"], info["dims"]) == ("text", "logits", (1,))


def test_textcnn_is_kims_network() -> None:
    model = create_model("textcnn", num_classes=5, vocab_size=1000, pad_id=0)
    emb = model.get_input_embeddings()
    assert (emb.num_embeddings, emb.embedding_dim, emb.padding_idx) == (1000, 128, 0)  # the other networks' table
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in model.convs] == [(128, 100, (w,)) for w in (3, 4, 5)]
    assert model.dropout.p == 0.5 and (model.fc.in_features, model.fc.out_features) == (300, 5)
    conv_params = sum(128 * 100 * w + 100 for w in (3, 4, 5))
    assert sum(p.numel() for p in model.parameters()) == 1000 * 128 + conv_params + 300 * 5 + 5


def test_windows_of_padding_alone_never_win_the_max() -> None:
    """With a large positive bias, a window of padding alone (all zeros after the embedding) would
    score the bias and win every max: the result would then depend on the batch's padding."""
    torch.manual_seed(0)
    model = create_model("textcnn", num_classes=3, vocab_size=30, dropout=0.0).eval()
    with torch.no_grad():
        for conv in model.convs:
            conv.weight.mul_(0.01)
            conv.bias.fill_(5.0)
        ids = torch.tensor([[4, 7, 0, 0, 0, 0, 0, 0]])
        mask = (ids != 0).long()
        alone = model(ids[:, :2], None)
        padded = model(ids, mask)
        torch.testing.assert_close(padded, alone, rtol=1e-6, atol=1e-6)
        # a one-token document is shorter than every width: the wide convolutions still read it
        one = model(torch.tensor([[9, 0, 0]]), torch.tensor([[1, 0, 0]]))
        assert torch.isfinite(one).all()


def test_an_empty_mask_row_still_gives_finite_logits() -> None:
    model = create_model("textcnn", num_classes=2, vocab_size=30).eval()
    with torch.no_grad():
        out = model(torch.tensor([[0, 0, 0]]), torch.tensor([[0, 0, 0]]))
    assert torch.isfinite(out).all()


def test_textcnn_learns_the_keyword_task() -> None:
    texts, labels = _keyword_task()
    tok = TextTokenizer.fit(texts[:450], kind="word", min_frequency=1, max_length=32)
    torch.manual_seed(0)
    model = create_model("textcnn", num_classes=NUM_CLASSES, vocab_size=tok.vocab_size, pad_id=tok.pad_id)
    assert _train_and_score(model, tok, texts, labels, epochs=6, lr=2e-3) >= 0.95


@pytest.mark.parametrize("bad", [{"widths": []}, {"widths": [3, 0]}, {"filters": 0}, {"dropout": 1.0},
                                 {"widths": ["a"]}])
def test_bad_arguments_are_model_errors(bad: dict) -> None:
    with pytest.raises(ModelError, match="widths must be a non-empty list"):
        create_model("textcnn", num_classes=2, vocab_size=30, **bad)


def test_integrated_gradients_explain_a_textcnn_prediction() -> None:
    """The explanation path of every network without attention: Captum's LayerIntegratedGradients on
    ``get_input_embeddings()``; its scores add up to logit(document) - logit(all-padding baseline)."""
    pytest.importorskip("captum")
    from meddx.bundle.text_predictor import TextPredictor
    from meddx.data.synthetic_text import keyword_documents
    from meddx.explain.text import render_attribution_html, token_attributions

    texts, _ = keyword_documents(80, seed=0)
    tokenizer = TextTokenizer.fit(texts, kind="word", vocab_size=300, max_length=64)
    torch.manual_seed(0)
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    net = create_model("textcnn", num_classes=3, **args)
    config = {"name": "t", "task": "multiclass", "label_names": ["a", "b", "c"],
              "model": {"name": "textcnn", "args": args},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "max_length": 64},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    predictor = TextPredictor(config, net.eval(), tokenizer)
    text = "Patient presented with seizure, noted on exam."
    result = token_attributions(predictor, text)  # auto: no attention pooling, so integrated gradients
    assert result.method == "integrated-gradients" and len(result.scores) == len(result.tokens) > 0
    ids, mask = predictor.encode([text])
    k = predictor.label_names.index(result.target)
    with torch.no_grad():
        gap = float(net(ids, mask)[0, k] - net(torch.full_like(ids, tokenizer.pad_id), mask)[0, k])
    assert float(result.scores.sum()) == pytest.approx(gap, abs=0.02 + 0.05 * abs(gap))
    assert "<mark" in render_attribution_html(text, result)
    assert isinstance(net.get_input_embeddings(), nn.Embedding)
