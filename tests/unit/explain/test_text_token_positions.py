"""Token attributions land on the right token whatever the tokenizer's template, and a document
without tokens is refused in one line. Found by an audit: the scores were cut from the row by
assuming exactly one special token at the start, so with a template like T5's ``$A </s>`` or
XLNet's ``$A <sep> <cls>`` every score sat on the previous token, an empty document crashed
the HTML page with a ValueError traceback, and the text after the truncation point looked like
text the model had read and found unimportant."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

from meddx.bundle.text_predictor import TextPredictor
from meddx.core.errors import DataError
from meddx.explain.text import TokenAttribution, render_attribution_html, token_attributions
from meddx.transforms.text import TextTokenizer


def _tokenizer(template: str, max_length: int = 32) -> TextTokenizer:
    """A pretrained-kind word tokenizer whose template adds ``[CLS]``/``[SEP]`` as given."""
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(["patient had seizure today", "patient had fever"] * 3,
                            trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"],
                                                      show_progress=False))
    tok.post_processor = processors.TemplateProcessing(single=template, special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return TextTokenizer(tok, "pretrained", max_length, True, pad_id=0)


class _LooksAt(torch.nn.Module):
    """Attention entirely on one token id, so the right answer is known."""

    def __init__(self, token_id: int) -> None:
        super().__init__()
        self.token_id = token_id
        self.embedding = torch.nn.Embedding(32, 4)
        self.fc = torch.nn.Linear(4, 2)

    def attention(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hit = (ids == self.token_id).float()
        return hit / hit.sum(dim=1, keepdim=True)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.fc(self.embedding(ids).mean(dim=1))

    def get_input_embeddings(self) -> torch.nn.Embedding:
        return self.embedding


def _predictor(template: str, max_length: int = 32) -> TextPredictor:
    tokenizer = _tokenizer(template, max_length)
    config = {"name": "t", "task": "multiclass", "label_names": ["a", "b"], "model": {"name": "x", "args": {}},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "pretrained", "max_length": max_length},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0}}
    return TextPredictor(config, _LooksAt(tokenizer._tok.token_to_id("seizure")).eval(), tokenizer)


@pytest.mark.parametrize("template", ["[CLS] $A [SEP]", "$A [SEP]", "$A [SEP] [CLS]", "[CLS] [CLS] $A", "$A"])
def test_attention_lands_on_the_token_it_was_given_whatever_the_template(template: str) -> None:
    predictor = _predictor(template)
    text = "Patient had seizure today"
    result = token_attributions(predictor, text, method="attention")
    assert [t for t, _, _ in result.tokens] == ["patient", "had", "seizure", "today"]
    assert result.scores.tolist() == [0.0, 0.0, 1.0, 0.0]
    top = result.top(1)[0]
    assert text[top["start"]:top["end"]] == "seizure"
    ids, _ = predictor.encode([text])
    positions = predictor.tokenizer.token_positions(text)
    assert [int(ids[0, p]) for p in positions] == [predictor.tokenizer._tok.token_to_id(t) for t, _, _ in result.tokens]


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_a_document_without_tokens_is_refused_in_one_line(text: str) -> None:
    for template in ("$A", "[CLS] $A [SEP]"):
        with pytest.raises(DataError, match="no tokens"):
            token_attributions(_predictor(template), text, method="attention")


def test_the_page_renders_an_attribution_without_tokens() -> None:
    empty = TokenAttribution(tokens=[], scores=np.zeros(0), method="attention", target="a", probability=0.5)
    assert '<div class="doc"></div>' in render_attribution_html("", empty)


def test_the_page_greys_the_text_the_model_never_read() -> None:
    predictor = _predictor("[CLS] $A [SEP]", max_length=5)  # [CLS] + 3 words + [SEP]
    text = "Patient had seizure today <b>and</b> fever"
    result = token_attributions(predictor, text, method="attention")
    assert [t for t, _, _ in result.tokens] == ["patient", "had", "seizure"]
    assert result.extra["read_until"] == len("Patient had seizure")
    page = render_attribution_html(text, result)
    assert '<span class="cut"> today &lt;b&gt;and&lt;/b&gt; fever</span>' in page
    assert "The model reads 3 tokens" in page
    short = token_attributions(predictor, "seizure today", method="attention")
    assert "read_until" not in short.extra and 'class="cut"' not in render_attribution_html("seizure today", short)
