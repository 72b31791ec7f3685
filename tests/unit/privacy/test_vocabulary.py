"""The private vocabulary: threshold, selection, and its cost composed with DP-SGD's."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.stats import norm

from meddx.core.errors import ConfigError
from meddx.privacy.vocabulary import document_words, release_vocabulary, threshold_for


def test_threshold_for_one_word_per_document_is_the_gaussian_quantile() -> None:
    """With one word per document, a word only one document holds has count 1: it passes with
    probability P(1 + noise * Z >= T) = delta exactly at T = 1 + noise * z(1 - delta)."""
    t = threshold_for(4.0, 1, 1e-6)
    assert t == pytest.approx(1 + 4.0 * norm.isf(1e-6), rel=1e-6)


def test_threshold_for_bounds_every_document_size() -> None:
    t = threshold_for(3.0, 50, 1e-5)
    leaks = [k * norm.sf((t - 1 / math.sqrt(k)) / 3.0) for k in range(1, 51)]
    assert max(leaks) <= 1e-5 * (1 + 1e-6) and max(leaks) > 0.99e-5  # the smallest such threshold
    assert threshold_for(3.0, 50, 1e-7) > t  # a smaller delta needs a higher threshold


def test_words_of_many_documents_are_released_and_a_rare_name_is_not() -> None:
    texts = [f"fever and cough day {i % 7}" for i in range(3000)]
    texts[:3] = ["Zebediah fever and cough " + t for t in texts[:3]]
    release = release_vocabulary(texts, limit=100, delta=5e-6, seed=0)
    assert {"fever", "and", "cough", "day"} <= set(release.words)
    assert "zebediah" not in release.words  # three documents: far below the threshold
    assert release.to_dict() == {"words": len(release.words), "noise": 4.0, "max_words": 128,
                                 "threshold": release.threshold, "delta": 5e-6}
    assert release.accountant_entry() == (4.0, 1.0, 1)
    # the limit keeps the noisiest counts first; the same seed gives the same words
    assert release_vocabulary(texts, limit=2, delta=5e-6, seed=0).words == release.words[:2]


def test_document_words_split_as_the_word_tokenizer_does() -> None:
    from meddx.transforms.text import TextTokenizer

    text = "Pt's BP: 120/80, Ünïcode ﬁne."
    tok = TextTokenizer.fit([text, text], kind="word", vocab_size=100, min_frequency=1)
    assert [t for t, _, _ in tok.tokens(text)] == document_words(text)


def test_no_word_passing_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="no word of the 5 training documents passed"):
        release_vocabulary(["rare words only"] * 5, limit=100, delta=5e-6, seed=0)


def test_noise_for_counts_the_vocabulary_before_dp_sgd() -> None:
    from opacus.accountants import RDPAccountant

    from meddx.training.privacy import noise_for

    config = SimpleNamespace(noise_multiplier=None, epsilon=3.0, delta=1e-5)
    prior = [(4.0, 1.0, 1)]
    alone, after = noise_for(config, 0.01, 1000, delta=5e-6), noise_for(config, 0.01, 1000, prior, 5e-6)
    assert after > alone  # part of the budget went to the vocabulary
    accountant = RDPAccountant()
    accountant.history = [*prior, (after, 0.01, 1000)]
    assert 2.97 <= accountant.get_epsilon(delta=5e-6) <= 3.0
    with pytest.raises(ConfigError, match="vocabulary alone spends"):
        noise_for(SimpleNamespace(noise_multiplier=None, epsilon=0.5, delta=1e-5), 0.01, 1000, prior, 5e-6)
    assert np.isfinite(after)
