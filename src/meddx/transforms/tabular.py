"""Table rows to a float matrix, with every statistic learnt from the training rows only.

``TabularPreprocessor(numeric, categorical).fit(train_df)`` then ``.transform(df)``:

- numeric columns: median imputation, plus a 0/1 missing-indicator column for each column that
  had missing cells in train (missingness is often informative: an unmeasured insulin), then
  standardisation with the train mean and standard deviation (a constant column gets sd 1);
- categorical columns: one-hot over the train categories, sorted, plus an ``other`` column
  that catches categories never seen in train; a missing cell is all zeros in the block, with
  an indicator column when train had missing cells in that column.

``impute=False`` leaves NaN in the numeric columns and adds no numeric indicators, for models
that route missing values themselves (gradient-boosted trees). The fitted state is plain JSON
(``to_dict``/``from_dict``, exact round trip) and travels in the bundle's ``config.json``.
We write this instead of sklearn's ColumnTransformer because a bundle may not hold pickles and
the JSON must be readable by a person checking what the model sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from meddx.core.errors import DataError, NotFittedError

OTHER = "other"
MISSING_SUFFIX = "missing"
KIND = "tabular"


class TabularPreprocessor:
    """Impute, indicate missing, standardise and one-hot encode (fitted on train only)."""

    def __init__(self, numeric: list[str], categorical: list[str], impute: bool = True) -> None:
        self.numeric = list(numeric)
        self.categorical = list(categorical)
        self.impute = bool(impute)

    # ------------------------------------------------------------------ fit
    def fit(self, df: Any) -> "TabularPreprocessor":
        """Learn medians, means, sds, categories and which columns get missing indicators from ``df``."""
        self._check_columns(df)
        if len(df) == 0:
            raise DataError("cannot fit the table preprocessing on zero training rows")
        self.medians_: dict[str, float] = {}
        self.means_: dict[str, float] = {}
        self.sds_: dict[str, float] = {}
        self.indicators_: list[str] = []
        for name in self.numeric:
            values = np.asarray(df[name], dtype=np.float64)
            present = values[~np.isnan(values)]
            if present.size == 0:
                raise DataError(f"column {name!r} is missing in every training row; drop it or fill it in")
            median = float(np.median(present))
            filled = np.where(np.isnan(values), median, values) if self.impute else present
            sd = float(filled.std())
            self.medians_[name] = median
            self.means_[name] = float(filled.mean())
            self.sds_[name] = sd if sd > 1e-12 else 1.0
            if self.impute and present.size < values.size:
                self.indicators_.append(name)
        self.categories_: dict[str, list[str]] = {}
        for name in self.categorical:
            cells = _cells(df[name])
            self.categories_[name] = sorted({c for c in cells if c is not None})
            if any(c is None for c in cells):
                self.indicators_.append(name)
        return self

    # ------------------------------------------------------------------ transform
    @property
    def feature_names(self) -> list[str]:
        """Names of the output columns, in order (numeric, numeric indicators, one-hot blocks)."""
        self._check_fitted()
        names = list(self.numeric)
        names += [f"{n}_{MISSING_SUFFIX}" for n in self.numeric if n in self.indicators_]
        for name in self.categorical:
            names += [f"{name}={c}" for c in self.categories_[name]] + [f"{name}={OTHER}"]
            if name in self.indicators_:
                names.append(f"{name}_{MISSING_SUFFIX}")
        return names

    def transform(self, df: Any, rows: Sequence[str] | None = None) -> np.ndarray:
        """``(N, F)`` float32 features of the rows of ``df`` (columns by name; extra columns ignored).

        ``rows``: how an error names each row of ``df`` (e.g. ``"row 16 of t.csv"``), for a ``df``
        that is part of a file (a training split); by default its position in ``df`` ("row 2")."""
        self._check_fitted()
        self._check_columns(df)
        n = len(df)
        blocks: list[np.ndarray] = []
        indicators: list[np.ndarray] = []
        for name in self.numeric:
            try:
                values = np.asarray(df[name], dtype=np.float64)
            except (TypeError, ValueError):
                raise DataError(f"column {name!r} must hold numbers (it did in training); found text") from None
            missing = np.isnan(values)
            if self.impute:
                values = np.where(missing, self.medians_[name], values)
            scaled = (values - self.means_[name]) / self.sds_[name]
            _check_float32(name, values, scaled, rows)
            blocks.append(scaled.reshape(n, 1))
            if name in self.indicators_:
                indicators.append(missing.astype(np.float64).reshape(n, 1))
        blocks += indicators
        for name in self.categorical:
            blocks.append(self._one_hot(name, _cells(df[name])))
        if not blocks:
            return np.zeros((n, 0), dtype=np.float32)
        return np.concatenate(blocks, axis=1).astype(np.float32)

    def fit_transform(self, df: Any) -> np.ndarray:
        return self.fit(df).transform(df)

    def _one_hot(self, name: str, cells: list[str | None]) -> np.ndarray:
        categories = self.categories_[name]
        index = {c: i for i, c in enumerate(categories)}
        width = len(categories) + 1 + (name in self.indicators_)
        out = np.zeros((len(cells), width), dtype=np.float64)
        for row, cell in enumerate(cells):
            if cell is None:
                if name in self.indicators_:
                    out[row, width - 1] = 1.0
                continue
            out[row, index.get(cell, len(categories))] = 1.0  # unseen in train: "other"
        return out

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """The fitted state as JSON types (floats as Python floats: JSON keeps them exactly)."""
        self._check_fitted()
        return {"kind": KIND, "numeric": self.numeric, "categorical": self.categorical, "impute": self.impute,
                "medians": self.medians_, "means": self.means_, "sds": self.sds_,
                "categories": self.categories_, "indicators": self.indicators_,
                "feature_names": self.feature_names}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TabularPreprocessor":
        """Rebuild a fitted preprocessor from :meth:`to_dict` output."""
        if data.get("kind") != KIND:
            raise DataError(f"preprocessing of kind {data.get('kind')!r} is not a table preprocessor ({KIND!r})")
        pre = cls(data["numeric"], data["categorical"], impute=data.get("impute", True))
        pre.medians_ = {k: float(v) for k, v in data["medians"].items()}
        pre.means_ = {k: float(v) for k, v in data["means"].items()}
        pre.sds_ = {k: float(v) for k, v in data["sds"].items()}
        pre.categories_ = {k: list(v) for k, v in data["categories"].items()}
        pre.indicators_ = list(data["indicators"])
        return pre

    def describe(self) -> str:
        """One sentence for the model card."""
        self._check_fitted()
        parts = [f"{len(self.numeric)} numeric column(s) standardised with the training mean and sd"]
        parts[0] += (", missing values imputed with the training median and flagged" if self.impute
                     else ", missing values passed to the model as NaN")
        if self.categorical:
            parts.append(f"{len(self.categorical)} categorical column(s) one-hot encoded with an '{OTHER}' column "
                         "for unseen categories")
        return f"a table row: {'; '.join(parts)} ({len(self.feature_names)} model inputs, fitted on training rows only)"

    # ------------------------------------------------------------------ checks
    def _check_fitted(self) -> None:
        if not hasattr(self, "medians_"):
            raise NotFittedError("TabularPreprocessor is not fitted: call fit(train_table) first")

    def _check_columns(self, df: Any) -> None:
        columns = set(getattr(df, "columns", []))
        absent = [c for c in (*self.numeric, *self.categorical) if c not in columns]
        if absent:
            raise DataError(f"table lacks column(s) {', '.join(map(repr, absent))} that the model uses; "
                            f"it has: {', '.join(map(str, columns)) or '(none)'}")


def _cells(column: Any) -> list[str | None]:
    """A categorical column as text cells; ``None`` for missing (None, NaN, pd.NA, empty)."""
    missing = column.isna().tolist()
    return [None if m else _text(v) for v, m in zip(column.tolist(), missing)]


def _text(value: Any) -> str | None:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _check_float32(name: str, values: np.ndarray, scaled: np.ndarray, rows: Sequence[str] | None = None) -> None:
    """Raise naming the column (and row) when a standardised value is beyond float32, which the
    model computes in: the cast made it infinite, and the prediction failed far from the cause
    ("probs must be finite probabilities", for a ``1e39`` in a column measured in units)."""
    over = np.flatnonzero(np.abs(scaled) > np.finfo(np.float32).max)  # NaN (missing, impute=False) is not over
    if over.size:
        r = int(over[0])
        where = f" ({rows[r]})" if rows is not None else f" (row {r + 1})" if scaled.size > 1 else ""
        raise DataError(f"column {name!r}{where}: {values[r]:.6g} is {abs(scaled[r]):.3g} training standard deviations "
                        "from the training mean, beyond the float32 range (about 3.4e38) the model computes in; check "
                        "the value and its unit")
