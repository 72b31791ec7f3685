"""The TF-IDF baseline calibrated like the network (stop 46): a multi-class baseline's balanced weights
removed with its decisions kept (argmax p_k·w_k), and a temperature and bias fitted on validation.

Known answer: documents of filler words in which each class's (label's) cue word appears with probability
.5 in its own documents and .1 in others, so no word decides and the probabilities are far from 0/1.
``class_weight="balanced"`` pulls each class's mean probability towards 1/K; with log w_k removed the mean
probability per class is the class's prevalence, and argmax p_k·w_k is exactly the fitted model's argmax.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from meddx.core.errors import BundleError
from meddx.data.base import SplitData
from meddx.evaluation.decision import decided_class
from meddx.evaluation.text_baseline import TfidfBaseline

FILLER = ("patient presented with history of chronic mild pain noted on exam follow up was arranged "
          "and the family agreed plan reviewed today").split()
CUES = ("pneumonia", "effusion", "fracture")
PRIORS = (0.6, 0.1, 0.3)


def _documents(n: int, seed: int, priors: tuple[float, ...] = PRIORS) -> tuple[list[str], np.ndarray]:
    """``n`` documents and their class (n,) drawn with ``priors``."""
    rng = np.random.default_rng(seed)
    y = rng.choice(len(priors), size=n, p=priors)
    texts = []
    for k in y:
        words = list(rng.choice(FILLER, size=int(rng.integers(10, 25))))
        for j, cue in enumerate(CUES[:len(priors)]):
            if rng.random() < (0.5 if j == k else 0.1):
                words.insert(int(rng.integers(0, len(words) + 1)), cue)
        texts.append(" ".join(words))
    return texts, y


def _as_fitted(base: TfidfBaseline) -> TfidfBaseline:
    """The same arrays as a baseline written before stop 46: no shift, no calibration."""
    settings = {k: v for k, v in base.settings.items() if k not in ("shift", "calibration")}
    return TfidfBaseline(base.vocabulary, base.idf, base.coef, base.intercept, base.task, settings)


def _shift_only(base: TfidfBaseline) -> TfidfBaseline:
    settings = {k: v for k, v in base.settings.items() if k != "calibration"}
    return TfidfBaseline(base.vocabulary, base.idf, base.coef, base.intercept, base.task, settings)


def test_multiclass_shift_removed_keeps_the_fitted_models_decisions_and_matches_the_priors() -> None:
    texts, y = _documents(3000, seed=0)
    base = TfidfBaseline.fit(texts, y, "multiclass")
    counts = np.bincount(y)
    np.testing.assert_allclose(base.settings["shift"], np.log(len(y) / (3 * counts)))  # log w_k, sklearn's balanced
    np.testing.assert_allclose(base.decision_weights, len(y) / (3 * counts))
    test, yt = _documents(6000, seed=1)
    probs, before = base.predict_proba(test), _as_fitted(base).predict_proba(test)
    assert before[:, 1].mean() > 0.15  # class-balanced: the .1-prior class's mean probability pulled towards 1/3
    np.testing.assert_allclose(probs.mean(axis=0), np.bincount(yt) / len(yt), atol=0.02)
    decided = decided_class(probs.astype(np.float64), np.asarray(base.decision_weights))
    np.testing.assert_array_equal(decided, before.argmax(axis=1))
    assert (probs.argmax(axis=1) != decided).sum() > 100  # the plain argmax of the corrected ones would move
    files = base.to_files()
    again = TfidfBaseline.from_files(files["baseline.safetensors"], files["baseline.json"])
    np.testing.assert_array_equal(again.predict_proba(test), probs)
    assert again.decision_weights == base.decision_weights
    assert _as_fitted(base).decision_weights is None  # written before: plain argmax, as it decided


@dataclass
class _Source:
    splits: dict[str, SplitData]

    def split(self, name: str) -> SplitData:
        return self.splits[name]


class _Bundle:
    """The parts of a text predictor ``evaluation.baseline`` reads."""

    def __init__(self, base: TfidfBaseline, task: str, label_names: list[str]) -> None:
        self.baseline, self.task, self.label_names = base, task, label_names
        self.config: dict[str, Any] = {"task": task, "label_names": label_names, "name": "net",
                                       "decision": {"rule": "argmax", "threshold": None}, "modality": "text",
                                       "baseline": {"model": "tfidf-logreg", "settings": dict(base.settings),
                                                    "decision": None}}

    def baseline_predictor(self) -> Any:
        from meddx.bundle.text_predictor import BaselinePredictor

        return BaselinePredictor(self.config, self.baseline)


def _split(texts: list[str], y: np.ndarray, name: str) -> SplitData:
    return SplitData(ids=[f"{name}{i}" for i in range(len(texts))], labels=np.asarray(y), texts=texts)


def test_multiclass_baseline_metrics_count_the_fitted_models_decisions() -> None:
    from meddx.evaluation.baseline import baseline_metrics, calibrate_baseline, choose_baseline_operating_point
    from meddx.evaluation.evaluate import EvalSettings

    texts, y = _documents(1500, seed=2)
    base = TfidfBaseline.fit(texts, y, "multiclass")
    uncorrected = _as_fitted(base)
    source = _Source({"val": _split(*_documents(300, seed=3), "val"),
                      "test": _split(*_documents(1500, seed=4), "test")})
    bundle = _Bundle(base, "multiclass", ["a", "b", "c"])
    assert calibrate_baseline(bundle, source) == {}  # multi-class: no temperature (it would move its AUC)
    choose_baseline_operating_point(bundle, source)
    decision = bundle.config["baseline"]["decision"]
    assert decision["class_weights"] == pytest.approx(base.decision_weights)
    assert "calibration" not in bundle.config["baseline"]["settings"] and base.calibration is None
    test = source.split("test")
    metrics = baseline_metrics(bundle, source, {"test": None}, EvalSettings(n_resamples=0))
    expected = (uncorrected.predict_proba(test.texts).argmax(axis=1) == test.labels).mean()
    assert metrics["test"]["metrics"]["accuracy"] == pytest.approx(expected, abs=1e-12)
    predictor = bundle.baseline_predictor()
    np.testing.assert_array_equal(predictor.decide(predictor.predict_texts(test.texts)),
                                  [bundle.label_names[k] for k in uncorrected.predict_proba(test.texts).argmax(1)])


def test_training_fits_a_binary_baselines_temperature_and_bias_on_validation_and_rewrites_its_files() -> None:
    from meddx.evaluation.baseline import calibrate_baseline, choose_baseline_operating_point

    texts, y = _documents(1200, seed=12)
    base = TfidfBaseline.fit(texts, (y == 1).astype(int), "binary")
    val, yv = _documents(400, seed=13)
    source = _Source({"val": _split(val, (yv == 1).astype(int), "val")})
    bundle = _Bundle(base, "binary", ["no", "yes"])
    assert calibrate_baseline(bundle, source, calibrate=False) == {} and base.calibration is None
    files = calibrate_baseline(bundle, source)
    assert base.calibration["fitted_on"] == "val" and base.calibration["n_val"] == 400
    assert bundle.config["baseline"]["settings"]["calibration"] == base.calibration
    again = TfidfBaseline.from_files(files["baseline.safetensors"], files["baseline.json"])
    np.testing.assert_array_equal(again.predict_proba(val), base.predict_proba(val))
    choose_baseline_operating_point(bundle, source)  # on the calibrated validation probabilities
    from meddx.evaluation.operating import choose_operating_point

    expected = choose_operating_point((yv == 1).astype(int), base.predict_proba(val), "binary", "youden")
    chosen = dict(bundle.config["baseline"]["decision"])  # its probabilities via the predictor's calibrate: the
    assert chosen.pop("threshold") == pytest.approx(expected.pop("threshold"), abs=1e-12)  # same to rounding
    assert chosen == expected and "class_weights" not in expected


@pytest.mark.parametrize("task", ["binary", "multilabel"])
def test_temperature_and_bias_fitted_on_validation_keep_auc_and_lower_the_log_loss(task: str) -> None:
    from sklearn.metrics import log_loss, roc_auc_score

    from meddx.evaluation.calibration import apply_temperature

    def labelled(n: int, seed: int) -> tuple[list[str], np.ndarray]:
        texts, y = _documents(n, seed)
        onehot = np.eye(3, dtype=int)[y]
        return texts, onehot[:, 1] if task == "binary" else onehot[:, 1:]

    texts, y = labelled(1500, 5)
    base = TfidfBaseline.fit(texts, y, task)
    shifted = _shift_only(base)
    val, yv = labelled(600, 6)
    assert base.fit_calibration(val, yv) is base
    test, yt = labelled(4000, 7)
    probs, before, fitted = base.predict_proba(test), shifted.predict_proba(test), base.fitted_proba(test)
    assert probs.dtype == np.float64
    np.testing.assert_allclose(probs, apply_temperature(fitted, base.calibration["temperature"], task,
                                                        bias=base.calibration["bias"]), atol=1e-9)
    for j in range(1, 2) if task == "binary" else range(yt.shape[1]):
        truth = yt if task == "binary" else yt[:, j]
        assert roc_auc_score(truth, probs[:, j]) == roc_auc_score(truth, fitted[:, j])  # an increasing map: exact
        assert log_loss(truth, probs[:, j]) < log_loss(truth, before[:, j].astype(np.float64))
    files = base.to_files()
    again = TfidfBaseline.from_files(files["baseline.safetensors"], files["baseline.json"])
    np.testing.assert_array_equal(again.predict_proba(test), base.predict_proba(test))


def test_multiclass_temperature_keeps_the_decisions() -> None:
    texts, y = _documents(1500, seed=8)
    base = TfidfBaseline.fit(texts, y, "multiclass")
    val, yv = _documents(600, seed=9)
    base.fit_calibration(val, yv)
    np.testing.assert_allclose(base.calibration["bias"], -np.asarray(base.settings["shift"]))  # b_k = −log w_k
    test, _ = _documents(3000, seed=10)
    decided = decided_class(base.predict_proba(test).astype(np.float64), np.asarray(base.decision_weights))
    np.testing.assert_array_equal(decided, _as_fitted(base).predict_proba(test).argmax(axis=1))


def test_a_damaged_calibration_is_refused_naming_the_file() -> None:
    texts, y = _documents(600, seed=11)
    base = TfidfBaseline.fit(texts, (y == 1).astype(int), "binary")
    for bad in ({"temperature": 0.0, "bias": 0.0}, {"temperature": [1.0, 2.0], "bias": 0.0}, {"bias": 1.0},
                {"temperature": 1.0, "bias": float("nan")}):
        with pytest.raises(ValueError, match="calibration"):
            TfidfBaseline(base.vocabulary, base.idf, base.coef, base.intercept, "binary",
                          {**base.settings, "calibration": bad})
        base.settings = {**base.settings, "calibration": bad}  # written with its checksum: only the value is wrong
        files = base.to_files()
        with pytest.raises(BundleError, match="b/baseline.json: unreadable"):
            TfidfBaseline.from_files(files["baseline.safetensors"], files["baseline.json"], where="b")


def test_metrics_report_the_baselines_own_temperature_and_its_calibration_before_and_after() -> None:
    """metrics.json's baseline calibration block said "temperature 1.0, fitted_on None" (and gave the
    calibrated probabilities as "before") for a baseline whose T and b were fitted on validation."""
    from meddx.evaluation.baseline import baseline_metrics, calibrate_baseline
    from meddx.evaluation.evaluate import EvalSettings

    texts, y = _documents(1200, seed=12)
    base = TfidfBaseline.fit(texts, (y == 1).astype(int), "binary")
    val, yv = _documents(400, seed=13)
    test, yt = _documents(600, seed=14)
    source = _Source({"val": _split(val, (yv == 1).astype(int), "val"),
                      "test": _split(test, (yt == 1).astype(int), "test")})
    bundle = _Bundle(base, "binary", ["no", "yes"])
    calibrate_baseline(bundle, source)
    shown = baseline_metrics(bundle, source, {"test": None}, EvalSettings(n_resamples=0))["test"]["metrics"]
    cal = shown["calibration"]
    assert cal["temperature"] == pytest.approx(base.calibration["temperature"]) and cal["fitted_on"] == "val"
    assert cal["bias"] == pytest.approx(base.calibration["bias"])
    assert cal["after"] is not None and cal["after"]["ece"] != cal["before"]["ece"]
    predictor = bundle.baseline_predictor()  # its calibrated output is the baseline's own probabilities
    np.testing.assert_allclose(predictor.predict_texts(test), base.predict_proba(test), atol=1e-9)
