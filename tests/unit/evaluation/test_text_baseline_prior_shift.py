"""The class-balanced TF-IDF baseline's binary and multi-label probabilities have the balanced weights' shift removed.

Known answer: documents of filler words in which each label's cue word appears with probability .5 in a
positive document and .1 in a negative one, so no word decides a label and the probabilities are far from
0/1. ``class_weight="balanced"`` weighs a label's positives by n_neg / n_pos, which pulls its mean predicted
probability towards 1/2 (a .1-prevalence label: about .3); with that shift removed the mean predicted
probability per label is the label's prevalence, as a calibrated model's is, while AUC stays the same.
"""

from __future__ import annotations

import numpy as np
import pytest

from meddx.core.errors import BundleError
from meddx.evaluation.text_baseline import TfidfBaseline

FILLER = ("patient presented with history of chronic mild pain noted on exam follow up was arranged "
          "and the family agreed plan reviewed today").split()
CUES = ("pneumonia", "effusion")


def _documents(n: int, prevalences: tuple[float, ...], seed: int) -> tuple[list[str], np.ndarray]:
    """``n`` documents and their 0/1 labels (n, len(prevalences))."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, len(prevalences))) < np.asarray(prevalences)).astype(int)
    texts = []
    for row in y:
        words = list(rng.choice(FILLER, size=int(rng.integers(10, 25))))
        for cue, positive in zip(CUES, row):
            if rng.random() < (0.5 if positive else 0.1):
                words.insert(int(rng.integers(0, len(words) + 1)), cue)
        texts.append(" ".join(words))
    return texts, y


def _uncorrected(base: TfidfBaseline, texts: list[str]) -> np.ndarray:
    """The balanced model's own probabilities: the same arrays without the stored shift."""
    settings = {k: v for k, v in base.settings.items() if k != "shift"}
    return TfidfBaseline(base.vocabulary, base.idf, base.coef, base.intercept, base.task, settings).predict_proba(texts)


def test_binary_mean_probability_is_the_prevalence_and_auc_is_unchanged() -> None:
    from sklearn.metrics import roc_auc_score

    texts, y = _documents(3000, (0.1,), seed=0)
    base = TfidfBaseline.fit(texts, y[:, 0], "binary")
    test, yt = _documents(6000, (0.1,), seed=1)
    probs, before = base.predict_proba(test)[:, 1], _uncorrected(base, test)[:, 1]
    assert before.mean() > 0.2  # class-balanced: about .3 for a .1-prevalence label
    assert probs.mean() == pytest.approx(yt.mean(), abs=0.02)
    assert base.settings["shift"] == [pytest.approx(np.log((y == 0).sum() / (y == 1).sum()))]
    assert roc_auc_score(yt[:, 0], probs) == pytest.approx(roc_auc_score(yt[:, 0], before), abs=1e-9)


def test_multilabel_mean_probability_per_label_is_its_prevalence_and_round_trips() -> None:
    prevalences = (0.1, 0.3)
    texts, y = _documents(3000, prevalences, seed=2)
    base = TfidfBaseline.fit(texts, y, "multilabel")
    test, yt = _documents(6000, prevalences, seed=3)
    probs, before = base.predict_proba(test), _uncorrected(base, test)
    assert before[:, 0].mean() > 0.2
    np.testing.assert_allclose(probs.mean(axis=0), yt.mean(axis=0), atol=0.02)
    files = base.to_files()
    again = TfidfBaseline.from_files(files["baseline.safetensors"], files["baseline.json"])
    np.testing.assert_array_equal(again.predict_proba(test), probs)


def test_baselines_written_before_keep_their_probabilities() -> None:
    """A baseline.json without ``shift`` (binary, or multi-class before stop 46) predicts as fitted: sklearn's own."""
    texts, y = _documents(600, (0.1,), seed=4)
    base = TfidfBaseline.fit(texts, y[:, 0], "binary")
    old = _uncorrected(base, texts)  # a baseline.json without "shift": as fitted
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(min_df=2)
    ref = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(vec.fit_transform(texts), y[:, 0])
    np.testing.assert_allclose(old, ref.predict_proba(vec.transform(texts)), atol=1e-5)
    texts, y = _documents(600, (0.1, 0.3), seed=4)
    classes = np.minimum(y[:, 0] + 2 * y[:, 1], 2)  # 3 classes, priors about .63/.07/.30
    multiclass = TfidfBaseline.fit(texts, classes, "multiclass")
    ref = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000).fit(vec.fit_transform(texts), classes)
    expected = ref.predict_proba(vec.transform(texts))
    np.testing.assert_allclose(_uncorrected(multiclass, texts), expected, atol=1e-5)
    assert _uncorrected(multiclass, texts).dtype == np.float32 and _uncorrected(multiclass, texts).shape == (600, 3)
    np.testing.assert_allclose(multiclass.fitted_proba(texts), expected, atol=1e-5)


def test_a_shift_of_the_wrong_length_is_refused_naming_the_file() -> None:
    import json

    texts, y = _documents(600, (0.1,), seed=5)
    files = TfidfBaseline.fit(texts, y[:, 0], "binary").to_files()
    meta = json.loads(files["baseline.json"])
    meta["settings"]["shift"] = [1.0, 2.0]
    with pytest.raises(BundleError, match="baseline.json"):  # the checksum or the shape: either names the file
        TfidfBaseline.from_files(files["baseline.safetensors"], json.dumps(meta).encode(), where="b")
