"""Inference from a table bundle: the fitted row preprocessing, then the network (MLP, or the
logistic regression / boosted trees converted to torch).

A table bundle is an ordinary bundle; ``config.json`` holds the fitted
:class:`~meddx.transforms.tabular.TabularPreprocessor` under ``preprocessing`` (plain JSON), the
feature columns under ``features`` and the reader options under ``training.source_options``, so
rows to predict are read exactly like the training file. ``TabularPredictor`` reuses the image
``Predictor``'s calibration, decision rule and thresholds; only the input path differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch

from meddx.bundle.predictor import Prediction, Predictor
from meddx.core.errors import DataError


class TabularPredictor(Predictor):
    """A table bundle ready to predict rows; build it with ``meddx.bundle.load_bundle``."""

    def _build_preprocessor(self, config: dict[str, Any]) -> Any:
        from meddx.transforms.tabular import TabularPreprocessor

        return TabularPreprocessor.from_dict(config["preprocessing"])

    @property
    def feature_names(self) -> list[str]:
        """The model's input columns after preprocessing (one-hot columns, missing indicators)."""
        return self.preprocessor.feature_names

    @property
    def reader_options(self) -> dict[str, Any]:
        return dict(self.config.get("training", {}).get("source_options") or {})

    def encode(self, table: Any) -> torch.Tensor:
        """Features ``(N, F)`` float32 of a DataFrame of raw rows (the training file's columns)."""
        return torch.from_numpy(self.preprocessor.transform(table))

    def predict_rows(self, table: Any, calibrated: bool = True, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities ``(N, K)`` of raw rows: temperature-scaled unless ``calibrated=False``."""
        return self.predict_tensor(self.encode(table), batch_size=batch_size, calibrated=calibrated)

    def predict_split_data(self, data: Any, calibrated: bool = True) -> np.ndarray:
        """Probabilities of a source split's ``table`` (what evaluation calls)."""
        if data.table is None:
            raise DataError(f"bundle {self.name!r} predicts table rows; the split holds no table")
        return self.predict_rows(data.table, calibrated=calibrated)

    def predict_table(self, df: Any, names: Sequence[str] | None = None) -> list[Prediction]:
        """Label and probabilities per row of ``df``; ``names`` names each row (default ``row1``...)."""
        probs = self.predict_rows(df)
        labels = self.decide(probs)
        names = list(names) if names is not None else [f"row{i + 1}" for i in range(len(df))]
        return [Prediction(source=s, label=lab, probabilities={n: float(v) for n, v in zip(self.label_names, row)},
                           threshold=self.threshold)
                for s, lab, row in zip(names, labels, probs)]

    def read_rows(self, path: str | Path) -> tuple[list[str], Any]:
        """Row names and raw feature table of a CSV/TSV to predict, read with the training options."""
        from meddx.data.tabular import read_feature_table

        features = self.config.get("features") or {}
        return read_feature_table(path, self.reader_options, list(features.get("numeric", [])),
                                  list(features.get("categorical", [])))

    def row_from_json(self, row: dict[str, Any]) -> Any:
        """The one-row feature table of a row sent as JSON (the API's ``{"row": {...}}``)."""
        from meddx.data.tabular import feature_row_from_json

        features = self.config.get("features") or {}
        return feature_row_from_json(row, self.reader_options, list(features.get("numeric", [])),
                                     list(features.get("categorical", [])))

    def predict_files(self, paths: Sequence[str | Path]) -> list[Prediction]:
        """One prediction per row of each CSV/TSV file (named ``FILE:ID`` or ``FILE:rowN``)."""
        import pandas as pd

        names, tables = [], []
        for path in paths:
            ids, table = self.read_rows(path)
            names += ids
            tables.append(table)
        if not tables:
            return []
        return self.predict_table(pd.concat(tables, ignore_index=True), names)

    def predict_arrays(self, images: Sequence[np.ndarray], batch_size: int = 128, calibrated: bool = True) -> np.ndarray:
        raise DataError(f"bundle {self.name!r} predicts table rows; pass a CSV/TSV file with its feature columns")


def tabular_bundle_config(config: Any, source: Any, plan: Any, pre: Any, name: str, run_dir: Path) -> dict[str, Any]:
    """The image bundle's ``config.json`` (``training.finish.bundle_config``) with what differs for
    tables: the fitted row preprocessing, the feature columns, the reader options, no flips."""
    from meddx.training.finish import bundle_config

    preprocessing = {**pre.to_dict(), "description": pre.describe()}
    cfg = bundle_config(config.model_copy(update={"tta": False}), source, plan, preprocessing, name, run_dir)
    cfg["modality"] = "tabular"
    cfg["features"] = {"numeric": list(source.numeric), "categorical": list(source.categorical)}
    training = cfg["training"]
    training["source_options"] = dict(source.options)
    training["plan"].pop("augment", None)
    training["plan"]["lr"] = plan.lr
    if plan.fitted_by_sklearn:  # no gradient training: the schedule fields do not apply (fit_params do)
        for key in ("epochs", "batch_size", "lr", "weight_decay", "precision", "early_stopping_patience",
                    "label_smoothing"):
            training["plan"].pop(key, None)
        training["epochs"] = None
    return cfg


def tabular_predictor_factory() -> Callable[[dict[str, Any], Any], TabularPredictor]:
    """``make_predictor`` for ``finish_run``: a TabularPredictor around the fitted network."""
    def make(config: dict[str, Any], net: Any) -> TabularPredictor:
        return TabularPredictor(config, net)

    return make


def load_predictor(path: Path, config: dict[str, Any], net: Any, metrics: dict[str, Any]) -> TabularPredictor:
    """The table half of ``load_bundle`` (everything needed is in ``config.json``)."""
    return TabularPredictor(config, net, path=path, metrics=metrics)
