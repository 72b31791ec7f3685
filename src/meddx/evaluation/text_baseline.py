"""TF-IDF + logistic regression: the linear baseline every text report is measured against.

A network earns its cost only by beating this. It is fitted on the same training documents as
the network (scikit-learn's ``TfidfVectorizer`` and ``LogisticRegression``, settings below), evaluated by the same code on the same splits,
and stored in the bundle as plain arrays (``baseline.safetensors``: idf, coefficients,
intercepts) plus its vocabulary (``baseline.json``), so loading it unpickles nothing.

Its logistic regressions weigh the classes by ``class_weight="balanced"`` (w_k = n / (K·n_k)), so, like the
network's weighted loss, they shift the log-odds of a label by c = log(n_neg / n_pos) towards the rare
class (a .1-prevalence label's mean probability about .3), and a class's log-probability by log w_k. Since
stop 46 the baseline removes that shift (the prior correction of Saerens et al. 2002), stored as
``settings["shift"]``: c per column (binary, multi-label) or log w_k per class (multi-class), so its
calibration figures in ``metrics.json`` (ECE, Brier, in-the-large) are of probabilities of the training
population, as the network's are. A binary or multi-label map is increasing per column (AUC unchanged); a
multi-class baseline decides by argmax p_k·w_k (:attr:`TfidfBaseline.decision_weights`, stored in its
``decision.class_weights``: ``evaluation.decision``), exactly the fitted model's argmax. Training then fits
a binary or multi-label baseline's temperature and bias on validation as the network's
(:meth:`TfidfBaseline.fit_calibration`, ``settings["calibration"]``), which replace the shift; not a
multi-class one's (a temperature would move its one-vs-rest AUC: ``evaluation.baseline.calibrate_baseline``).
Baselines written before (no ``shift``, no ``calibration``) predict as before.
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
        # c = log(n_neg / n_pos) per column (binary, multi-label) or log w_k per class (multi-class), removed
        # from the logits; 0 for baselines written before it (a multi-class one before stop 46 had none either)
        self.shift = np.asarray(settings.get("shift", 0.0), dtype=np.float64)
        if self.shift.ndim and self.shift.shape != self.intercept.shape:  # from_files names the file
            raise ValueError(f"shift: one per column expected ({self.intercept.shape[0]}), got {self.shift.shape[0]}")
        # T and b fitted on validation (fit_calibration): the logits become z / T + b instead of z − shift
        self.calibration: dict[str, Any] | None = settings.get("calibration")
        if self.calibration is not None:
            _check_calibration(self.calibration, self.intercept.shape[0])

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
            counts = np.unique(y, return_counts=True)[1]
            if task != "multiclass":  # the balanced weights' shift c = log(w_pos / w_neg) = log(n_neg / n_pos)
                shifts.append(float(np.log(counts[0] / counts[1])))
            else:  # log w_k, w_k = n / (K·n_k): sklearn's "balanced" weights, one per class in coef_'s order
                shifts.extend(np.log(len(y) / (len(counts) * counts)).tolist())
            model = LogisticRegression(C=s["C"], class_weight=s["class_weight"], max_iter=3000, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(x, y)
            coefs.append(model.coef_)
            intercepts.append(model.intercept_)
        vocabulary = {t: int(i) for t, i in vec.vocabulary_.items()}
        settings = {**s, "min_df": vec.min_df, "task": task, **({"shift": shifts} if shifts else {})}
        return cls(vocabulary, vec.idf_, np.concatenate(coefs), np.concatenate(intercepts), task, settings)

    @property
    def decision_weights(self) -> list[float] | None:
        """w_k of a multi-class baseline whose shift is removed: it decides by argmax p_k·w_k, the fitted
        (class-balanced) model's own argmax (``evaluation.decision``); ``None`` otherwise (plain argmax)."""
        if self.task != "multiclass" or not self.shift.ndim:
            return None
        return np.exp(self.shift).tolist()

    @property
    def recalibration(self) -> tuple[Any, Any] | None:
        """``(temperature, bias)`` that maps the fitted model's probabilities (:meth:`fitted_proba`) to the
        baseline's, as ``evaluation.calibration.apply_temperature`` applies a network's: those fitted on
        validation (``calibration``), else T = 1 and b = −shift (the balanced weights' shift removed); ``None``
        for a baseline written before either (its probabilities are the fitted model's)."""
        if self.calibration is not None:
            return self.calibration["temperature"], self.calibration["bias"]
        if self.shift.ndim:
            bias = (-self.shift).tolist()
            return 1.0, bias[0] if self.task == "binary" else bias
        return None

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities ``(N, K)``, the same layout as a network's head: the fitted model's mapped by
        :attr:`recalibration` with the network's ``apply_temperature`` (float64 with a fitted temperature, as
        the network's, so no two scores tie in float32 rounding; float32 otherwise, as before)."""
        mapping = self.recalibration
        if mapping is None:
            return _probabilities(self._logits(texts), self.task).astype(np.float32)
        from meddx.evaluation.calibration import apply_temperature

        temperature, bias = mapping
        out = apply_temperature(self.fitted_proba(texts), temperature, self.task, bias=bias)
        return out if self.calibration is not None else out.astype(np.float32)

    def fitted_proba(self, texts: Sequence[str]) -> np.ndarray:
        """The fitted (class-balanced) model's own probabilities ``(N, K)`` in float64, the shift kept:
        what :meth:`fit_calibration` rescales, as the network's raw output (binary: both columns from the
        log-odds, so their log ratio keeps confident cases apart)."""
        logits = self._logits(texts)
        if self.task == "binary":
            return np.concatenate([_sigmoid(-logits), _sigmoid(logits)], axis=1)
        return _probabilities(logits, self.task)

    def fit_calibration(self, texts: Sequence[str], labels: np.ndarray) -> "TfidfBaseline":
        """Fit a temperature and bias on validation documents and their labels with the network's
        functions (``evaluation.recalibration``, ``evaluation.label_temperature``): binary and multi-label,
        T and b (one per label) with b between −c and −c / T; multi-class, T after b_k = −log w_k. Each
        binary or multi-label map is increasing, so AUC is unchanged; a multi-class baseline still decides
        by argmax p_k·w_k (its fitted argmax). Recorded in ``settings["calibration"]``; returns ``self``."""
        from meddx.evaluation.label_temperature import fit_label_temperatures
        from meddx.evaluation.recalibration import class_shifted_temperature_fit, shifted_temperature_fit

        raw, y = self.fitted_proba(texts), np.asarray(labels)
        weights = np.exp(np.broadcast_to(self.shift, self.intercept.shape)).tolist()
        if self.task == "binary":
            t, b, _ = shifted_temperature_fit(y, raw, [1.0, weights[0]])
        elif self.task == "multiclass":
            t, b, _ = class_shifted_temperature_fit(y, raw, weights)
        else:
            fit = fit_label_temperatures(y, raw, weights)
            t, b = fit.temperatures, fit.bias
        self.calibration = {"temperature": t, "bias": b, "fitted_on": "val", "n_val": int(len(y))}
        self.settings = {**self.settings, "calibration": self.calibration}
        return self

    def _logits(self, texts: Sequence[str]) -> np.ndarray:
        """The fitted model's logits ``(N, columns)`` in float64 (the balanced weights' shift included)."""
        x = self._vectorizer.transform(list(texts))
        return np.asarray(x @ self.coef.T) + self.intercept

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


def _probabilities(logits: np.ndarray, task: str) -> np.ndarray:
    """Sigmoid per label (multi-label), two columns from one log-odds (binary), or softmax (multi-class)."""
    if task == "multilabel":
        return _sigmoid(logits)
    if task == "binary":
        p1 = _sigmoid(logits[:, 0])
        return np.stack([1 - p1, p1], axis=1)
    logits = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def _check_calibration(calibration: Any, columns: int) -> None:
    """A ValueError (``from_files`` names the file) unless ``calibration`` holds a positive temperature
    and a bias, each one number or one per column."""
    try:
        t = np.asarray(calibration["temperature"], dtype=np.float64)
        b = np.asarray(calibration["bias"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise ValueError("calibration: a temperature and a bias expected") from None
    shaped = all(v.ndim == 0 or v.shape == (columns,) for v in (t, b))
    if not (shaped and np.isfinite(t).all() and (t > 0).all() and np.isfinite(b).all()):
        raise ValueError(f"calibration: a positive temperature and a finite bias expected, each one number or one "
                         f"per column ({columns}), got {calibration.get('temperature')!r} and "
                         f"{calibration.get('bias')!r}")


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
