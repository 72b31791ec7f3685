"""Reading an evaluation source as the bundle's training read it (``meddx evaluate``, ``compare``).

Same reader options and carved validation split, labels mapped onto the bundle's classes, and a
source whose task or classes differ refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from meddx.data.base import ImageSource


def check_compatible(predictor: Any, source: ImageSource) -> None:
    """Refuse a source whose task or labels differ from the bundle's."""
    from meddx.core.errors import DataError

    if source.task != predictor.task or list(source.label_names) != list(predictor.label_names):
        raise DataError(
            f"{source.origin}: task {source.task} with labels {source.label_names} does not match bundle "
            f"{predictor.name!r} ({predictor.task}, labels {predictor.label_names})"
        )


COLUMN_OPTIONS = ("text_column", "label_column", "id_column", "encoding")


def load_source_as_trained(predictor: Any, data: str, carve_val: bool, columns: dict[str, str] | None = None) -> Any:
    """``data`` read as the bundle's training read its source, checked against the bundle.

    Same validation fraction and seed (so a carved ``val`` is the same samples), the same reader
    options (document, label and id columns; series window; table columns). ``columns`` overrides
    the recorded ``text_column``/``label_column``/``id_column`` (and a text file's ``encoding``)
    for a file laid out differently (then the recorded id, patient and split columns are
    detected afresh unless given); carving
    val hashes every training file, so it happens only when ``carve_val``. Labels of a source that
    lacks some of the bundle's classes are mapped onto them (:func:`align_labels`), down to a
    source of a single class (positives only: sensitivity is defined, AUC and specificity are not).
    """
    from meddx.core.errors import ConfigError
    from meddx.data.sources import load_source

    training = predictor.config.get("training", {})
    text_options, options = training.get("text_options"), training.get("source_options")
    given = {k: v for k, v in (columns or {}).items() if v is not None}
    unknown = sorted(set(given) - set(COLUMN_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown column option(s) {unknown}; expected some of {list(COLUMN_OPTIONS)}")
    # A file laid out differently: the recorded optional columns (id, patient, split) are not
    # carried over unless given; the reader detects them as it did for training.
    optional = ("id_column", "patient_column", "split_column")
    if given and text_options is not None:
        text_options = {**{k: v for k, v in text_options.items() if k not in optional}, **given}
    elif given and options is not None:
        if "text_column" in given or "encoding" in given:
            flag = "--text-column" if "text_column" in given else "--encoding"
            raise ConfigError(f"{flag}: bundle {predictor.name!r} reads no documents; for its series or table "
                              "source give --label-column and --id-column only")
        options = {**{k: v for k, v in options.items() if k not in optional}, **given}
    elif given:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise ConfigError(f"{flags}: bundle {predictor.name!r} ({predictor.config.get('modality', 'image')}) does not "
                          "read columns; column options apply to documents (all three) and to series and tables "
                          "(label and id)")
    from meddx.data.base import one_class_allowed

    with one_class_allowed():  # a set of one class (positives only) is evaluated on the bundle's classes
        source = load_source(data, val_fraction=training.get("val_fraction", 0.1), seed=training.get("seed", 0),
                             carve_val=carve_val, text_options=text_options, options=options)
    align_labels(predictor, source)
    check_compatible(predictor, source)
    return source


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
    label names, so metrics are computed over the classes the bundle predicts. A source with a
    class the bundle does not know is left alone for :func:`check_compatible` to refuse.
    """
    names, wanted = list(source.label_names), list(predictor.label_names)
    multilabel = predictor.task == "multilabel"
    if names == wanted or not set(names) <= set(wanted) or multilabel != (source.task == "multilabel"):
        return
    index = np.array([wanted.index(n) for n in names], dtype=np.int64)
    for data in source.splits.values():
        if multilabel:
            labels = np.zeros((len(data.labels), len(wanted)), dtype=data.labels.dtype)
            labels[:, index] = data.labels
            data.labels = labels
        else:
            data.labels = index[np.asarray(data.labels, dtype=np.int64)]
    absent = [n for n in wanted if n not in names]
    source.notes.append(f"{source.origin}: " + (f"no sample of class(es) {absent}; " if absent else "")
                        + f"labels mapped onto the bundle's classes {wanted}")
    source.label_names, source.task = wanted, predictor.task
