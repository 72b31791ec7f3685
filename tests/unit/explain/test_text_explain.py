"""Token attributions: aligned with the tokens' character spans, complete (IG), and safely rendered."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.bundle.text_predictor import TextPredictor
from meddx.core.errors import ConfigError
from meddx.data.synthetic_text import keyword_documents
from meddx.explain.text import render_attribution_html, token_attributions
from meddx.models.registry import create_model
from meddx.transforms.text import TextTokenizer


def _predictor(kind: str, model: str) -> TextPredictor:
    texts, _ = keyword_documents(80, seed=0)
    tokenizer = TextTokenizer.fit(texts, kind=kind, vocab_size=300, max_length=64)
    torch.manual_seed(0)
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    net = create_model(model, num_classes=3, **args)
    config = {"name": "t", "task": "multiclass", "label_names": ["a", "b", "c"], "model": {"name": model, "args": args},
              "preprocessing": {"kind": "tokenizer", "tokenizer": kind, "max_length": 64},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    return TextPredictor(config, net.eval(), tokenizer)


@pytest.mark.parametrize(("kind", "model"), [("word", "lstm"), ("wordpiece", "transformer"), ("bpe", "bilstm-attention")])
def test_integrated_gradients_are_aligned_and_complete(kind: str, model: str) -> None:
    predictor = _predictor(kind, model)
    text = "Patient presented with seizure, noted on exam."
    result = token_attributions(predictor, text, method="integrated-gradients", steps=64)
    assert len(result.scores) == len(result.tokens) > 0
    for _token, start, end in result.tokens:
        assert 0 <= start <= end <= len(text)
    # completeness: the attributions add up to logit(text) - logit(all-padding baseline)
    ids, mask = predictor.encode([text])
    k = predictor.label_names.index(result.target)
    with torch.no_grad():
        gap = (predictor.net(ids, mask)[0, k] - predictor.net(torch.full_like(ids, predictor.tokenizer.pad_id), mask)[0, k])
    special = int(mask.sum()) - len(result.tokens)  # [CLS]/[SEP] carry attribution too
    if special == 0:
        assert float(result.scores.sum()) == pytest.approx(float(gap), abs=0.02 + 0.05 * abs(float(gap)))
    assert result.extra["convergence_delta"] < 0.05 + 0.05 * abs(float(gap))


def test_attention_weights_sum_to_one_over_the_document() -> None:
    predictor = _predictor("word", "bilstm-attention")
    result = token_attributions(predictor, "history of seizure and fatigue")
    assert result.method == "attention"
    assert np.all(result.scores >= 0) and result.scores.sum() == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(ConfigError, match="no attention"):
        token_attributions(_predictor("word", "lstm"), "seizure", method="attention")


def test_html_escapes_the_document() -> None:
    predictor = _predictor("word", "bilstm-attention")
    text = "seizure <script>alert(1)</script> & fatigue"
    page = render_attribution_html(text, token_attributions(predictor, text), title="<b>t</b>")
    assert "<script>" not in page and "&lt;" in page and "<b>t</b>" not in page
    assert page.count("<mark") >= 3 and "default-src 'none'" in page


def test_html_shows_every_tokens_score_when_tokens_share_characters() -> None:
    """Found by an audit: with byte-level BPE every byte token after the first of a non-ASCII
    character was dropped from the page, and empty-span tokens drew invisible marks."""
    import re

    from meddx.explain.text import TokenAttribution

    text = "café 東京 ok"
    tokens = [("caf", 0, 3), ("Ã", 3, 4), ("©", 3, 4), ("Ġ", 4, 4), ("æ", 5, 6), ("Ŀ", 5, 6), ("±", 5, 6),
              ("äº¬", 6, 7), ("Ġok", 8, 10)]
    scores = np.array([0.1, 0.2, 0.3, 0.05, 0.4, 0.1, 0.1, -0.2, 0.5])
    page = render_attribution_html(text, TokenAttribution(tokens=tokens, scores=scores, method="integrated-gradients",
                                                          target="a", probability=0.9))
    doc = page.split('<div class="doc">')[1].split("</div>")[0]
    marks = re.findall(r'<mark[^>]*title="([^"]*)">([^<]*)</mark>', doc)
    assert [text for _, text in marks] == ["caf", "é", "東", "京", "ok"]  # no empty mark, every character once
    assert marks[1][0] == "é (2 tokens): +0.5000" and marks[2][0] == "東 (4 tokens): +0.6500"
    assert re.sub(r"<[^>]+>", "", doc) == text
    assert sum(float(t.rsplit(": ", 1)[1]) for t, _ in marks) == pytest.approx(float(scores.sum()))


def test_small_scores_keep_their_digits_and_sign_on_the_page() -> None:
    """Found by an audit: a weakly trained network's integrated gradients (1e-5 and less) were shown
    as +0.0000 and -0.0000 in every title and in the top-token table, though the shading differed."""
    import re

    from meddx.explain.text import TokenAttribution

    text = "chest pain rising"
    tokens = [("chest", 0, 5), ("pain", 6, 10), ("rising", 11, 17)]
    scores = np.array([-3.2e-5, 4.5e-6, 0.25])
    page = render_attribution_html(text, TokenAttribution(tokens=tokens, scores=scores, method="integrated-gradients",
                                                          target="a", probability=0.9))
    titles = re.findall(r'<mark[^>]*title="([^"]*)"', page)
    assert titles == ["chest: -3.20e-05", "pain: +4.50e-06", "rising: +0.2500"]
    table = page.split("<h2>Top tokens</h2>")[1]
    assert re.findall(r"<td>([+-][^<]*)</td></tr>", table) == ["+0.2500", "-3.20e-05", "+4.50e-06"]
    assert "0.0000" not in page
