"""Reading an evaluation source as the bundle's training read it (``meddx evaluate``, ``compare``).

Same reader options and carved validation split, labels mapped onto the bundle's classes, and a
source whose task or classes differ refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meddx.data.base import ImageSource


def check_compatible(predictor: Any, source: ImageSource) -> None:
    """Refuse a source whose task or labels differ from the bundle's."""
    from meddx.core.errors import DataError

    if source.task != predictor.task or list(source.label_names) != list(predictor.label_names):
        from meddx.data.csv_rows import shown_cell

        # the file's labels the bundle does not know: a few, each quoted only when short (a label
        # cell may hold a note); the bundle's own labels are its class names, shown as stored
        unknown = [n for n in source.label_names if n not in predictor.label_names]
        listed = ", ".join(shown_cell(n) for n in unknown[:5]) + (f", ... ({len(unknown)} in all)" if len(unknown) > 5
                                                                 else "")
        theirs = (f"{len(source.label_names)} labels" + (f", {len(unknown)} the bundle does not know: {listed}"
                                                          if unknown else f" {source.label_names}"))
        hint = _delimiter_hint(predictor, source)  # then the rows are no class of their own: the flag is the fix
        raise DataError(
            f"{source.origin}: task {source.task} with {theirs} does not match bundle "
            f"{predictor.name!r} ({predictor.task}, labels {predictor.label_names}){hint}"
            + _unknown_rows(source, unknown, advise=not hint)
        )


def _unknown_rows(source: ImageSource, unknown: list[str], advise: bool = True) -> str:
    """How many samples (all splits) carry a label in ``unknown``, the first few by id, and (``advise``)
    what to do; empty when none is unknown. Ids only, never the samples' text."""
    import numpy as np

    if not unknown:
        return ""
    index = [list(source.label_names).index(n) for n in unknown]
    ids: list[str] = []
    for data in source.splits.values():
        labels = np.asarray(data.labels)
        hit = labels[:, index].any(axis=1) if labels.ndim == 2 else np.isin(labels, index)
        ids += [str(data.ids[i]) for i in np.flatnonzero(hit)]
    if not ids:
        return ""
    first = ", ".join(repr(i) for i in ids[:3]) + (", ..." if len(ids) > 3 else "")
    fix = ": drop those rows, or evaluate a bundle trained with that class" if advise else ""
    return f"; {len(ids)} sample(s) carry such a label (first: {first}){fix}"


def _delimiter_hint(predictor: Any, source: ImageSource) -> str:
    """For a multi-label bundle and a file read as single-label whose class names hold a separator
    (``a|b``: label cells joined by a character the reader was not told of), the flag that splits
    them; names the character only."""
    if predictor.task != "multilabel" or source.task == "multilabel":
        return ""
    found = [c for c in ("|", ";", ",") if any(c in str(n) for n in source.label_names)]
    return (f"; the file's labels hold {found[0]!r}: if its cells list several labels, give --label-delimiter "
            f"{found[0]!r}" if found else "")


COLUMN_OPTIONS = ("text_column", "label_column", "id_column", "patient_column", "labels_file", "encoding",
                  "label_delimiter")
OPTIONAL_COLUMNS = ("id_column", "patient_column", "split_column")


def load_source_as_trained(predictor: Any, data: str, carve_val: bool, columns: dict[str, str] | None = None) -> Any:
    """``data`` read as the bundle's training read its source, checked against the bundle.

    Same validation fraction, seed and near-copy grouping (so a carved ``val`` is the same samples;
    a bundle that recorded no near-copy grouping is carved without it, as it was), the same reader
    options (document, label, id and patient columns; series window; table columns). ``columns``
    overrides the recorded ``text_column``/``label_column``/``id_column``/``patient_column`` (and a
    text file's ``encoding`` and ``label_delimiter``, a long series' ``labels_file``) for a file laid
    out differently (a bundle trained on JSON label lists evaluated on an ``a|b`` export); a
    recorded id, patient or split column that is not given is kept whenever the file's header
    has it (dropping it would re-carve val by sample and resample samples while the metrics say
    patients). A series is read with the window its preprocessor was fitted with, so ``evaluate``
    scores a stay exactly as ``predict`` does. Carving val hashes (and, for near copies, decodes)
    every training file, so it happens only when ``carve_val``. Labels of a source that lacks
    some of the bundle's classes are mapped onto them (:func:`align_labels`), down to a source
    of a single class (positives only: sensitivity is defined, AUC and specificity are not); a
    table without training rows (an external test set) is accepted.
    """
    from meddx.core.errors import ConfigError, DataError
    from meddx.data.carve_groups import carving_options
    from meddx.data.sources import load_source

    training = predictor.config.get("training", {})
    modality = predictor.config.get("modality", "image")
    text_options, options = training.get("text_options"), training.get("source_options")
    given = {k: v for k, v in (columns or {}).items() if v is not None}
    # a header-less table's column names (--columns a,b,c): table bundles only, refused naming the flag otherwise
    table_columns = _column_names(given.pop("columns"), modality, predictor.name) if "columns" in given else None
    unknown = sorted(set(given) - set(COLUMN_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown column option(s) {unknown}; expected some of {list(COLUMN_OPTIONS)}")
    if "labels_file" in given and (modality != "series" or options is None):
        raise ConfigError(f"--labels-file: bundle {predictor.name!r} ({modality}) reads no long-format time series; "
                          "the option names the labels CSV of a series file (ID,time,variable,value)")
    dropped: dict[str, str] = {}
    if text_options is not None:  # a recorded column the file lacks is left out, given options or not
        header = _text_header(data)
        if given or header is not None:
            text_options, dropped = _with_given(text_options, given, header)
    elif options is not None:
        text_only = [k for k in ("text_column", "encoding", "label_delimiter") if k in given]
        if text_only:
            flag = "--" + text_only[0].replace("_", "-")
            raise ConfigError(f"{flag}: bundle {predictor.name!r} reads no documents; for its series or table "
                              "source give --label-column, --id-column and --patient-column only")
        if table_columns is not None:
            options = {**options, "columns": table_columns}
        elif modality == "tabular" and options.get("columns") and _own_header(data) is not None:
            # trained on a header-less file (--columns): another site's file with a header row is read by its
            # names, as predict reads it (before: "row 1 has 15 cells but the header has 14 columns")
            options = {k: v for k, v in options.items() if k != "columns"}
        if modality == "tabular":  # a column named as the bundle's only ignoring case takes its name, said
            options = {**options, "known_columns": _known_columns(predictor.config, options)}
        header = (_csv_header(given.get("labels_file") or options.get("labels_file")) if modality == "series"
                  else _table_header(data, options.get("columns")))
        if given or header is not None:
            options, dropped = _with_given(options, given, header)
    elif given:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise ConfigError(f"{flags}: bundle {predictor.name!r} ({modality}) does not read columns; column options "
                          "apply to documents (all three) and to series and tables (label, id and patient)")
    fitted = predictor.config.get("series") or {}
    if modality == "series" and options is not None and fitted.get("window_hours"):
        options = {**options, "window_hours": float(fitted["window_hours"])}  # the window it was fitted with
    if modality == "series" and options is not None and options.get("kind") == "long" and fitted.get("variables"):
        # names indexed as training did (bundles before the reader recorded them: from the fitted series)
        options = {**options, "variables": list(fitted["variables"]), "static_names": list(fitted.get("static_names") or [])}
    from meddx.data.base import held_out_allowed, one_class_allowed

    try:  # a set of one class (positives only) is evaluated on the bundle's classes
        with one_class_allowed(), held_out_allowed():
            source = load_source(data, **carving_options(training), carve_val=carve_val, text_options=text_options,
                                 options=options)
    except DataError as exc:
        recorded = (options or {}).get("labels_file")
        if (options or {}).get("kind") == "long" and "labels_file" not in given and recorded \
                and not is_training_source(predictor, data):
            raise DataError(f"{exc} (labels were read from the bundle's recorded labels file {recorded}; "
                            f"give --labels-file with the labels of {data})") from None
        raise
    for key, column in dropped.items():  # say so: without the patient column, units are not patients
        source.notes.append(f"{data}: no column {column!r} (training's {key.replace('_', ' ')}); read without it")
    align_labels(predictor, source)
    check_compatible(predictor, source)
    return source


def _with_given(recorded: dict[str, Any], given: dict[str, str],
                header: list[str] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The recorded reader options with ``given`` on top, and the recorded optional columns left
    out: a recorded id, patient or split column that is not given is kept when the file's
    ``header`` has it (case-insensitive) and no given column already takes that name, else left
    out (the reader detects one afresh); an unreadable header (``None``) keeps none of them."""
    names = {str(h).strip().lower() for h in header or []}
    taken = {str(v).strip().lower() for v in given.values()}
    kept: dict[str, Any] = {}
    dropped: dict[str, str] = {}
    for key, value in recorded.items():
        if key in OPTIONAL_COLUMNS and key not in given and value:
            if str(value).strip().lower() not in names - taken:
                dropped[key] = str(value)
                continue
        kept[key] = value
    return {**kept, **given}, dropped


def _csv_header(path: str | Path | None) -> list[str] | None:
    """The first line of a comma- or tab-separated file, or ``None`` when it cannot be read."""
    import csv

    if not path or not Path(path).expanduser().is_file():
        return None
    file = Path(path).expanduser()
    try:
        with file.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            first = fh.readline()
    except OSError:
        return None
    delimiter = "\t" if file.suffix.lower() == ".tsv" or ("\t" in first and "," not in first) else ","
    return next(csv.reader([first], delimiter=delimiter), None)


def _text_header(data: str) -> list[str] | None:
    """Column names of a document file (CSV/TSV header, or the keys of a JSONL file's first
    object); ``None`` for a folder or a format whose header is not read here."""
    import json

    path = Path(data.split(":", 1)[1] if data.lower().startswith("text:") else data).expanduser()
    if path.suffix.lower() in (".jsonl", ".ndjson") and path.is_file():
        try:
            with path.open(encoding="utf-8-sig", errors="replace") as fh:
                row = json.loads(fh.readline() or "{}")
        except (OSError, ValueError):
            return None
        return list(row) if isinstance(row, dict) else None
    return _csv_header(path) if path.suffix.lower() in (".csv", ".tsv", ".txt") else None


def _known_columns(config: dict[str, Any], options: dict[str, Any]) -> list[str]:
    """A table bundle's columns by name: its label, id and patient columns and its features."""
    features = config.get("features") or {}
    roles = [options.get(k) for k in ("label_column", "id_column", "patient_column")]
    return [str(c) for c in [*roles, *features.get("numeric", []), *features.get("categorical", [])] if c]


def _column_names(given: str | list[str], modality: str, name: str) -> list[str]:
    """``--columns a,b,c`` as a list, for a table bundle only (a ``ConfigError`` naming the flag otherwise)."""
    from meddx.core.errors import ConfigError

    if modality != "tabular":
        raise ConfigError(f"--columns: bundle {name!r} ({modality}) reads no table; the option names the columns of "
                          "a table file without a header row")
    names = [c.strip() for c in given.split(",")] if isinstance(given, str) else [str(c).strip() for c in given]
    if not all(names):
        raise ConfigError(f"--columns {given!r}: an empty column name; give every column's name, comma-separated")
    return names


def _own_header(data: str) -> list[str] | None:
    """The header row of a table file when its first line is one (no cell a number), else ``None``."""
    from meddx.data.tabular_read import looks_like_header

    header = _table_header(data, None)
    return header if header and looks_like_header(header) else None


def _table_header(data: str, columns: list[str] | None) -> list[str] | None:
    """Column names of a table file: the recorded ``columns`` of a header-less file, else its
    first line split as the table reader splits it; ``None`` when it cannot be read."""
    if columns:
        return list(columns)
    from meddx.core.errors import DataError
    from meddx.data.tabular import strip_prefix
    from meddx.data.tabular_read import read_lines, split_cells

    path = strip_prefix(data)
    try:
        return split_cells(path, read_lines(path)[:1])[0] if path.is_file() else None
    except DataError:
        return None


def is_training_source(predictor: Any, data: str) -> bool:
    """Whether ``data`` is the file or folder the bundle trained on: its ``--split train`` then
    means training's train part, without the validation samples carved from it (another file's
    ``train`` is all its rows without a split column)."""
    from meddx.training.finish import local_path

    training = predictor.config.get("training", {})
    here = local_path(data)
    return here is not None and here in {training.get("data_path"), local_path(training.get("data") or "")}


def align_labels(predictor: Any, source: ImageSource) -> None:
    """Put a source whose classes are a subset of the bundle's into the bundle's label order.

    An external test set often lacks a class (no ``digestive`` abstracts this month): its
    labels are re-indexed to the bundle's classes, and the source takes the bundle's task and
    label names, so metrics are computed over the classes the bundle predicts. A class spelled
    otherwise only in spacing, Unicode form or number format (``1.0`` for the bundle's ``1``:
    ``data.text_exports.label_key``; never case) is that class, with a note. A source with a
    class the bundle does not know is left alone for :func:`check_compatible` to refuse.
    """
    names, wanted = list(source.label_names), list(predictor.label_names)
    multilabel = predictor.task == "multilabel"
    spelled = _spelled_as_trained(names, wanted)
    as_named = [spelled.get(n, n) for n in names]
    if names == wanted or not set(as_named) <= set(wanted) or multilabel != (source.task == "multilabel"):
        return
    if len(set(as_named)) < len(as_named):  # two of the file's classes would be one of the bundle's: refused later
        return
    from meddx.data.base import reindex_labels

    index = [wanted.index(n) for n in as_named]
    for data in source.splits.values():
        data.labels = reindex_labels(data.labels, index, len(wanted))
    absent = [n for n in wanted if n not in as_named]
    source.notes.append(f"{source.origin}: " + (f"no sample of class(es) {absent}; " if absent else "")
                        + f"labels mapped onto the bundle's classes {wanted}"
                        + (f" ({len(spelled)} label(s) spelled otherwise only in spacing or number format, e.g. "
                           "1.0 for 1, read as the bundle's)" if spelled else ""))
    source.label_names, source.task = wanted, predictor.task


def _spelled_as_trained(names: list[str], wanted: list[str]) -> dict[str, str]:
    """The source's class names that are no bundle class but one bundle class spelled otherwise only
    in spacing, Unicode form or number format, mapped to it (case differences are not mapped)."""
    from meddx.data.text_exports import label_key

    keys: dict[str, list[str]] = {}
    for w in wanted:
        keys.setdefault(label_key(w), []).append(w)
    return {n: keys[label_key(n)][0] for n in names if n not in wanted and len(keys.get(label_key(n), [])) == 1}
