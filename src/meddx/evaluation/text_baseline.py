"""TF-IDF + logistic regression: the linear baseline every text report is measured against.

A network earns its cost only by beating this. It is fitted on the same training documents as
the network (scikit-learn's ``TfidfVectorizer`` and ``LogisticRegression``, settings below), evaluated by the same code on the same splits,
and stored in the bundle as plain arrays (``baseline.safetensors``: idf, coefficients,
intercepts) plus its vocabulary (``baseline.json``), so loading it unpickles nothing.

Its logistic regressions weigh the classes by ``class_weight="balanced"`` (n / (K·n_k)), so, like the
network's weighted loss, they shift the log-odds of a label by c = log(n_neg / n_pos) towards the rare
class: a .1-prevalence label's mean probability about .3. Since stop 46 a binary or multi-label baseline
removes that shift (the prior correction of Saerens et al. 2002: its probabilities multiplied by the
training prior ratio, renormalised), stored as ``settings["shift"]`` (c per column), so its calibration
figures in ``metrics.json`` (ECE, Brier, in-the-large) are of probabilities of the training population, as
the network's are. The map is increasing per column: AUC is unchanged, and its threshold is chosen on its
corrected validation probabilities, so the same validation cases are called positive. Multi-class baselines
keep their probabilities as fitted: the correction would move their argmax (docs/evaluation.md). Baselines
written before (no ``shift``) predict as before.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

import numpy as np

from meddx.core.errors import BundleError

NAME = "tfidf-logreg"
JSON_CHECKSUM_KEY = "baseline_json_sha256"  # in baseline.safetensors' header metadata
# The textbook configuration: unigram TF-IDF, L2 logistic regression with C = 1 and class-balanced
# weights (macro-F1 counts every class equally). On the medical abstracts (5-fold CV, conflicting
# copies removed) it gives macro-F1 .617 ± .020 (.619 ± .022 with min_df 1, the figure the text issue
# quotes); bigrams, sublinear tf or C chosen by inner CV did not beat it there and cost 5-10x the time.
# min_df 2: a term found in one document only (a patient's name) never enters the bundle.
# normalization NFKC: as the network's tokenizers (transforms/text.py), so a full-width "ＣＡＮＣＥＲ" or the
# ligature in "ﬁbrosis" is the same word as "cancer", "fibrosis" for both models (bundles written before it
# have no such setting and keep reading text as they were fitted: without NFKC).
SETTINGS = {"ngram_range": [1, 1], "min_df": 2, "sublinear_tf": False, "max_features": None, "lowercase": True,
            "normalization": "NFKC", "C": 1.0, "class_weight": "balanced"}


class TfidfBaseline:
    """A fitted TF-IDF vectoriser and linear classifier; ``predict_proba`` gives ``(N, K)``.

    Binary tasks give two columns (like every meddx head); multi-label tasks one sigmoid per label
    (one-vs-rest logistic regressions).
    """

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 task: str, settings: dict[str, Any]) -> None:
        self.vocabulary, self.idf, self.task, self.settings = vocabulary, idf, task, settings
        self.coef, self.intercept = np.asarray(coef, dtype=np.float64), np.asarray(intercept, dtype=np.float64)
        self._vectorizer = _vectorizer(settings, vocabulary, idf)
        # c = log(n_neg / n_pos) per column, removed from the logits; 0 for baselines written before it
        self.shift = np.asarray(settings.get("shift", 0.0) if task != "multiclass" else 0.0, dtype=np.float64)
        if self.shift.ndim and self.shift.shape != self.intercept.shape:  # from_files names the file
            raise ValueError(f"shift: one per column expected ({self.intercept.shape[0]}), got {self.shift.shape[0]}")

    @classmethod
    def fit(cls, texts: Sequence[str], labels: np.ndarray, task: str, seed: int = 0) -> "TfidfBaseline":
        """Fit on training documents (one-vs-rest logistic regressions for multi-label)."""
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        s = SETTINGS
        vec = TfidfVectorizer(ngram_range=tuple(s["ngram_range"]), min_df=s["min_df"], sublinear_tf=s["sublinear_tf"],
                              max_features=s["max_features"], **_normalizing(s), dtype=np.float64)
        try:
            x = vec.fit_transform(texts)
        except ValueError:  # no term in two documents: never fall back to min_df 1, which would store
            from meddx.core.errors import DataError  # words of one note (a patient's name) in the bundle

            raise DataError("the TF-IDF baseline found no word (two or more letters) in two or more training "
                            "documents, and it keeps only those (a word of one note may be a name); check the "
                            "text column, or train with --no-baseline") from None
        labels = np.asarray(labels)
        columns = [labels[:, j] for j in range(labels.shape[1])] if task == "multilabel" else [labels]
        coefs, intercepts, shifts = [], [], []
        for y in columns:
            if len(np.unique(y)) < 2:
                raise_too_small(y)
            if task != "multiclass":  # the balanced weights' shift c = log(w_pos / w_neg) = log(n_neg / n_pos)
                n_neg, n_pos = np.unique(y, return_counts=True)[1]
                shifts.append(float(np.log(n_neg / n_pos)))
            model = LogisticRegression(C=s["C"], class_weight=s["class_weight"], max_iter=3000, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(x, y)
            coefs.append(model.coef_)
            intercepts.append(model.intercept_)
        vocabulary = {t: int(i) for t, i in vec.vocabulary_.items()}
        settings = {**s, "min_df": vec.min_df, "task": task, **({"shift": shifts} if shifts else {})}
        return cls(vocabulary, vec.idf_, np.concatenate(coefs), np.concatenate(intercepts), task, settings)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities ``(N, K)`` (float32), the same layout as a network's head; binary and
        multi-label with the balanced weights' shift removed where the settings record it (``shift``)."""
        x = self._vectorizer.transform(list(texts))
        logits = np.asarray(x @ self.coef.T) + self.intercept - self.shift
        if self.task == "multilabel":
            return _sigmoid(logits).astype(np.float32)
        if self.task == "binary":
            p1 = _sigmoid(logits[:, 0])
            return np.stack([1 - p1, p1], axis=1).astype(np.float32)
        logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

    def to_files(self) -> dict[str, bytes]:
        """``baseline.safetensors`` (arrays) and ``baseline.json`` (vocabulary, settings) for a bundle."""
        from safetensors.numpy import save

        from meddx.bundle.integrity import with_checksum

        # C order: safetensors writes the raw buffer, and sklearn's coef_ may be Fortran-ordered
        arrays = {k: np.ascontiguousarray(v, dtype=np.float64)
                  for k, v in (("idf", self.idf), ("coef", self.coef), ("intercept", self.intercept))}
        meta = json.dumps({"name": NAME, "settings": self.settings, "vocabulary": self.vocabulary}).encode()
        # baseline.json's SHA-256 goes into baseline.safetensors' checksummed header, so a damaged
        # vocabulary (a changed word still parses as JSON) is caught like damaged arrays
        extra = {JSON_CHECKSUM_KEY: hashlib.sha256(meta).hexdigest()}
        return {"baseline.safetensors": with_checksum(save(arrays), extra), "baseline.json": meta}

    @classmethod
    def from_files(cls, arrays: bytes, meta_json: bytes | str, where: str = "bundle") -> "TfidfBaseline":
        """Rebuild from the two bundle files (no pickle); ``where`` is the bundle folder. A
        ``baseline.json`` whose SHA-256 differs from the one ``baseline.safetensors`` records (none in
        baselines written before it) is refused in one line naming it, before it is parsed."""
        from safetensors import SafetensorError
        from safetensors.numpy import load

        raw = meta_json.encode("utf-8", "surrogateescape") if isinstance(meta_json, str) else meta_json
        meta_file = f"{where}/baseline.json"
        try:
            a = load(arrays)
        except (ValueError, SafetensorError) as exc:
            raise BundleError(f"{where}/baseline.safetensors: unreadable TF-IDF baseline arrays "
                              f"({exc.__class__.__name__}: {exc})") from None
        _check_json_checksum(arrays, raw, meta_file)
        try:
            meta = json.loads(raw)
            return cls(meta["vocabulary"], a["idf"], a["coef"], a["intercept"], meta["settings"]["task"],
                       meta["settings"])
        except (KeyError, TypeError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise BundleError(f"{meta_file}: unreadable TF-IDF baseline vocabulary ({exc.__class__.__name__}); "
                              "expected the JSON meddx wrote (name, settings, vocabulary): copy the bundle again "
                              "from a good source") from None


def _check_json_checksum(arrays: bytes, raw: bytes, meta_file: str) -> None:
    """Refuse ``baseline.json`` bytes whose SHA-256 is not the one recorded in the header metadata
    of ``arrays`` (``baseline.safetensors``, already loaded, so its header is valid JSON)."""
    n = int.from_bytes(arrays[:8], "little")
    recorded = (json.loads(arrays[8:8 + n]).get("__metadata__") or {}).get(JSON_CHECKSUM_KEY)
    found = hashlib.sha256(raw).hexdigest()
    if recorded is not None and found != recorded:
        raise BundleError(f"{meta_file}: damaged: its SHA-256 is {found[:16]}..., baseline.safetensors records "
                          f"{recorded[:16]}... ({JSON_CHECKSUM_KEY!r}); copy the bundle again from a good source "
                          "(this vocabulary would give the baseline different scores)")


def raise_too_small(y: np.ndarray) -> None:
    from meddx.core.errors import DataError

    counts = np.bincount(np.asarray(y).astype(int))
    raise DataError(f"the TF-IDF baseline needs training documents of every class (counts {counts.tolist()}); "
                    "add documents or train with --no-baseline")


def _vectorizer(settings: dict[str, Any], vocabulary: dict[str, int], idf: np.ndarray) -> Any:
    """A TfidfVectorizer with the fitted vocabulary and idf weights, ready to transform."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=tuple(settings["ngram_range"]), sublinear_tf=settings["sublinear_tf"],
                          **_normalizing(settings), vocabulary=vocabulary, dtype=np.float64)
    vec.idf_ = np.asarray(idf, dtype=np.float64)
    return vec


def _normalizing(settings: dict[str, Any]) -> dict[str, Any]:
    """TfidfVectorizer arguments for the settings' text normalisation: NFKC then lower case as a
    ``preprocessor`` (sklearn has lower case and accent stripping built in, but no NFKC), or its
    plain ``lowercase`` for settings without ``normalization`` (bundles written before it)."""
    if settings.get("normalization") != "NFKC":
        return {"lowercase": settings["lowercase"]}
    return {"preprocessor": _nfkc_lower if settings["lowercase"] else _nfkc}


def _nfkc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def _nfkc_lower(text: str) -> str:
    return _nfkc(text).lower()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))
