"""Tables with one row per patient (CSV, TSV, UCI ``.data``): features, a label, optional ids.

``load_tabular_source`` reads a delimited file with or without a header (without: pass the
column names with ``columns``) into a :class:`TabularSource`. Which column is which:

- label: ``label_column``, else the first column named ``label``, ``outcome``, ``target``,
  ``class``, ``num`` or ``y`` (any case), else the last column (the choice goes to ``notes``);
  ``positive_labels`` turns a graded label into two classes (Cleveland ``num`` 1-4 = disease);
- ids: ``id_column`` or a column ``id``; patients: ``patient_column`` or ``patient_id``; a
  ``split`` column (train/val/test) is honoured;
- every other column is a feature. A feature is *categorical* when its cells are not numbers,
  or when it is named in ``categorical_columns``; numeric columns stay numeric even when they
  hold few distinct integers (``cp`` 1-4), because ordered codes often carry their order, so
  one-hot encoding them is the user's choice (``--categorical cp,thal``), listed in ``notes``.

Missing cells (see :mod:`meddx.data.tabular_read`) become NaN/None; ``zero_as_missing`` names
columns where 0 is physiologically impossible (Pima glucose, blood pressure, BMI, ...), and
``warnings`` names the others whose zeros look like such a code (:mod:`meddx.data.tabular_zeros`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from meddx.core.errors import DataError
from meddx.data.base import (SPLITS, ImageSource, SplitData, held_out_allowed, order_label_names, too_few_classes,
                             train_required)
from meddx.data.tabular_cells import JSON_ROW, feature_frame, json_cell
from meddx.data.tabular_case import case_matched, case_note
from meddx.data.tabular_read import (find_column, looks_like_header, missing_tokens, normalise_value, number, parse_rows,
                                     rare_class_notes, read_lines, read_rows, refuse_identifier, split_cells,
                                     typed_column)
from meddx.data.tabular_zeros import zero_as_missing as _zero_as_missing, zero_code_warnings

PREFIX = "tabular:"
SPEC_SUFFIXES = (".csv", ".tsv", ".data")
LABEL_NAMES = ("label", "outcome", "target", "class", "num", "y")
TEXT_NAMES = frozenset({"text", "note", "notes", "document", "report", "abstract", "body", "sentence", "narrative"})
_IMAGE_COLUMNS = frozenset({"path", "image", "mask"})
_FEW_VALUES = 10  # integer columns with at most this many values are listed as candidates for --categorical
# Training needs training rows; ``meddx evaluate`` reads an external test set (split column all
# ``test``) inside ``data.base.held_out_allowed``, the one switch every reader honours (a MedMNIST
# ``.npz`` of val/test arrays too); this name is kept for callers that imported it from here.
trainless_allowed = held_out_allowed


@dataclass
class TabularSource(ImageSource):
    """A labelled table: every split holds ``table`` (features only, raw values, NaN/None for
    missing); ``spatial_dims`` is 0. ``options`` are the reader options used, so evaluation
    re-reads a file exactly as training did."""

    feature_columns: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # zeros that look like a missing-value code
    modality: ClassVar[str] = "tabular"

    def get_image(self, split: str, index: int) -> np.ndarray:
        raise DataError(f"{self.origin}: a table has no images (sample {self.split(split).ids[index]!r})")


def strip_prefix(spec: str | Path) -> Path:
    """``tabular:PATH`` -> ``PATH`` (the prefix forces the table reader)."""
    text = str(spec).strip()
    return Path(text[len(PREFIX):] if text.lower().startswith(PREFIX) else text).expanduser()


def distinguishing_names(paths: list[Path]) -> list[str]:
    """Each path's file name, or, when another of ``paths`` is another file of that name, the
    fewest trailing parts of its absolute path that tell them apart (``site_a/rows.csv``); one file
    given twice keeps its name. How predict names the rows or stays of same-named input files."""
    import os

    full = [Path(os.path.abspath(p)) for p in paths]  # "a/../b/x.csv" and "b/x.csv" are one file
    same: dict[str, set[Path]] = {}
    for f in full:
        same.setdefault(f.name, set()).add(f)
    names = []
    for f in full:
        others, k = same[f.name], 1
        while len({p.parts[-k:] for p in others}) < len(others) and k < len(f.parts):
            k += 1
        names.append(str(Path(*f.parts[-k:])))
    return names


def load_tabular_source(path: str | Path, *, label_column: str | None = None, id_column: str | None = None,
                        patient_column: str | None = None, columns: list[str] | None = None,
                        categorical_columns: list[str] | None = None, missing_values: list[str] | None = None,
                        zero_as_missing: list[str] | None = None,
                        positive_labels: list[str] | None = None,
                        known_columns: list[str] | None = None) -> TabularSource:
    """Read the table at ``path`` (see the module docstring for the rules); ``DataError`` names
    the file, row and column of anything it cannot use. ``known_columns`` (a bundle's columns, for
    ``meddx evaluate``): one named so only ignoring case takes that name, in a warning (:mod:`.tabular_case`)."""
    path = strip_prefix(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; expected a CSV/TSV/.data table with one row per patient")
    header, rows, _ = read_rows(path, columns)
    notes: list[str] = []
    matched = case_matched(header, list(known_columns or []))
    header = [matched.get(h, h) for h in header]
    cols = {h: [row[i] for row in rows] for i, h in enumerate(header)}
    label = _label_column(path, header, label_column, notes)
    ident = _role(path, header, id_column, "id", "--id-column")
    patient = _role(path, header, patient_column, "patient_id", "--patient-column")
    split_col = find_column(header, "split")
    missing = missing_tokens(missing_values)
    names, labels = _labels(path, label, cols[label], missing, positive_labels)
    notes += rare_class_notes(label, names, labels)
    ids = _ids(path, ident, cols[ident]) if ident else [f"row{r}" for r in range(1, len(rows) + 1)]
    patients = _patients(path, patient, cols[patient], missing) if patient else None
    split_of = _splits(path, split_col, cols[split_col]) if split_col else ["train"] * len(rows)
    features = [h for h in header if h not in {label, ident, patient, split_col}]
    if not features:
        raise DataError(f"{path}: no feature columns besides the label {label!r}; expected at least one")
    table, numeric, categorical = _typed_table(path, features, cols, missing, categorical_columns, notes)
    _zero_as_missing(path, table, numeric, zero_as_missing, notes)
    notes.append(f"{path.name}: {len(rows)} rows, {len(numeric)} numeric and {len(categorical)} categorical feature(s)"
                 + (f" (categorical: {', '.join(categorical)})" if categorical else ""))
    options = {"label_column": label, "id_column": ident, "patient_column": patient, "columns": columns,
               "categorical_columns": categorical_columns, "missing_values": missing_values,
               "zero_as_missing": zero_as_missing, "positive_labels": positive_labels}
    source = _build(path, table, ids, labels, names, patients, split_of, notes, numeric, categorical,
                    {k: v for k, v in options.items() if v is not None})
    source.warnings = zero_code_warnings(path, table, numeric)  # after --zero-as-missing: its zeros are NaN
    source.warnings += [case_note(path, matched)] if matched else []  # GLUCOSE read as Glucose: allowed, said
    from meddx.data.val_checks import note_small_validation  # a val split the file gives (a carved one: the carve)

    return note_small_validation(source)


def feature_row_from_json(row: dict[str, Any], options: dict[str, Any], numeric: list[str],
                          categorical: list[str]) -> Any:
    """One row sent as JSON (``{"column": value, ...}``) as the one-row feature table a CSV row
    of the same values gives: the training missing-value tokens and zero-as-missing columns
    apply, ``null`` is missing, and every feature column must be present (extra keys, such as
    an id or the label, are ignored); a numeric column's value must be a finite number or missing
    (:mod:`meddx.data.tabular_cells`)."""
    lookup = {str(k).lower(): k for k in row}
    clash = next((k for k in row if lookup[str(k).lower()] != k), None)  # Age and AGE: which one is meant?
    if clash is not None:
        raise DataError(f"row: keys {clash!r} and {lookup[str(clash).lower()]!r} differ only by case; columns are "
                        "matched ignoring case, so send one of them")
    absent = [c for c in (*numeric, *categorical) if c.lower() not in lookup]
    if absent:
        raise DataError(f"row: missing feature column(s) {', '.join(absent)} that the model was trained on; "
                        f"the row has: {', '.join(map(str, row)) or '(nothing)'}")
    cells = {name: [json_cell(name, row[lookup[name.lower()]])] for name in [*numeric, *categorical]}
    return feature_frame(JSON_ROW, cells, options, numeric, categorical)


def read_feature_table(path: str | Path, options: dict[str, Any], numeric: list[str],
                       categorical: list[str], notes: list[str] | None = None) -> tuple[list[str], Any]:
    """Rows to predict: ``(names, DataFrame of the feature columns)``, read with the training
    ``options`` (missing values, zero as missing); the label column may be absent. A file without
    a header must have the training ``columns`` or exactly the feature columns, in order. ``notes``
    gets a line naming columns found by name only ignoring case (:mod:`meddx.data.tabular_case`)."""
    path = strip_prefix(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; expected a CSV/TSV table with one row per patient to predict")
    lines = read_lines(path)
    first = split_cells(path, lines[:1])[0]
    names = None
    if not looks_like_header(first):  # no header: the training columns, or the features alone, in order
        columns = options.get("columns") or []
        names = list(columns) if len(columns) == len(first) else [*numeric, *categorical]
        if len(names) != len(first):
            raise DataError(f"{path}: no header row and {len(first)} cells per row; expected a header, or the "
                            f"{len(columns) or len(names)} training columns in order ({', '.join(columns or names)})")
    fix = ("fix that row of the file" if names is None else  # predicting: no --columns (the bundle's are used)
           f"fix that row, or add a header row naming the file's columns (a file without one is read as the model's "
           f"{len(names)} training columns, in order)")
    header, rows, _ = parse_rows(path, lines, names, fix)
    cols = {h: [row[i] for row in rows] for i, h in enumerate(header)}
    lookup = {h.lower(): h for h in header}
    absent = [c for c in (*numeric, *categorical) if c.lower() not in lookup]
    if absent:
        raise DataError(f"{path}: missing feature column(s) {', '.join(absent)} that the model was trained on; "
                        f"the file has: {', '.join(header)}")
    table = feature_frame(path, {n: cols[lookup[n.lower()]] for n in (*numeric, *categorical)}, options, numeric,
                           categorical)
    matched = case_matched(header, [*numeric, *categorical])
    if matched and notes is not None:
        notes.append(case_note(path, matched))
    ident = find_column(header, options.get("id_column") or "id")
    ids = [f"{path.name}:{c or f'row{r}'}" for r, c in enumerate(cols[ident], 1)] if ident else \
        [f"{path.name}:row{r}" for r in range(1, len(rows) + 1)]
    return ids, table


# ----------------------------------------------------------------------------- columns
def _label_column(path: Path, header: list[str], wanted: str | None, notes: list[str]) -> str:
    if wanted:
        found = find_column(header, wanted)
        if found is None:
            raise DataError(f"{path}: no label column {wanted!r} (given with --label-column); available columns: "
                            f"{', '.join(header)}")
        return found
    for name in LABEL_NAMES:
        found = find_column(header, name)
        if found:
            notes.append(f"{path.name}: label column {found!r} (found by name; --label-column chooses another)")
            return found
    notes.append(f"{path.name}: label column {header[-1]!r} (the last column; --label-column chooses another)")
    return header[-1]


def _role(path: Path, header: list[str], wanted: str | None, default: str, flag: str) -> str | None:
    found = find_column(header, wanted or default)
    if wanted and found is None:
        raise DataError(f"{path}: no column {wanted!r} (given with {flag}); available columns: {', '.join(header)}")
    return found


def _labels(path: Path, column: str, cells: list[str], missing: frozenset[str],
            positive: list[str] | None) -> tuple[list[str], np.ndarray]:
    empty = [r for r, c in enumerate(cells, start=1) if c.strip().lower() in missing]
    if empty:
        shown = ", ".join(map(str, empty[:5])) + (", ..." if len(empty) > 5 else "")
        raise DataError(f"{path}: label column {column!r} is empty or missing in {len(empty)} row(s) (row {shown}); "
                        "drop those rows or fill in their labels (a label is never guessed)")
    values = [normalise_value(c) for c in cells]
    seen = sorted(set(values), key=lambda v: (number(v) is None, number(v) or 0.0, v))
    if positive:
        wanted = sorted({normalise_value(str(p)) for p in positive}, key=lambda v: (number(v) is None, number(v) or 0.0, v))
        present, negatives = set(wanted) & set(seen), [v for v in seen if v not in wanted]
        # Training needs both classes. Some positive values may be absent (another site's file),
        # but not all: a typo. ``meddx evaluate`` accepts either class alone (one_class_allowed):
        # an external set of confirmed cases, or of negatives, mapped onto the bundle's classes.
        if not present and too_few_classes(1):
            raise DataError(f"{path}: none of the positive label(s) {', '.join(wanted)} occurs in column {column!r} "
                            f"(values: {', '.join(seen)}); check --positive-labels")
        if not negatives and too_few_classes(1):
            raise DataError(f"{path}: every value of {column!r} is a positive label ({', '.join(seen)}); "
                            "--positive-labels must leave at least one negative value")
        names = ([_group_name(column, negatives)] if negatives else []) + ([_group_name(column, wanted)] if present else [])
        # the positive class's name comes from the option, so it is the same in every file
        return names, np.asarray([int(v in wanted and bool(negatives)) for v in values], dtype=np.int64)
    if too_few_classes(len(seen)):
        raise DataError(f"{path}: label column {column!r} holds a single value ({seen[0]!r}); a classifier needs "
                        "at least two classes (check --label-column)")
    numeric = all(number(v) is not None for v in seen)
    names = [f"{column}={v}" for v in seen] if numeric else order_label_names(seen)
    raw = seen if numeric else names
    index = {v: i for i, v in enumerate(raw)}
    return names, np.asarray([index[v] for v in values], dtype=np.int64)


def _group_name(column: str, values: list[str]) -> str:
    return f"{column}={values[0]}" if len(values) == 1 else f"{column} in {{{','.join(values)}}}"


def _ids(path: Path, column: str, cells: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    for r, cell in enumerate(cells, start=1):
        if not cell:
            raise DataError(f"{path}: row {r}: empty id in column {column!r}; every row needs a unique id")
        if cell in seen:
            raise DataError(f"{path}: row {r}: column {column!r} holds the same id as row {seen[cell]} ({cell!r}); "
                            "ids must be unique (pass --id-column for another column)")
        seen[cell] = r
    return list(cells)


def _patients(path: Path, column: str, cells: list[str], missing: frozenset[str]) -> list[str]:
    empty = [r for r, c in enumerate(cells, start=1) if c.strip().lower() in missing]
    if empty:
        raise DataError(f"{path}: row {empty[0]}: empty patient id in column {column!r} ({len(empty)} row(s)); "
                        "fill it in, or drop --patient-column")
    return list(cells)


def _splits(path: Path, column: str, cells: list[str]) -> list[str]:
    from meddx.data.splits import split_alias

    out = []
    for r, cell in enumerate(cells, start=1):
        name = split_alias(cell) if cell else "train"
        if name is None:
            raise DataError(f"{path}: row {r}: split {cell!r} in column {column!r} is not train, val or test")
        out.append(name)
    return out


def _typed_table(path: Path, features: list[str], cols: dict[str, list[str]], missing: frozenset[str],
                 categorical_columns: list[str] | None, notes: list[str]) -> tuple[Any, list[str], list[str]]:
    import pandas as pd

    forced = set()
    for name in categorical_columns or []:
        found = find_column(features, name)
        if found is None:
            raise DataError(f"{path}: --categorical names {name!r}, which is not a feature column; features: "
                            f"{', '.join(features)}")
        forced.add(found)
    data, numeric, categorical, few = {}, [], [], []
    for name in features:
        kind, values = typed_column(path, name, cols[name], missing, categorical=name in forced)
        refuse_identifier(path, name, kind, values, check=train_required())  # evaluation: the bundle uses it
        if kind == "numeric" and np.isnan(values).all() and train_required():  # evaluate: kept, the bundle reads it
            notes.append(f"{path.name}: column {name!r} is empty in every row and was dropped")
            continue
        data[name] = pd.Series(values, dtype="float64" if kind == "numeric" else object)
        (numeric if kind == "numeric" else categorical).append(name)
        present = [v for v in values if kind == "numeric" and not np.isnan(v)]
        if present and all(float(v).is_integer() for v in present) and 2 < len(set(present)) <= _FEW_VALUES:
            few.append(name)
    if few:
        notes.append(f"{path.name}: integer column(s) with few values kept numeric: {', '.join(few)} "
                     "(pass --categorical to one-hot encode codes without an order)")
    return pd.DataFrame(data), numeric, categorical


def _build(path: Path, table: Any, ids: list[str], labels: np.ndarray, names: list[str], patients: list[str] | None,
           split_of: list[str], notes: list[str], numeric: list[str], categorical: list[str],
           options: dict[str, Any]) -> TabularSource:
    where = np.asarray(split_of)
    splits = {}
    for name in SPLITS:
        idx = np.flatnonzero(where == name)
        if len(idx):
            splits[name] = SplitData(ids=[ids[i] for i in idx], labels=labels[idx],
                                     patient_ids=None if patients is None else [patients[i] for i in idx],
                                     table=table.iloc[idx].reset_index(drop=True))
    if "train" not in splits and train_required():
        raise DataError(f"{path}: no training rows (every row's split is val or test)")
    task = "binary" if len(names) == 2 else "multiclass"
    return TabularSource(name=path.stem, origin=str(path), task=task, label_names=names,
                         spatial_dims=0, splits=splits, notes=notes, feature_columns=[*table.columns],
                         categorical=categorical, numeric=numeric, options=options)


# ----------------------------------------------------------------------------- routing
def is_tabular_spec(spec: str | Path) -> bool:
    """True when ``spec`` names a table: ``tabular:PATH``, or a .csv/.tsv/.data file whose first
    rows show at least one numeric column, no ``path``/``image``/``mask`` column, no text-like
    column (a text name such as ``note``, or strings averaging 40+ characters or 6+ words), no
    image file names, and no long-format series header (time + variable + value columns)."""
    text = str(spec).strip()
    if text.lower().startswith(PREFIX):
        return True
    path = Path(text).expanduser()
    if not path.is_file() or path.suffix.lower() not in SPEC_SUFFIXES:
        return False
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            head = [line.rstrip("\r\n") for _, line in zip(range(201), fh) if line.strip()]
        if not head:  # an empty file is no table: the manifest/text reader names the problem
            return False
        header, rows, had_header = _head_rows(path, head)
    except (OSError, DataError):
        return False
    names = {h.lower() for h in header} if had_header else set()
    if names & (_IMAGE_COLUMNS | TEXT_NAMES) or _is_series_header(names):
        return False
    numeric_columns = 0
    for i in range(len(header)):
        cells = [row[i] for row in rows if i < len(row) and row[i].strip().lower() not in missing_tokens(None)]
        if cells and all(number(c) is not None for c in cells):
            numeric_columns += 1
        elif cells and (_text_like(cells) or any(_file_like(c) for c in cells)):
            return False
    return numeric_columns > 0


def _head_rows(path: Path, lines: list[str]) -> tuple[list[str], list[list[str]], bool]:
    """Header and rows of the first lines of a file (routing looks at a prefix only); a file
    without a header gets numbered column names."""
    first = split_cells(path, lines[:1])[0]
    if looks_like_header(first):
        return parse_rows(path, lines, None)
    header, rows, _ = parse_rows(path, lines, [f"column{i + 1}" for i in range(len(first))])
    return header, rows, False


def _is_series_header(names: set[str]) -> bool:
    time = names & {"time", "charttime", "timestamp", "hours", "hour", "datetime"}
    variable = names & {"variable", "parameter", "itemid", "param"}
    value = names & {"value", "valuenum"}
    return bool(time and variable and value)


def _text_like(cells: list[str]) -> bool:
    lengths = [len(c) for c in cells]
    words = [len(c.split()) for c in cells]
    return sum(lengths) / len(lengths) >= 40 or sum(words) / len(words) >= 6


def _file_like(cell: str) -> bool:
    from meddx.data.text_columns import FILE_SUFFIXES

    return Path(cell.strip().lower()).suffix in FILE_SUFFIXES
