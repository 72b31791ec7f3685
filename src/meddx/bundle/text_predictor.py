"""Inference from a text bundle: the saved tokenizer, the network, and the TF-IDF baseline beside it.

A text bundle is an ordinary bundle (``weights.safetensors``, ``config.json``, ...) plus
``tokenizer.json`` (the tokenizer fitted on the training documents) and, when the baseline was
fitted, ``baseline.safetensors`` + ``baseline.json``. ``TextPredictor`` reuses the image
``Predictor``'s decision rule, calibration and thresholds; only the input path differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from meddx.bundle.predictor import Prediction, Predictor
from meddx.core.errors import BundleError, DataError

TOKENIZER_FILE = "tokenizer.json"
BASELINE_FILES = ("baseline.safetensors", "baseline.json")


def documents_not_images(name: str | None) -> str:
    """Why a text bundle refuses an image (``meddx predict TEXTBUNDLE x.png``, ``predict_arrays``): what it
    reads instead, worded as an image bundle refuses ``--text`` (``cli.predict_text.refuse_text``), so
    both directions read alike. ``name``: the bundle's, or ``None`` where the caller has none."""
    who = f"bundle {name!r}" if name else "a text bundle"
    return (f"{who} reads documents (CSV/JSONL/Parquet/.txt or --text), not images; give it those, or pass images "
            "to an image bundle (`meddx registry list` names each bundle's model)")


class MeddxNulWarning(UserWarning):
    """NUL characters (U+0000) were removed from documents given to a text predictor (counted, named)."""


class TextPredictor(Predictor):
    """A text bundle ready to predict documents; build it with ``meddx.bundle.load_bundle``."""

    def __init__(self, config: dict[str, Any], net: torch.nn.Module, tokenizer: Any, baseline: Any = None,
                 path: Path | None = None, metrics: dict | None = None) -> None:
        self.tokenizer = tokenizer
        self.baseline = baseline
        super().__init__(config, net, path=path, metrics=metrics)

    def _build_preprocessor(self, config: dict[str, Any]) -> Any:
        return self.tokenizer

    @property
    def max_length(self) -> int:
        return int(self.config["preprocessing"]["max_length"])

    def encode(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids and attention mask ``(N, L)`` with the bundle's tokenizer and length."""
        ids, mask = self.tokenizer.encode_batch(list(texts), max_length=self.max_length)
        return torch.from_numpy(np.asarray(ids, dtype=np.int64)), torch.from_numpy(np.asarray(mask, dtype=np.int64))

    def encoded_probs(self, ids: torch.Tensor, mask: torch.Tensor, calibrated: bool = True) -> np.ndarray:
        """Class probabilities ``(N, K)`` of rows already encoded by :meth:`encode` (an explanation
        scores the very row it attributes instead of encoding the document again), in one pass padded
        to a multiple of ``pass_rows.BLOCK_ROWS`` rows so a row's bits do not depend on how many share it."""
        from meddx.bundle.pass_rows import BLOCK_ROWS, padded
        from meddx.tasks.heads import probs_from_logits

        with torch.inference_mode():
            logits = self.net(padded(ids, BLOCK_ROWS), padded(mask, BLOCK_ROWS))[: len(ids)]
            probs = probs_from_logits(logits.double(), self.task).numpy()  # type: ignore[arg-type]
        return self.calibrate(probs) if calibrated else probs

    def _raw_text_probs(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        return self._raw_encoded_probs(self.tokenizer.encode_rows(list(texts), max_length=self.max_length), batch_size)

    def _raw_encoded_probs(self, encodings: Sequence[Any], batch_size: int) -> np.ndarray:
        """Uncalibrated ``(N, K)`` probabilities of encodings, scored ``batch_size`` at a time among
        encodings of their own token length: one path for documents and for encodings a caller holds.

        A pass of one length needs no padding tokens, and a packed LSTM runs rows of mixed lengths by
        another kernel than rows of one length (1e-9 apart: a document's bits depended on its batch's
        other lengths); with :meth:`encoded_probs`' row padding, identical documents get identical bits
        whatever else is scored with them."""
        out = np.zeros((len(encodings), len(self.label_names)), dtype=np.float64)
        by_length: dict[int, list[int]] = {}
        for i, enc in enumerate(encodings):  # pad_rows gives an empty encoding one token
            by_length.setdefault(max(len(enc.ids), 1), []).append(i)
        step = max(1, int(batch_size))
        for rows in by_length.values():
            for start in range(0, len(rows), step):
                chunk = rows[start:start + step]
                ids, mask = map(torch.from_numpy, self.tokenizer.pad_rows([encodings[i] for i in chunk]))
                out[chunk] = self.encoded_probs(ids, mask, calibrated=False)
        return out

    def _checked_documents(self, texts: Sequence[str], sources: Sequence[str] | None = None,
                           caller: str = "predict_texts") -> tuple[list[str], list[int]]:
        """``texts`` checked (a list of str, each with a word) and without NUL characters, and the NULs
        removed from each. A NUL (a note copied out of a binary export) made the word holding it
        ``[UNK]``; training and ``meddx predict`` remove them, so the API does too, warning with a
        count (``MeddxNulWarning``; names from ``sources``, else ``document i of n``, never text)."""
        if isinstance(texts, str):  # else each character would be scored as a document
            raise DataError(f"{caller} takes a list of documents, got a single str; wrap it in a list")
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise DataError(f"document {bad[0] + 1} of {len(texts)} is {type(texts[bad[0]]).__name__}, not text; "
                            "expected a list of str")  # counted from 1, as the tokenizer's messages count
        from meddx.data.text_exports import remove_nul
        from meddx.transforms.text_checks import wordless

        n = len(texts)
        places = list(sources) if sources is not None else [f"document {i + 1} of {n}" for i in range(n)]
        docs, note = remove_nul(list(texts), places, None)
        removed = [t.count("\0") for t in texts]
        if note:
            import warnings

            warnings.warn(f"{caller}: {note}", MeddxNulWarning, stacklevel=3)
        empty = [(i, why) for i, t in enumerate(docs) if (why := wordless(t))]
        if empty:  # the CLI refuses it too: a lone [UNK] or punctuation row would get a confident score
            raise DataError(f"document {empty[0][0] + 1} of {len(docs)} is {empty[0][1]} ({len(empty)} such); "
                            "there is nothing to classify: drop it or fill it")
        return docs, removed

    def predict_texts(self, texts: Sequence[str], batch_size: int = 64, calibrated: bool = True) -> np.ndarray:
        """Class probabilities ``(N, K)`` of documents: temperature-scaled unless ``calibrated=False``.
        NUL characters are removed first, with a ``MeddxNulWarning`` (:meth:`_checked_documents`)."""
        docs, _ = self._checked_documents(texts)
        probs = self._raw_text_probs(docs, batch_size)
        return self.calibrate(probs) if calibrated else probs

    def predict_arrays(self, images: Sequence[np.ndarray], batch_size: int = 128, calibrated: bool = True) -> np.ndarray:
        raise DataError(documents_not_images(self.name))

    def predict_documents(self, texts: Sequence[str], sources: Sequence[str] | None = None) -> list[Prediction]:
        """Label and probabilities per document; ``sources`` names each (file, row id) in the output.
        A document that held NUL characters has them removed and counted in its ``extra["nul_removed"]``
        (and a ``MeddxNulWarning``)."""
        names = list(sources) if sources is not None else [f"text{i + 1}" for i in range(len(texts))]
        if not isinstance(texts, str) and len(names) != len(texts):  # zip() would drop the extra ones unsaid
            raise DataError(f"predict_documents: {len(texts)} documents but {len(names)} sources; expected one source "
                            "name per document")
        docs, removed = self._checked_documents(texts, names, "predict_documents")
        predictions = self.predict_encodings(self.tokenizer.encode_rows(docs, max_length=self.max_length), names)
        for prediction, count in zip(predictions, removed):
            if count:
                prediction.extra["nul_removed"] = count
        return predictions

    def predict_encodings(self, encodings: Sequence[Any], sources: Sequence[str], batch_size: int = 64
                          ) -> list[Prediction]:
        """:meth:`predict_documents` of documents already encoded (``tokenizer.encode_rows(docs,
        max_length=self.max_length)``): a caller that also reads the tokens (``meddx predict``'s
        ``[UNK]`` warning and length note) tokenizes each document once. Batches of ``batch_size``
        padded as :meth:`predict_texts` pads them: the same probabilities to the bit."""
        if len(encodings) != len(sources):
            raise DataError(f"predict_encodings: {len(encodings)} encodings but {len(sources)} sources; expected one "
                            "source name per encoding")
        probs = self.calibrate(self._raw_encoded_probs(encodings, batch_size))
        threshold = self.class_thresholds if self.task == "multilabel" and self.class_thresholds else self.threshold
        return [Prediction(source=s, label=lab, probabilities={n: float(v) for n, v in zip(self.label_names, row)},
                           threshold=threshold)
                for s, lab, row in zip(sources, self.decide(probs), probs)]

    def baseline_predictor(self) -> "BaselinePredictor | None":
        """The TF-IDF + logistic regression baseline stored with this bundle, as a predictor."""
        if self.baseline is None or "baseline" not in self.config:
            return None
        return BaselinePredictor(self.config, self.baseline)


class BaselinePredictor(Predictor):
    """The bundle's baseline behind the ``Predictor`` interface (its own operating point, chosen on the
    same validation split), so ``assess`` scores it like the network. A TF-IDF baseline's raw output is
    its fitted (class-balanced) model's, and its calibration (the balanced weights' shift removed, or T
    and b fitted on validation: ``TfidfBaseline``) is applied as the network's is, so ``metrics.json``
    reports its temperature and its calibration before and after, as for the network."""

    def __init__(self, bundle_config: dict[str, Any], baseline: Any) -> None:
        self.baseline = baseline
        section = bundle_config.get("baseline") or {}
        config = {**bundle_config, "name": f"{bundle_config.get('name', 'bundle')} baseline ({section.get('model')})",
                  "decision": section.get("decision") or {"rule": "argmax", "threshold": None},
                  "calibration": _baseline_calibration(baseline), "tta": []}
        super().__init__(config, torch.nn.Identity())

    def _build_preprocessor(self, config: dict[str, Any]) -> Any:
        return None

    def predict_texts(self, texts: Sequence[str], batch_size: int = 64, calibrated: bool = True) -> np.ndarray:
        from meddx.evaluation.text_baseline import TfidfBaseline

        if not isinstance(self.baseline, TfidfBaseline):
            return self.baseline.predict_proba(list(texts))
        raw = self.baseline.fitted_proba(list(texts))
        return self.calibrate(raw) if calibrated else raw


def _baseline_calibration(baseline: Any) -> dict[str, Any]:
    """The ``calibration`` section a baseline's predictor applies to its fitted model's probabilities
    (``TfidfBaseline.recalibration``): the T and b fitted on validation, or T = 1 and b = −shift, or none
    (baselines written before either, and other baselines)."""
    mapping = getattr(baseline, "recalibration", None)
    if mapping is None:
        return {"temperature": 1.0, "fitted_on": None, "method": None}
    fitted = baseline.calibration
    return {"temperature": mapping[0], "bias": mapping[1], "fitted_on": fitted.get("fitted_on", "val") if fitted else None,
            "n_val": fitted.get("n_val") if fitted else None,
            "method": ("temperature and bias fitted on validation, as the network's" if fitted
                       else "the class-balanced weights' shift removed")}


def text_bundle_config(config: Any, source: Any, plan: Any, name: str, run_dir: Path) -> dict[str, Any]:
    """The image bundle's ``config.json`` (``training.finish.bundle_config``) with what differs for
    documents: the tokenizer as preprocessing, no test-time flips, the columns read, the plan's rate."""
    from meddx.training.finish import bundle_config

    preprocessing = {"kind": "tokenizer", "tokenizer": plan.tokenizer, "file": TOKENIZER_FILE,
                     "max_length": plan.max_length, "vocab_size": plan.vocab_size}
    cfg = bundle_config(config.model_copy(update={"tta": False}), source, plan, preprocessing, name, run_dir)
    cfg["modality"] = "text"
    training = cfg["training"]
    training["text_options"] = reader_options(getattr(source, "columns", {}) or {})
    training["plan"].pop("augment", None)
    training["plan"]["lr"] = plan.lr
    training["plan"]["embedding_init"] = plan.embedding_init
    if plan.ensemble > 1:  # load_bundle builds this many networks and averages their probabilities
        cfg["model"]["ensemble"] = plan.ensemble
        training["plan"]["ensemble"] = plan.ensemble
    return cfg


def reader_options(columns: dict[str, Any]) -> dict[str, str]:
    """``load_source(text_options=...)`` from a TextSource's recorded ``columns``, so evaluation
    reads a file's documents and labels from the same columns as training."""
    out = {f"{k}_column": str(columns[k]) for k in ("text", "label", "id", "patient", "split") if columns.get(k)}
    for key in ("label_delimiter", "encoding"):  # a file that is not UTF-8 is read back the same way
        if columns.get(key):
            out[key] = str(columns[key])
    return out


def text_bundle_files(tokenizer: Any, baseline: Any) -> dict[str, bytes]:
    """The extra files of a text bundle: the tokenizer and, when fitted, the baseline."""
    files = {TOKENIZER_FILE: tokenizer.to_json().encode()}
    if baseline is not None:
        files.update(baseline.to_files())
    return files


def text_predictor_factory(tokenizer: Any, baseline: Any) -> Callable[[dict[str, Any], Any], TextPredictor]:
    """``make_predictor`` for ``finish_run``: a TextPredictor around the trained network."""
    def make(config: dict[str, Any], net: Any) -> TextPredictor:
        if baseline is not None and "baseline" not in config:
            from meddx.evaluation.text_baseline import NAME

            config["baseline"] = {"model": NAME, "settings": {k: v for k, v in baseline.settings.items()},
                                  "decision": None}
        return TextPredictor(config, net, tokenizer, baseline)

    return make


def load_text_predictor(path: Path, config: dict[str, Any], net: Any, metrics: dict[str, Any]) -> TextPredictor:
    """The text half of ``load_bundle``: tokenizer and baseline files next to the weights."""
    from meddx.transforms.text import TextTokenizer

    tok_path = path / config["preprocessing"].get("file", TOKENIZER_FILE)
    if not tok_path.is_file():
        raise BundleError(f"{path}: text bundle without {tok_path.name} (the tokenizer fitted on its training data)")
    tokenizer = TextTokenizer.from_json(tok_path.read_text())
    tokenizer.max_length = int(config["preprocessing"]["max_length"])
    baseline = None
    if "baseline" in config:
        arrays, meta = (path / f for f in BASELINE_FILES)
        if not (arrays.is_file() and meta.is_file()):
            raise BundleError(f"{path}: config.json names a baseline but {BASELINE_FILES} are missing")
        from meddx.bundle.integrity import check_data_checksum
        from meddx.evaluation.text_baseline import TfidfBaseline

        data = arrays.read_bytes()
        # reads as safetensors, and checks baseline.json against the SHA-256 recorded there
        baseline = TfidfBaseline.from_files(data, meta.read_bytes(), where=str(path))
        check_data_checksum(arrays, data)  # the weights' SHA-256 check; none in baselines written before it
    return TextPredictor(config, net, tokenizer, baseline, path=path, metrics=metrics)
