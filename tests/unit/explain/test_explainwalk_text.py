"""Walking ``meddx explain`` on text bundles as a user: what the pages and numbers claim is what
was computed (integrated gradients that add up over the tokens shown; attention that is the same
for every class says so)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.explain.text import render_attribution_html, token_attributions
from tests.unit.explain.test_text_explain import _predictor


@pytest.mark.parametrize(("kind", "model"), [("wordpiece", "transformer"), ("wordpiece", "bilstm-attention")])
def test_the_shown_tokens_scores_add_up_to_the_change_from_the_baseline(kind: str, model: str) -> None:
    """Found walking the wordpiece bundles: the baseline was padding at every position, [CLS] and
    [SEP] included, so those two (never shown on the page) took a share of the change: on a small
    trained model -1.34 of 0.88, the shown scores summing to 2.23 while the page reported a
    convergence delta near 0. The baseline now keeps the special tokens: the shown scores are the
    whole change, and the delta the page prints is about them."""
    predictor = _predictor(kind, model)
    text = "Patient presented with seizure, noted on exam."
    result = token_attributions(predictor, text, method="integrated-gradients", steps=64)
    ids, mask, tokens, positions, _ = predictor.tokenizer.encode_explained(text, max_length=predictor.max_length)
    special = [i for i in range(ids.shape[1]) if mask[0, i] and i not in positions]
    assert special, "the wordpiece template adds [CLS] and [SEP]"
    baseline = np.full_like(ids, predictor.tokenizer.pad_id)
    baseline[0, special] = ids[0, special]
    k = predictor.label_names.index(result.target)
    with torch.no_grad():
        logits = predictor.net(torch.from_numpy(np.concatenate([ids, baseline])), torch.from_numpy(np.repeat(mask, 2, 0)))
    gap = float(logits[0, k] - logits[1, k])
    assert float(result.scores.sum()) == pytest.approx(gap, abs=0.01 + 0.02 * abs(gap))
    assert result.extra["convergence_delta"] < 0.01 + 0.02 * abs(gap)
    assert result.extra["baseline_special_tokens"] == len(special)


def test_the_faithfulness_check_measures_the_map_explain_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--evaluate`` attributes documents with the same baseline as the pages."""
    from meddx.explain import evaluate_sequence

    predictor = _predictor("wordpiece", "transformer")
    text = "fever with seizure noted on exam"
    result = token_attributions(predictor, text, method="integrated-gradients")
    seen: list[np.ndarray] = []
    original = evaluate_sequence._evaluate

    def capture(net, items, steps, sanity_inputs):  # type: ignore[no-untyped-def]
        seen.extend(attribute(net) for _, attribute, _, _ in items)
        return original(net, items, steps, 0)

    monkeypatch.setattr(evaluate_sequence, "_evaluate", capture)
    evaluate_sequence.evaluate_documents(predictor, [text], [predictor.label_names.index(result.target)],
                                         "integrated-gradients", 5, 0)
    ids, mask, _, positions, _ = predictor.tokenizer.encode_explained(text, max_length=predictor.max_length)
    assert np.allclose(seen[0][positions], result.scores, atol=1e-5)
    special = [i for i in range(int(mask.sum())) if i not in positions]
    assert np.allclose(seen[0][special], 0.0, atol=1e-6)  # kept in the baseline: no share of the change


def test_an_attention_page_says_the_map_is_the_same_for_every_class() -> None:
    """Found walking ``--target`` on a bilstm-attention bundle: the attention map of class b is the
    map of class a (one pooling for all classes), while the page said only "Class b"."""
    predictor = _predictor("word", "bilstm-attention")
    text = "history of seizure and fatigue"
    a = token_attributions(predictor, text, method="attention", target=0)
    b = token_attributions(predictor, text, method="attention", target=1)
    assert np.array_equal(a.scores, b.scores) and a.target != b.target
    page = render_attribution_html(text, b)
    assert "the same whatever class is explained" in page


def test_the_page_says_from_which_logit_the_scores_are_changes() -> None:
    """Found walking one-word notes on a transformer bundle: ``seizure`` alone was predicted
    neurology (.854) but read blue, *against* neurology, since a row of padding scored neurology's
    logit higher (3.93 against 3.58); nothing on the page said the scores are changes from that."""
    predictor = _predictor("wordpiece", "transformer")
    text = "seizure"
    result = token_attributions(predictor, text, method="integrated-gradients", steps=64)
    ids, mask, _, positions, _ = predictor.tokenizer.encode_explained(text, max_length=predictor.max_length)
    baseline = np.full_like(ids, predictor.tokenizer.pad_id)
    special = [i for i in range(ids.shape[1]) if i not in positions]
    baseline[0, special] = ids[0, special]
    k = predictor.label_names.index(result.target)
    with torch.no_grad():
        logits = predictor.net(torch.from_numpy(np.concatenate([ids, baseline])), torch.from_numpy(np.repeat(mask, 2, 0)))
    doc, base = float(logits[0, k]), float(logits[1, k])
    assert result.extra["logit"] == pytest.approx(doc, abs=1e-4)
    assert result.extra["baseline_logit"] == pytest.approx(base, abs=1e-4)
    assert float(result.scores.sum()) == pytest.approx(doc - base, abs=0.01 + 0.02 * abs(doc - base))
    page = render_attribution_html(text, result)
    assert f"{base:.3f} there, {doc:.3f} for this document" in page
    attention = token_attributions(_predictor("word", "bilstm-attention"), text, method="attention")
    assert "baseline_logit" not in attention.extra  # no baseline: nothing said
