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

    def encode(self, table: Any, rows: Sequence[str] | None = None) -> torch.Tensor:
        """Features ``(N, F)`` float32 of a DataFrame of raw rows (the training file's columns);
        ``rows`` names each row in an error (default: its position in ``table``)."""
        return torch.from_numpy(self.preprocessor.transform(table, rows=rows))

    def predict_rows(self, table: Any, calibrated: bool = True, batch_size: int = 1024,
                     rows: Sequence[str] | None = None) -> np.ndarray:
        """Class probabilities ``(N, K)`` of raw rows: temperature-scaled unless ``calibrated=False``."""
        return self.predict_tensor(self.encode(table, rows), batch_size=batch_size, calibrated=calibrated)

    def predict_split_data(self, data: Any, calibrated: bool = True, rows: Sequence[str] | None = None) -> np.ndarray:
        """Probabilities of a source split's ``table`` (what evaluation calls); ``rows``: see :func:`file_rows`."""
        if data.table is None:
            raise DataError(f"bundle {self.name!r} predicts table rows; the split holds no table")
        return self.predict_rows(data.table, calibrated=calibrated, rows=rows)

    @staticmethod
    def file_rows(source: Any, split: str) -> list[str]:
        """How an error names each row of a split of a table file (:func:`file_rows`)."""
        return file_rows(source, split)

    def predict_table(self, df: Any, names: Sequence[str] | None = None,
                      rows: Sequence[str] | None = None) -> list[Prediction]:
        """Label and probabilities per row of ``df``; ``names`` names each row (default ``row1``...);
        ``rows``: how an error names each row (:func:`row_labels`; else read from ``names``)."""
        if rows is None and names is not None:
            rows = named_rows(names)
        probs = self.predict_rows(df, rows=rows)
        labels = self.decide(probs)
        names = list(names) if names is not None else [f"row{i + 1}" for i in range(len(df))]
        return [Prediction(source=s, label=lab, probabilities={n: float(v) for n, v in zip(self.label_names, row)},
                           threshold=self.threshold)
                for s, lab, row in zip(names, labels, probs)]

    def read_rows(self, path: str | Path, shown: str | None = None,
                  notes: list[str] | None = None) -> tuple[list[str], Any]:
        """Row names and raw feature table of a CSV/TSV to predict, read with the training options;
        ``shown``: how to name the file in the row names (:func:`file_names`), else its name; ``notes``
        gets a line naming columns found only ignoring case (``GLUCOSE`` for ``Glucose``)."""
        from meddx.data.tabular import read_feature_table

        features = self.config.get("features") or {}
        ids, table = read_feature_table(path, self.reader_options, list(features.get("numeric", [])),
                                        list(features.get("categorical", [])), notes)
        return (ids if shown is None else renamed_rows(path, ids, shown)), table

    def row_from_json(self, row: dict[str, Any]) -> Any:
        """The one-row feature table of a row sent as JSON (the API's ``{"row": {...}}``)."""
        from meddx.data.tabular import feature_row_from_json

        features = self.config.get("features") or {}
        return feature_row_from_json(row, self.reader_options, list(features.get("numeric", [])),
                                     list(features.get("categorical", [])))

    def predict_files(self, paths: Sequence[str | Path]) -> list[Prediction]:
        """One prediction per row of each CSV/TSV file (named ``FILE:ID`` or ``FILE:rowN``, ``FILE``
        the shortest path that tells two same-named files apart: :func:`file_names`)."""
        import pandas as pd

        names, rows, tables = [], [], []
        for path, shown in zip(paths, file_names(paths)):
            ids, table = self.read_rows(path, shown)
            names += ids
            rows += row_labels(path, ids, shown)
            tables.append(table)
        if not tables:
            return []
        return self.predict_table(pd.concat(tables, ignore_index=True), names, rows=rows)

    def range_notes(self, table: Any, names: Sequence[str]) -> list[str]:
        """One note per numeric column whose values in ``table`` (rows named ``names``) lie far
        outside the training range the bundle recorded (:func:`training_ranges`): more than a tenth
        of the range beyond it. The model extrapolates there, and such values are most often another
        unit or a missing-value code (the UCI Switzerland file's ``chol`` is 0 in every row, where the
        Cleveland training rows hold 126 to 564). Bundles saved before the ranges were recorded: none."""
        ranges = (self.config.get("features") or {}).get("ranges") or {}
        notes = []
        for column, (low, high) in ranges.items():
            if column not in table:
                continue
            values = np.asarray(table[column], dtype=np.float64)
            margin = 0.1 * (high - low)
            far = np.flatnonzero(np.isfinite(values) & ((values < low - margin) | (values > high + margin)))
            if len(far) == 0:
                continue
            worst = far[np.argmax(np.abs(values[far] - (low + high) / 2))]
            notes.append(f"note: column {column!r}: {len(far)} of {len(values)} row(s) far outside the training range "
                         f"{low:g} to {high:g} (e.g. {values[worst]:g} in {names[worst]}); the model extrapolates "
                         "there: check the unit, and whether the value codes a missing measurement")
        return notes

    def category_notes(self, table: Any, names: Sequence[str]) -> list[str]:
        """One note per categorical column whose cells in ``table`` (rows named ``names``) hold a
        category no training row had (a new site, ``male`` where training wrote ``M``). Such a cell is
        read as ``<col>=other``, an input no training row set, so the model learnt nothing for it:
        allowed (a new site is no error), but said, as far-out numbers are (:meth:`range_notes`)."""
        from meddx.transforms.tabular import OTHER, _cells

        notes = []
        for column, known in getattr(self.preprocessor, "categories_", {}).items():
            if column not in table:
                continue
            cells = _cells(table[column])
            new = [i for i, c in enumerate(cells) if c is not None and c not in set(known)]
            if not new:
                continue
            seen = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
            notes.append(f"note: column {column!r}: {len(new)} of {len(cells)} row(s) hold a category no training row "
                         f"had (e.g. {cells[new[0]]!r} in {names[new[0]]}; training had {seen}); read as "
                         f"{column}={OTHER}, which no training row was, so the model learnt nothing for it: check "
                         "the spelling and coding")
        return notes

    def missing_notes(self, table: Any, names: Sequence[str]) -> list[str]:
        """One note per feature column missing in most rows of ``table`` (more than half, 2+ rows) and in a
        quarter more of them than in training (``features.missing``, recorded since stop 49; older bundles:
        any). Such cells are filled as training fills one, so those rows are scored without the column and
        nothing said so: a Cleveland bundle read the Hungarian file, whose ``ca`` is missing in 291 of 294
        rows (Cleveland: 4 of 303), as if every patient had ``ca`` 0, its training median."""
        from meddx.transforms.tabular import _cells

        trained = (self.config.get("features") or {}).get("missing") or {}
        pre, notes = self.preprocessor, []
        for column in [*pre.numeric, *pre.categorical]:
            if column not in table or len(table) < 2:
                continue
            missing = sum(c is None for c in _cells(table[column])) if column in pre.categorical else \
                int(np.isnan(np.asarray(table[column], dtype=np.float64)).sum())
            share, before = missing / len(table), trained.get(column)
            if share <= 0.5 or missing < 2 or (before is not None and share < before + 0.25):
                continue
            fill = (f"read as the training median {pre.medians_[column]:g}" if column in pre.numeric and pre.impute
                    else "left missing, as training's missing cells were" if column in pre.numeric
                    else "read as no category")
            first = next(i for i, c in enumerate(_cells(table[column])) if c is None) if column in pre.categorical \
                else int(np.flatnonzero(np.isnan(np.asarray(table[column], dtype=np.float64)))[0])
            seen = "" if before is None else f"; training rows: {before:.1%} missing"
            notes.append(f"note: column {column!r}: missing in {missing} of {len(table)} row(s) (e.g. {names[first]}"
                         f"{seen}); each such cell is {fill}, so those rows are scored without it: check that the "
                         "column was exported")
        return notes

    def predict_arrays(self, images: Sequence[np.ndarray], batch_size: int = 128, calibrated: bool = True) -> np.ndarray:
        raise DataError(f"bundle {self.name!r} predicts table rows; pass a CSV/TSV file with its feature columns")


def file_rows(source: Any, split: str) -> list[str]:
    """How an error names each row of ``split`` so that the user finds it in their file: its row
    there (``"row 16 of t.csv, in the val split"``: the split's tables are renumbered from 1), or its
    id when the file has an id column. Before, the overflow error named the row's place in its
    split: row 4 for the 16th row of a file whose every 4th row is val (training, ``meddx evaluate``)."""
    ids, name = source.split(split).ids, Path(str(getattr(source, "origin", "") or "")).name or "the table"
    id_column = (getattr(source, "options", None) or {}).get("id_column")
    if id_column:
        return [f"id {sid!r} in column {id_column!r} of {name}, in the {split} split" for sid in ids]
    # without an id column the reader names each row row<N>, N counted from 1 as its errors count rows
    return [f"row {sid[3:]} of {name}, in the {split} split" if sid[3:].isdigit() else f"sample {sid!r}"
            for sid in ids]


def row_labels(path: str | Path, ids: Sequence[str], shown: str | None = None) -> list[str]:
    """How an error names each row that ``read_rows(path)`` read (its ``ids``, in file order): its row
    in the file, counted from 1 as the reader counts, and the file's own id when it has one:
    ``"row 1 of b.csv (id 'row5')"``. The row is counted here, never read back from the name: a user's
    id ``row5`` was taken for meddx's own numbering ("row 5 of b.csv" for the file's first row), and an
    id holding ``:`` was split at it. ``shown``: how to name the file (:func:`file_names`), else its name."""
    from meddx.data.tabular import strip_prefix

    name = strip_prefix(path).name
    labels = []
    for number, full in enumerate(ids, start=1):
        prefix = next((f"{n}:" for n in (shown, name) if n and full.startswith(f"{n}:")), "")
        own = full[len(prefix):]
        labels.append(f"row {number} of {shown or name}" + ("" if own == f"row{number}" else f" (id {own!r})"))
    return labels


def file_names(paths: Sequence[str | Path]) -> list[str]:
    """How rows and errors name each of ``paths``: its file name, or, when another of ``paths`` is
    another file of the same name, the shortest trailing part of its path that tells them apart
    (``site_a/rows.csv`` and ``site_b/rows.csv`` were both "rows.csv", so their rows were both
    ``rows.csv:row1``; ``data.tabular.distinguishing_names``). One file given twice keeps its name."""
    from meddx.data.tabular import distinguishing_names, strip_prefix

    return distinguishing_names([strip_prefix(p) for p in paths])


def renamed_rows(path: str | Path, ids: Sequence[str], shown: str) -> list[str]:
    """``ids`` as ``read_feature_table`` names them (``NAME:ID`` / ``NAME:rowN``) with the file
    named ``shown`` instead (:func:`file_names`)."""
    from meddx.data.tabular import strip_prefix

    name = strip_prefix(path).name
    return [f"{shown}{i[len(name):]}" if i.startswith(f"{name}:") else i for i in ids]


def named_rows(names: Sequence[str]) -> list[str]:
    """How an error names each row of files to predict, from their ``FILE:rowN`` / ``FILE:ID`` names
    (``read_rows``): ``"row 2 of b.csv"``. Before, the rows of all the files were numbered in one run:
    the 2nd row of the second of two 20-row files was "row 22". Names alone are ambiguous (a user's id
    may be ``row5``, or hold ``:``): callers that read the files give :func:`row_labels` instead."""
    labels = []
    for name in names:
        file, _, row = str(name).rpartition(":")
        known = file and row.startswith("row") and row[3:].isdigit()
        labels.append(f"row {row[3:]} of {file}" if known else f"{row!r} of {file}" if file else repr(name))
    return labels


def tabular_bundle_config(config: Any, source: Any, plan: Any, pre: Any, name: str, run_dir: Path) -> dict[str, Any]:
    """The image bundle's ``config.json`` (``training.finish.bundle_config``) with what differs for
    tables: the fitted row preprocessing, the feature columns, the reader options, no flips."""
    from meddx.training.finish import bundle_config

    preprocessing = {**pre.to_dict(), "description": pre.describe()}
    cfg = bundle_config(config.model_copy(update={"tta": False}), source, plan, preprocessing, name, run_dir)
    cfg["modality"] = "tabular"
    train = source.split("train").table
    cfg["features"] = {"numeric": list(source.numeric), "categorical": list(source.categorical),
                       "ranges": training_ranges(train, list(source.numeric)),
                       # share of training rows missing each column, for TabularPredictor.missing_notes
                       "missing": {c: round(float(train[c].isna().mean()), 4) for c in [*source.numeric,
                                                                                     *source.categorical]}}
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


def training_ranges(table: Any, numeric: Sequence[str]) -> dict[str, list[float]]:
    """``{column: [min, max]}`` of each numeric column's filled training values, as read (zeros read
    as missing excluded), for :meth:`TabularPredictor.range_notes`; columns with none are left out."""
    ranges = {}
    for column in numeric:
        values = np.asarray(table[column], dtype=np.float64)
        values = values[np.isfinite(values)]
        if len(values):
            ranges[column] = [float(values.min()), float(values.max())]
    return ranges


def tabular_predictor_factory() -> Callable[[dict[str, Any], Any], TabularPredictor]:
    """``make_predictor`` for ``finish_run``: a TabularPredictor around the fitted network."""
    def make(config: dict[str, Any], net: Any) -> TabularPredictor:
        return TabularPredictor(config, net)

    return make


def load_predictor(path: Path, config: dict[str, Any], net: Any, metrics: dict[str, Any]) -> TabularPredictor:
    """The table half of ``load_bundle`` (everything needed is in ``config.json``)."""
    return TabularPredictor(config, net, path=path, metrics=metrics)
