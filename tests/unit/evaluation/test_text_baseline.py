"""The TF-IDF + logistic regression baseline: learns, round-trips through bundle files, matches sklearn."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import BundleError, DataError
from meddx.data.synthetic_text import keyword_documents
from meddx.evaluation.text_baseline import TfidfBaseline


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_baseline_learns_and_round_trips(task: str) -> None:
    texts, y = keyword_documents(240, seed=1)
    labels = {"binary": (y == 0).astype(int), "multiclass": y,
              "multilabel": np.stack([y == 0, y == 1], axis=1).astype(int)}[task]
    base = TfidfBaseline.fit(texts[:180], labels[:180], task)
    probs = base.predict_proba(texts[180:])
    assert probs.shape == (60, 2 if task != "multiclass" else 3)
    if task != "multiclass":  # the balanced weights' shift removed (a prevalence of 1/3): ranked, not cut at .5
        from sklearn.metrics import roc_auc_score

        positive = probs[:, 1:] if task == "binary" else probs
        truth = labels[180:].reshape(len(probs), -1)
        assert min(roc_auc_score(truth[:, j], positive[:, j]) for j in range(truth.shape[1])) >= 0.98
    else:
        assert (probs.argmax(1) == labels[180:]).mean() >= 0.95
    if task != "multilabel":
        np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    files = base.to_files()
    again = TfidfBaseline.from_files(files["baseline.safetensors"], files["baseline.json"].decode())
    np.testing.assert_array_equal(again.predict_proba(texts[180:]), probs)


def test_probabilities_equal_sklearns_own() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, y = keyword_documents(150, seed=2)
    base = TfidfBaseline.fit(texts, y, "multiclass")
    vec = TfidfVectorizer(min_df=2)
    ref = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(vec.fit_transform(texts), y)
    np.testing.assert_allclose(base.predict_proba(texts), ref.predict_proba(vec.transform(texts)), atol=1e-5)


def test_words_of_one_document_stay_out_of_the_vocabulary() -> None:
    texts, y = keyword_documents(60, seed=3)
    texts[0] += " Zyxwvutsrq"
    base = TfidfBaseline.fit(texts, y, "multiclass")
    assert "zyxwvutsrq" not in base.vocabulary and "seizure" in base.vocabulary


def test_errors_are_clear() -> None:
    with pytest.raises(DataError, match="every class"):
        TfidfBaseline.fit(["ab bc", "bc cd", "cd de"], np.array([0, 0, 0]), "binary")
    with pytest.raises(DataError, match="no word"):
        TfidfBaseline.fit(["a b", "1 2", "c"], np.array([0, 1, 0]), "binary")
    with pytest.raises(BundleError, match="unreadable TF-IDF baseline"):
        TfidfBaseline.from_files(b"not safetensors", "{}")


def test_a_corpus_without_shared_words_is_refused_not_fitted_on_words_of_one_note() -> None:
    """Found by an audit: when no word was in two documents the baseline fell back to min_df 1, so
    every word of every note (a patient's name included) went into the bundle's baseline.json,
    against docs/text.md ("every word found in at least two training documents")."""
    with pytest.raises(DataError, match="no word .* in two or more training documents.*--no-baseline"):
        TfidfBaseline.fit(["alpha beta Zyxwvutsrq", "gamma delta", "epsilon zeta"], np.array([0, 1, 0]), "binary")
