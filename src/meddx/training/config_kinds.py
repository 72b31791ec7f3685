"""Which kinds of source each training config field acts on, and the refusal of those that would not.

``meddx train --data table.csv --tokenizer bpe --image-size 64 --window-hours 12`` trained a table and
said nothing about the three flags it never read; ``--patient-column`` on an image folder grouped
nothing. A field the user set (a flag, or a key of the YAML config: ``model_fields_set``) that does
nothing for the source's kind is refused on one line naming each flag, the kinds it applies to and
the source's kind, before anything is planned or trained. The fields of networks trained by
gradient (``--epochs``, ``--lr``, ...) given for a model scikit-learn fits (``logreg``, ``gbm``:
the default for tables and series) get a note instead: the run is still the one asked for, and the
flags are harmless there (a config shared with ``--model mlp`` runs keeps them).
"""

from __future__ import annotations

from typing import Any

from meddx.core.errors import ConfigError

IMAGE, SEGMENTATION, TEXT, SERIES, TABLE = "image", "segmentation", "text", "series", "table"
CLASSIFIERS = frozenset({IMAGE, TEXT, SERIES, TABLE})
KIND_WORDS = {IMAGE: "image classification", SEGMENTATION: "segmentation", TEXT: "text", SERIES: "series",
              TABLE: "table"}  # in this order in a message

# field -> the kinds of source it acts on; a field not listed acts on every kind. Checked against the
# code that reads each field (training/*_plan.py, *_fit.py, finish.py, data readers).
APPLIES_TO: dict[str, frozenset[str]] = {
    "image_size": frozenset({IMAGE, SEGMENTATION}),
    "channels": frozenset({IMAGE}),  # segmentation takes the images' own count (seg_plan's fingerprint)
    "augment": frozenset({IMAGE, SEGMENTATION}),
    "scaling": frozenset({IMAGE}),
    "tta": frozenset({IMAGE}),
    "ensemble": frozenset({SEGMENTATION, TEXT}),
    "class_weights": CLASSIFIERS,
    "label_smoothing": CLASSIFIERS,
    "threshold_rule": CLASSIFIERS,
    "per_class_thresholds": CLASSIFIERS,
    "calibrate": CLASSIFIERS,
    **dict.fromkeys(("patch_size", "target_spacing", "largest_component", "label_names", "test_fraction",
                     "seg_tta"), frozenset({SEGMENTATION})),
    **dict.fromkeys(("text_column", "encoding", "tokenizer", "max_length", "vocab_size", "pretrained",
                     "embedding_init"), frozenset({TEXT})),
    "label_delimiter": frozenset({TEXT, IMAGE}),  # an image CSV manifest; a folder's own note (data.sources)
    **dict.fromkeys(("label_column", "id_column", "patient_column"), frozenset({TEXT, SERIES, TABLE})),
    "baseline": frozenset({TEXT, SERIES}),
    **dict.fromkeys(("labels_file", "window_hours", "resample"), frozenset({SERIES})),
    **dict.fromkeys(("columns", "categorical_columns", "missing_values", "zero_as_missing", "positive_labels"),
                    frozenset({TABLE})),
}

DP_ONLY = ("delta", "max_grad_norm")  # read only by DP-SGD (training.privacy)

# Read only by networks trained by gradient; a model scikit-learn fits has no epochs, batches or rate.
GRADIENT_ONLY = ("epochs", "batch_size", "lr", "early_stopping_patience", "checkpoint", "ema_epochs", "precision",
                 "time_budget", "label_smoothing", "deterministic", "devices", "num_nodes")


def check_source_fields(config: Any, source: Any) -> None:
    """Refuse the fields ``source`` (a loaded source, or the name of its kind) never reads
    (:func:`check_fields_apply`); add a note to ``source.notes`` naming those of gradient training
    that a scikit-learn model ignores (:func:`gradient_only_note`), said with the run's other notes."""
    kind = source if isinstance(source, str) else source_kind(source)
    check_fields_apply(config, kind)
    note = None if isinstance(source, str) else gradient_only_note(config, kind)
    if note:
        source.notes.append(note)


def source_kind(source: Any) -> str:
    """The kind of a loaded classification source: ``text``, ``series``, ``table`` or ``image``."""
    from meddx.data.base import is_text_source

    modality = getattr(source, "modality", None)
    if modality == "tabular":
        return TABLE
    if modality == "series":
        return SERIES
    return TEXT if is_text_source(source) else IMAGE


def check_fields_apply(config: Any, kind: str) -> None:
    """Refuse, on one line, the fields the user set (``config.model_fields_set``) that ``kind`` never
    reads: ``--tokenizer: applies to text sources; /data/table.csv is a table source; leave it out``.
    Harmless settings pass (:func:`_acts_or_harmless`)."""
    _check_dp_only(config)
    wrong = [f for f in sorted(config.model_fields_set) if not _acts_or_harmless(config, f, kind)]
    if not wrong:
        return
    parts = [f"{_named(config, f)}: applies to "
             f"{_listed([KIND_WORDS[k] for k in KIND_WORDS if k in APPLIES_TO[f]])} sources" for f in wrong]
    them = "it" if len(wrong) == 1 else "them"
    article = "an" if KIND_WORDS[kind][0] in "aeiou" else "a"
    raise ConfigError(f"{'; '.join(parts)}; {config.data} is {article} {KIND_WORDS[kind]} source, which does not read "
                      f"{'this option' if len(wrong) == 1 else 'these options'}: leave {them} out")


def _check_dp_only(config: Any) -> None:
    """Refuse ``--delta`` or ``--max-grad-norm`` without ``--dp``: they have defaults, so the privacy
    validator (``TrainConfig._privacy_settings``, which refuses ``--epsilon`` without ``--dp``) cannot
    tell them given from a resumed run's recorded values; here only the user's own settings are seen."""
    given = [_named(config, f) for f in DP_ONLY if f in config.model_fields_set]
    if given and not config.dp:
        raise ConfigError(f"{' and '.join(given)} set without dp: add --dp (dp: true) to train with differential "
                          "privacy, or drop them")


def gradient_only_note(config: Any, kind: str) -> str | None:
    """The note naming the fields of gradient training the user set for a model scikit-learn fits
    (``logreg``, ``gbm``; the default model of tables and series), or ``None``."""
    if kind not in (TABLE, SERIES):
        return None
    from meddx.models.registry import SKLEARN_FITTED

    model = config.model or _default_model(kind)
    given = [_named(config, f) for f in GRADIENT_ONLY if f in config.model_fields_set]
    if model not in SKLEARN_FITTED or not given:
        return None
    return (f"{', '.join(given)} ignored: {model} is fitted by scikit-learn, in one process, without epochs, "
            "batches or a learning rate; a network (--model mlp) trains by gradient")


def _listed(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _default_model(kind: str) -> str:
    if kind == TABLE:
        from meddx.training.tabular_plan import DEFAULT_MODEL
    else:
        from meddx.training.series_plan import DEFAULT_MODEL
    return DEFAULT_MODEL


def _acts_or_harmless(config: Any, field: str, kind: str) -> bool:
    """True when ``kind`` reads ``field``, or the value asks for nothing this kind lacks: a feature
    turned off (``--no-baseline`` for a table, which has none; a YAML shared with text runs), or
    ``patient_column: patient_id`` for images, the manifest's own column that it reads anyway (as
    ``meddx cv`` allows it, ``evaluation.cv_folds.check_patient_column``)."""
    value = getattr(config, field, None)
    if kind in APPLIES_TO.get(field, frozenset({kind})) or value is False:
        return True
    return field == "patient_column" and kind == IMAGE and str(value).strip().lower() == "patient_id"


def _named(config: Any, field: str) -> str:
    """The flag that set ``field`` (``--patience``), else the field (a YAML key)."""
    return config.named(field) if hasattr(config, "named") else field
