"""Which tokens a text prediction rests on: attention weights or integrated gradients, as HTML.

- ``attention``: the weights of a model's own attention pooling (``bilstm-attention``); they are
  what the model averaged, so they explain *where it looked*, not the sign of the evidence, and
  are the same whatever class is explained.
- ``integrated-gradients``: Captum's ``LayerIntegratedGradients`` on the embedding layer, from a
  baseline of padding in place of every token of the text (special tokens such as [CLS] and
  [SEP] kept) to the document (Sundararajan et al. 2017), summed over the embedding
  dimensions: a signed contribution of each token to the predicted class's logit, whose sum
  approximates logit(document) - logit(baseline) (the convergence delta is reported).

``render_attribution_html`` highlights each token's characters in the original document (red
for evidence for the class, blue against), escaped, in a self-contained page with no script.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from meddx.core.errors import ConfigError, DataError
from meddx.core.extras import needs_extra

METHODS = ("auto", "attention", "integrated-gradients")


@dataclass
class TokenAttribution:
    """Per-token scores of one document for one class; spans index the original text."""

    tokens: list[tuple[str, int, int]]
    scores: np.ndarray
    method: str
    target: str
    probability: float
    extra: dict[str, Any] = field(default_factory=dict)

    def top(self, k: int = 10) -> list[dict[str, Any]]:
        """The ``k`` tokens with the largest absolute score, with their character spans."""
        order = np.argsort(-np.abs(self.scores))[:k]
        return [{"token": self.tokens[i][0], "start": self.tokens[i][1], "end": self.tokens[i][2],
                 "score": round(float(self.scores[i]), 6)} for i in order]


def token_attributions(predictor: Any, text: str, *, method: str = "auto", target: int | str | None = None,
                       steps: int = 32) -> TokenAttribution:
    """Attribute one document's prediction to its tokens; ``target`` (a class index or name) defaults
    to the class the bundle decides (its threshold, not the most probable class, for a binary bundle).
    The document is encoded once: the network's input, its probabilities and the tokens' spans."""
    if method not in METHODS:
        raise ConfigError(f"attribution method {method!r} is not one of {', '.join(METHODS)}")
    from meddx.transforms.text_checks import NO_WORDS, has_words

    if isinstance(text, str) and text.strip() and not has_words(text):  # "...": punctuation scored against the prior
        raise DataError(f"the document is {NO_WORDS}; there is nothing to explain")
    net = predictor.net.eval()
    if method == "auto":
        method = "attention" if hasattr(net, "attention") else "integrated-gradients"
    if method == "attention" and not hasattr(net, "attention"):
        raise ConfigError(f"model {predictor.config['model']['name']!r} has no attention pooling; "
                          "use --attribution integrated-gradients")
    # The network's input row, the tokens with their character spans, where each sits in the row
    # (special tokens ([CLS], </s>, XLNet's trailing <sep> <cls>) are skipped wherever the template
    # puts them) and whether the document was cut: one encoding.
    ids, mask, tokens, positions, cut = predictor.tokenizer.encode_explained(text, max_length=predictor.max_length)
    ids, mask = torch.from_numpy(ids), torch.from_numpy(mask)
    probs = predictor.encoded_probs(ids, mask)[0]
    from meddx.explain.api import target_index

    k = target_index(predictor, probs, target)
    if not tokens:
        raise DataError("the document has no tokens (empty or whitespace-only); there is nothing to explain")
    extra: dict[str, Any] = {}
    if cut:  # the rest was never read
        extra["read_until"] = max(end for _, _, end in tokens)
    if method == "attention":
        with torch.inference_mode():
            weights = net.attention(ids, mask)[0].float().numpy()
    else:
        kept = special_positions(mask, positions)
        weights, delta = _integrated_gradients(net, ids, mask, k, predictor.tokenizer.pad_id, steps, keep=kept)
        if kept:
            extra["baseline_special_tokens"] = len(kept)  # kept in the baseline, as in the document
        # the scores are changes of the class logit from the baseline, which need not be neutral: a
        # row of padding can score the class higher than the document (its keyword then reads "against")
        baseline = torch.full_like(ids, predictor.tokenizer.pad_id)
        baseline[:, kept] = ids[:, kept]
        with torch.inference_mode():
            logits = net(torch.cat([ids, baseline]), torch.cat([mask, mask])).float()
        extra["logit"], extra["baseline_logit"] = (round(float(v), 6) for v in logits[:, k])
        extra["convergence_delta"] = delta
        extra["steps"] = steps
    scores = np.asarray(weights, dtype=np.float64)[positions]
    return TokenAttribution(tokens=tokens, scores=scores, method=method, target=predictor.label_names[k],
                            probability=float(probs[k]), extra=extra)


def special_positions(mask: Any, positions: list[int]) -> list[int]:
    """The row positions of the special tokens ([CLS], [SEP], <s>, ...): read (mask 1) but no
    token of the document's text (not in ``positions``)."""
    shown = set(int(p) for p in positions)
    return [i for i, m in enumerate(np.asarray(mask).reshape(-1).tolist()) if m and i not in shown]


def _integrated_gradients(net: Any, ids: torch.Tensor, mask: torch.Tensor, target: int, pad_id: int,
                          steps: int, keep: list[int] | None = None) -> tuple[np.ndarray, float]:
    """Token scores from a baseline of padding in place of the document's tokens; the positions in
    ``keep`` (its special tokens) hold their own ids in the baseline too, so they take no share of
    the scores: the shown tokens' scores add up to logit(document) - logit(baseline). From an
    all-padding row, [CLS] and [SEP] took a share that no page showed (on a small WordPiece model,
    -1.34 of a change of 0.88: the shown scores summed to 2.23)."""
    with needs_extra("text attribution by integrated-gradients"):
        from captum.attr import LayerIntegratedGradients

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return net(input_ids, attention_mask)

    # An ensemble (SoftmaxMean) has one embedding layer per member: they are interpolated together,
    # and a token's score is the sum over them, so the scores still add up to the output's change.
    layers = net.input_embeddings() if hasattr(net, "input_embeddings") else net.get_input_embeddings()
    with warnings.catch_warnings():  # Captum's note on several layers: the members' tables are independent
        warnings.filterwarnings("ignore", message="Multiple layers provided")
        lig = LayerIntegratedGradients(forward, layers)
    baseline = torch.full_like(ids, pad_id)
    if keep:
        baseline[:, keep] = ids[:, keep]
    attributions, delta = lig.attribute(ids, baselines=baseline, additional_forward_args=(mask,), target=target,
                                        n_steps=steps, return_convergence_delta=True)
    total = sum(attributions) if isinstance(attributions, (list, tuple)) else attributions
    return total.sum(dim=-1)[0].detach().float().numpy(), float(delta.abs().max())


_CSS = ("body{font:16px/1.7 system-ui,Arial,sans-serif;max-width:900px;margin:24px auto;padding:0 20px;color:#1d2327}"
        ".doc{border:1px solid #cfd8df;border-radius:6px;padding:12px 16px;white-space:pre-wrap}"
        ".meta{color:#50606b;font-size:.92em}table{border-collapse:collapse;font-size:.9em}"
        "td,th{border:1px solid #cfd8df;padding:2px 8px;text-align:left}mark{border-radius:3px;padding:0 1px}"
        ".cut{color:#9aa5ad}")


def _regions(attribution: TokenAttribution) -> list[tuple[int, int, float, int]]:
    """``(start, end, summed score, tokens)`` per stretch of text: tokens that share characters
    (byte-level BPE pieces of one character, WordPiece pieces of a ligature) are one stretch with
    their scores added, and a token without characters (a byte-level space) joins the next one, so
    every token's score is shown and no empty mark is drawn."""
    regions: list[list[float]] = []
    carry, carried = 0.0, 0
    for (_, start, end), score in sorted(zip(attribution.tokens, attribution.scores), key=lambda t: t[0][1]):
        if end <= start:
            carry, carried = carry + float(score), carried + 1
        elif regions and start < regions[-1][1]:
            last = regions[-1]
            last[1], last[2], last[3] = max(last[1], end), last[2] + float(score) + carry, last[3] + 1 + carried
            carry, carried = 0.0, 0
        else:
            regions.append([start, end, float(score) + carry, 1 + carried])
            carry, carried = 0.0, 0
    return [(int(a), int(b), s, int(n)) for a, b, s, n in regions]


def _score(value: float) -> str:
    """A signed score as the page shows it: 4 decimals, or 3 significant digits below 0.001, so that
    the small integrated gradients of a weakly trained network do not all read +0.0000 and -0.0000."""
    return f"{value:+.4f}" if value == 0 or abs(value) >= 1e-3 else f"{value:+.2e}"


def render_attribution_html(text: str, attribution: TokenAttribution, *, title: str = "Token attributions",
                            probabilities: dict[str, float] | None = None) -> str:
    """A self-contained HTML page: the document with tokens shaded by their score."""
    scale = float(np.abs(attribution.scores).max(initial=0.0)) or 1.0
    pieces, cursor = [], 0
    for start, end, score, count in _regions(attribution):
        pieces.append(html.escape(text[cursor:start]))
        alpha = min(1.0, abs(score) / scale)
        rgb = "220,50,47" if score >= 0 else "38,110,200"
        what = f" ({count} tokens)" if count > 1 else ""
        pieces.append(f'<mark style="background:rgba({rgb},{alpha * 0.75:.3f})" title="{html.escape(text[start:end])}'
                      f'{what}: {_score(score)}">{html.escape(text[start:end])}</mark>')
        cursor = end
    cut = attribution.extra.get("read_until")
    if isinstance(cut, int) and cut >= cursor:  # truncated: the text the model never read, greyed
        pieces += [html.escape(text[cursor:cut]), f'<span class="cut">{html.escape(text[cut:])}</span>']
    else:
        pieces.append(html.escape(text[cursor:]))
    how = ("attention weight (where the model looked, the same whatever class is explained; all non-negative)"
           if attribution.method == "attention"
           else "integrated gradients: red tokens push towards the class, blue away from it")
    top = [(*attribution.tokens[i], float(attribution.scores[i]))  # as top(10), unrounded
           for i in np.argsort(-np.abs(attribution.scores))[:10]]
    rows = "".join(f"<tr><td>{html.escape(text[start:end])}</td><td>{html.escape(token)}</td>"
                   f"<td>{_score(score)}</td></tr>" for token, start, end, score in top)
    probs = "".join(f"<tr><td>{html.escape(str(n))}</td><td>{p:.3f}</td></tr>"
                    for n, p in (probabilities or {}).items())
    delta = attribution.extra.get("convergence_delta")
    base, logit = attribution.extra.get("baseline_logit"), attribution.extra.get("logit")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">Class <b>{html.escape(attribution.target)}</b> "
            f"(probability {attribution.probability:.3f}). Shading: {how}."
            + (f" Integrated-gradients convergence delta {delta:.2e}." if delta is not None else "")
            + (f" The scores are changes of the class's logit (its score before softmax) from a document of "
               f"padding in place of the tokens: {float(base):.3f} there, {float(logit):.3f} for this document, so "
               f"they add up to {float(logit) - float(base):+.3f}." if base is not None and logit is not None else "")
            + (f" The model reads {len(attribution.tokens)} tokens: the greyed text after character {cut} was "
               "cut off and not read." if isinstance(cut, int) else "")
            + f"</p><div class=\"doc\">{''.join(pieces)}</div>"
            + (f"<h2>Probabilities</h2><table>{probs}</table>" if probs else "")
            + f"<h2>Top tokens</h2><table><tr><th>text</th><th>token</th><th>score</th></tr>{rows}</table></body></html>\n")
