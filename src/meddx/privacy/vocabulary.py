"""A differentially private word vocabulary for ``--dp`` text training.

A vocabulary counted on the training notes publishes every word that occurs there, a patient's
name or record number included, whatever noise DP-SGD later adds to the weights. Under ``--dp`` the
vocabulary is instead released by the Gaussian weighted histogram with a threshold ("DP set
union", Gopi et al. 2020, section 3; Wilson et al. 2020): each document adds weight
``1/sqrt(k)`` to each of its first ``k <= max_words`` distinct words (so one document moves the
histogram by at most 1 in L2 norm), Gaussian noise of standard deviation ``noise`` is added to
every count, and only words whose noisy count reaches the threshold are kept. A word that only
one document holds passes with probability at most ``delta`` (:func:`threshold_for`), and the
counts are a Gaussian mechanism of sensitivity 1, which the training's RDP accountant composes
with DP-SGD as one full-batch step (``(noise, 1.0, 1)``). The run's guarantee covers both.

Our own code: neither Opacus nor Hugging Face ``tokenizers`` selects a vocabulary privately.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from meddx.core.errors import ConfigError
from meddx.core.extras import needs_extra

NOISE = 4.0  # standard deviation of the noise on each word's weighted document count
MAX_WORDS = 128  # distinct words one document contributes at most (its first ones)
DELTA_SHARE = 0.5  # share of the run's delta given to the threshold (the rest to the accountant)


@dataclass
class VocabularyRelease:
    """The released words (noisy count order) and the mechanism's public parameters."""

    words: list[str]
    noise: float
    max_words: int
    threshold: float
    delta: float

    def to_dict(self) -> dict[str, Any]:
        """Parameters for ``plan.json`` and the privacy section (the words live in the tokenizer)."""
        out = asdict(self)
        out["words"] = len(self.words)
        return out

    def accountant_entry(self) -> tuple[float, float, int]:
        """The counts as an accountant history entry: one step of noise ``noise`` at sample rate 1."""
        return (self.noise, 1.0, 1)


def threshold_for(noise: float, max_words: int, delta: float) -> float:
    """The smallest threshold at which a document's own words (those no other document holds) are
    released with probability at most ``delta``: ``max over k <= max_words of k * P(Z >= (T -
    1/sqrt(k)) / noise)``, Z standard normal (a union bound over the document's words)."""
    from scipy.stats import norm

    def leak(t: float) -> float:
        return max(k * float(norm.sf((t - 1.0 / math.sqrt(k)) / noise)) for k in range(1, max_words + 1))

    lo, hi = 1.0, 1.0 + noise * 40.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if leak(mid) <= delta else (mid, hi)
    return hi


def document_words(text: str, lowercase: bool = True) -> list[str]:
    """The document's words as the word tokenizer splits them (NFKC, lower case, BERT's split)."""
    with needs_extra("the private vocabulary's word split"):
        from tokenizers import normalizers, pre_tokenizers

    steps = [normalizers.NFKC()] + ([normalizers.Lowercase()] if lowercase else [])
    normalised = normalizers.Sequence(steps).normalize_str(text)
    return [w for w, _ in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(normalised)]


def release_vocabulary(texts: Sequence[str], *, limit: int, delta: float, seed: int, lowercase: bool = True,
                       noise: float = NOISE, max_words: int = MAX_WORDS) -> VocabularyRelease:
    """Release at most ``limit`` words of ``texts`` (the training documents) privately.

    ``delta`` is the threshold's share of the run's delta; the noise is drawn from ``seed`` (the
    same non-secure generator caveat as DP-SGD's seeded noise, docs/privacy.md)."""
    if noise <= 0 or max_words < 1 or not 0 < delta < 1:
        raise ConfigError(f"private vocabulary: expected noise > 0, max_words >= 1 and 0 < delta < 1; got "
                          f"noise={noise}, max_words={max_words}, delta={delta}")
    counts: dict[str, float] = defaultdict(float)
    for text in texts:
        kept = list(dict.fromkeys(document_words(text, lowercase)))[:max_words]
        for word in kept:
            counts[word] += 1.0 / math.sqrt(len(kept))
    threshold = threshold_for(noise, max_words, delta)
    words = sorted(counts)  # a fixed order, so the noise each word gets does not depend on input order
    noisy = np.asarray([counts[w] for w in words]) + np.random.default_rng(seed).normal(0.0, noise, len(words))
    order = np.argsort(-noisy, kind="stable")
    released = [words[i] for i in order if noisy[i] >= threshold][:max(0, int(limit))]
    if not released:
        raise ConfigError(f"--dp: no word of the {len(texts)} training documents passed the private vocabulary's "
                          f"threshold ({threshold:.1f} weighted documents at noise {noise}); a private vocabulary "
                          "needs words shared by many documents: train on more documents, or use --pretrained "
                          "with a public tokenizer")
    return VocabularyRelease(words=released, noise=float(noise), max_words=int(max_words),
                             threshold=float(threshold), delta=float(delta))
