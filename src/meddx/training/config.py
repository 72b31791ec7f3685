"""Typed training configuration, loadable from YAML, with CLI flags as overrides.

Fields left as ``None`` are decided from the data by the planner and written to
``plan.json`` beside the run; setting them here (or in an edited plan) overrides that choice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from meddx.core import SEED_MAX
from meddx.core.errors import ConfigError, parsed_text


class TrainConfig(BaseModel):
    """Everything a training run needs (classification or segmentation); YAML/JSON data only, no code."""

    # allow_inf_nan: "--time-budget inf" trained without end and "--lr inf" failed after training
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    data: str = Field(description="source: medmnist:NAME, .npz, image folder or CSV manifest")
    name: str | None = Field(None, description="bundle name (default: derived from the data)")
    model: str | None = Field(None, description="registered model name (default: resnet18 / resnet18-3d)")
    model_args: dict[str, Any] = Field(default_factory=dict)
    image_size: int | list[int] | None = None
    channels: int | None = Field(None, ge=1, description="input channels: 1 (grey), 3 (RGB) or the images' own "
                                 "count (default: from the data)")
    scaling: Literal["auto", "dtype", "minmax", "percentile", "none"] = "auto"
    augment: Literal["none", "light", "strong", "shift"] | None = Field(
        None, description="train-time augmentation preset; shift (whole-pixel translations, no resampling) is "
        "for classification only. Default: shift for classification inputs of at most 32 px per side trained for "
        "8+ epochs, else light")
    epochs: int | None = Field(None, ge=1)
    batch_size: int | None = Field(None, ge=1)
    time_budget: float | None = Field(None, gt=0, description="minutes for training; sets epochs")
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(0.05, ge=0)
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    class_weights: bool | None = Field(None, description="weight the loss by inverse class frequency (auto: when imbalanced)")
    early_stopping_patience: int | None = Field(
        None, ge=1, description="epochs without val AUC gain (auto: epochs//3, at least 4; off with checkpoint final)")
    checkpoint: Literal["best", "final"] | None = Field(
        None, description="epoch kept: best (best val metric) or final (last epoch of a schedule run to its end; "
        "early stopping off unless a patience is set). Default: final for segmentation and for classification inputs "
        "of at most 32 px per side trained for 8+ epochs, else best")
    threshold_rule: str = Field(
        "youden", description="operating point chosen on validation: youden, accuracy (both averaged over "
        "bootstrap resamples of validation; youden-empirical, accuracy-empirical: not), sensitivity>=X, "
        "specificity>=X, ppv>=X or fixed:X (binary; per label for multi-label)")
    per_class_thresholds: bool = Field(False, description="multi-class: also choose a one-vs-rest threshold per class")
    calibrate: bool = Field(True, description="fit temperature scaling on validation; predict uses it")
    ci_resamples: int = Field(1000, ge=0, description="bootstrap resamples for the confidence intervals (0: none)")
    verify: bool = Field(True, description="check the source for duplicates and leakage; findings go to the model card")
    attributes: str | None = Field(None, description="CSV keyed by sample id (sex, age band, site, ...) for subgroups")
    intended_use: str | None = Field(None, description="intended use, written to the model card")
    outcome: str | None = Field(None, description="outcome definition (what a label means), written to the model card")
    # Segmentation (image + mask sources); ignored by classification.
    patch_size: list[int] | None = Field(None, description="segmentation: training patch (default: from the fingerprint)")
    target_spacing: list[float] | None = Field(None, description="segmentation 3D: resample to this spacing in mm")
    largest_component: bool | None = Field(
        None, description="segmentation: keep the largest connected component per class (default: when it helps on val)")
    label_names: list[str] | None = Field(None, description="segmentation: names of the mask values, background first")
    test_fraction: float = Field(0.2, ge=0, lt=0.5, description="segmentation: test split carved when the source has none")
    ensemble: int | None = Field(
        None, ge=1, le=10, description="segmentation and text: train this many networks (seeds seed..seed+K-1) "
        "and average their probabilities; a time budget is shared between them (default 1)")
    seg_tta: Literal["auto", "on", "off"] = Field(
        "auto", description="segmentation: test-time mirroring, shifts and zoom, each kept when it raises val Dice: "
        "auto (tried when their projected cost fits the time budget), on (tried whatever the budget), off (one pass)")
    # Text (documents from CSV/JSONL/Parquet columns or folders of .txt); ignored by images.
    text_column: str | None = Field(None, description="text: column holding the document (default: text, else the longest)")
    label_column: str | None = Field(None, description="text: column holding the label(s) (default: label)")
    id_column: str | None = Field(None, description="text: column with document ids (default: row numbers)")
    patient_column: str | None = Field(
        None, description="text, series, tables: column with patient ids (splits, folds and bootstrap group by "
        "patient; a long series: a column of its labels file)")
    label_delimiter: str | None = Field(
        None, description="text and image CSV manifests: multi-label cells joined by this, e.g. '|'; declares the "
        "source multi-label even when every row holds one label")
    encoding: str | None = Field(None, description="text: encoding of the document files, e.g. latin-1 (default utf-8)")
    tokenizer: Literal["word", "wordpiece", "bpe"] | None = Field(
        None, description="text: word vocabulary or subword tokenizer, trained on train only (default: word)")
    vocab_size: int | None = Field(None, ge=8, description="text: tokenizer vocabulary size (default 20000)")
    max_length: int | None = Field(None, ge=4, description="text: tokens per document (default: 95th percentile of train)")
    pretrained: str | None = Field(None, description="text: local Hugging Face model folder to fine-tune (offline)")
    embedding_init: Literal["ppmi", "random"] | None = Field(
        None, description="text: start the embedding table from PPMI word vectors of the training split, or random "
        "(default: ppmi for networks trained from scratch)")
    baseline: bool = Field(True, description="text: fit TF-IDF + logistic regression on train and report it beside the network")
    # Series (PhysioNet 2012, MIMIC-III tables, long CSV) and tables (one row per patient); ignored by others.
    labels_file: str | None = Field(None, description="series: outcomes/labels file (default: found beside the data)")
    window_hours: float | None = Field(
        None, gt=0, description="series: hours from admission used (default: 48 for PhysioNet and MIMIC-III; a long "
        "CSV's last observation, rounded up to an hour)")
    resample: Literal["irregular", "hourly"] | None = Field(
        None, description="series: keep the observation times, or bin to hours (default: per model)")
    columns: list[str] | None = Field(None, description="tables: column names of a file without a header row")
    categorical_columns: list[str] | None = Field(None, description="tables: columns to one-hot encode (default: detected)")
    missing_values: list[str] | None = Field(None, description="tables: cell values meaning missing, e.g. '?'")
    zero_as_missing: list[str] | None = Field(
        None, description="tables: columns where 0 is physiologically impossible and means missing")
    positive_labels: list[str] | None = Field(
        None, description="tables: label values that mean the positive class (binarises a graded label)")
    # Differential privacy (Opacus DP-SGD); ignored unless dp is true.
    dp: bool = Field(False, description="train with DP-SGD (Opacus)")
    epsilon: float | None = Field(None, gt=0, description="dp: target epsilon; training stops before exceeding it")
    delta: float = Field(1e-5, gt=0, lt=1, description="dp: delta of the (epsilon, delta) guarantee")
    noise_multiplier: float | None = Field(None, gt=0, description="dp: noise multiplier (instead of a target epsilon)")
    max_grad_norm: float = Field(1.0, gt=0, description="dp: per-sample gradient clipping norm")
    ema_epochs: float | None = Field(
        None, gt=0, description="average the weights (EMA) over about this many epochs; validation, the chosen epoch "
        "and the bundle use the average (default: off)")
    tta: bool = Field(True, description="average predictions over left-right flips at evaluation")
    precision: Literal["auto", "32-true", "bf16-mixed"] = Field(
        "auto", description="auto: bf16-mixed where the CPU has bf16 instructions (2x faster here), else 32-true"
    )
    # numpy's and Lightning's range: --seed -1 ended in seed_everything's ValueError traceback
    seed: int = Field(0, ge=0, le=SEED_MAX)
    deterministic: bool = False
    devices: int = Field(1, ge=1)
    num_nodes: int = Field(1, ge=1)
    num_threads: int | None = Field(None, ge=1)
    val_fraction: float = Field(0.1, gt=0, lt=0.5)
    output: str | None = Field(None, description="bundle folder (default: MEDDX_HOME/bundles/NAME/VERSION)")
    add_to_registry: bool = Field(True, description="index the bundle in the registry")
    evaluate_test: bool = Field(True, description="report test-split metrics in the bundle (never used to choose anything)")
    # field -> the CLI flag that set it (``early_stopping_patience`` -> ``--patience``): later
    # errors name what the user typed; not a config field, never saved
    _flags: dict[str, str] = PrivateAttr(default_factory=dict)

    def named(self, field: str) -> str:
        """How the user set ``field``: its flag (``--patience``) when a flag set it, else the field name."""
        return self._flags.get(field, field)

    @property
    def text_options(self) -> dict[str, str]:
        """The column options of a text source, as ``load_source(text_options=...)`` takes them."""
        keys = ("text_column", "label_column", "id_column", "patient_column", "label_delimiter", "encoding")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}

    @property
    def source_options(self) -> dict[str, Any]:
        """Reader options of time-series and table sources (``load_source(options=...)``)."""
        keys = ("labels_file", "window_hours", "label_column", "id_column", "patient_column", "columns",
                "categorical_columns", "missing_values", "zero_as_missing", "positive_labels")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}

    @field_validator("threshold_rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        from meddx.evaluation.operating import parse_rule

        return parsed_text(parse_rule, value)

    @field_validator("ci_resamples")
    @classmethod
    def _usable_resamples(cls, value: int) -> int:
        # Refused here, before training, not by the bootstrap after the last epoch.
        if 0 < value < 10:
            raise ValueError(f"ci_resamples {value} gives no usable interval; use 0 (no intervals) or at least 10 "
                             "(1000 is the default)")
        return value

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        from meddx.core.names import name_problem  # shared with `meddx registry add --name`

        problem = None if value is None else name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("label_names")
    @classmethod
    def _usable_label_names(cls, value: list[str] | None) -> list[str] | None:
        # Checked here, before any data is read: "--labels a" was refused later as "label_names: ...",
        # and "--labels bg,,x" named a structure "".
        if value is not None and (len(value) < 2 or any(not str(n).strip() for n in value)
                                  or len(set(value)) != len(value)):
            raise ValueError("expected at least 2 distinct, non-empty names, background first")
        return value

    @field_validator("image_size")
    @classmethod
    def _positive_size(cls, value: int | list[int] | None) -> int | list[int] | None:
        sizes = [value] if isinstance(value, int) else (value or [])
        if any(s < 8 for s in sizes):
            raise ValueError("image_size must be at least 8 pixels per axis")
        return value

    @model_validator(mode="after")
    def _member_seeds(self) -> "TrainConfig":
        """Every ensemble member's seed (seed + m) must be in numpy's range, not only the first."""
        check_member_seeds(self.seed, self.ensemble or 1)
        return self

    @model_validator(mode="after")
    def _privacy_settings(self) -> "TrainConfig":
        """DP needs exactly one of a target epsilon and a noise multiplier, and one process."""
        given = [f for f in ("epsilon", "noise_multiplier") if getattr(self, f) is not None]
        if self.dp and self.ema_epochs is not None:
            raise ConfigError("--ema cannot be combined with --dp (DP-SGD accounts for the released weights "
                              "step by step; an average of them is not covered): drop one of them")
        if not self.dp:
            if given:
                raise ConfigError(f"{' and '.join(given)} set without dp: add --dp (dp: true) to train with "
                                  "differential privacy, or drop them")
            return self
        if len(given) != 1:
            raise ConfigError("--dp needs exactly one of --epsilon (a target; the noise is chosen for it) or "
                              f"--noise-multiplier; got {'both' if given else 'neither'}")
        if self.devices * self.num_nodes > 1:
            raise ConfigError("--dp trains in one process: drop --devices/--num-nodes (multi-process DP-SGD is "
                              "not supported)")
        return self


def check_member_seeds(seed: int, k: int) -> None:
    """Refuse an ensemble of ``k`` networks whose last seed (``seed + k - 1``; member m trains with
    seed + m) is past numpy's and Lightning's largest: member 1 would fail in ``seed_everything``
    with a traceback after member 0 had trained in full. ``k`` may come from a plan file."""
    if k > 1 and seed + k - 1 > SEED_MAX:
        raise ConfigError(f"--seed {seed} with --ensemble {k} (or plan.json ensemble {k}): the networks train with "
                          f"seeds {seed}..{seed + k - 1}, past the largest seed {SEED_MAX}; give --seed "
                          f"{SEED_MAX - k + 1} or less")


def load_config(path: str | Path | None = None, *, flags: dict[str, str] | None = None,
                **overrides: Any) -> TrainConfig:
    """Read a YAML config (optional) and apply non-``None`` overrides, with one-line errors.

    ``flags`` maps a field to the CLI flag that set it (``{"ema_epochs": "--ema"}``): an error
    about that field names the flag the user typed, not the config field."""
    data: dict[str, Any] = {}
    if path is not None:
        data = _read_yaml(Path(path))
    given = {k: v for k, v in overrides.items() if v is not None}
    in_file = dict(data)
    data.update(given)  # a flag wins over the same field in the file (and a note says so)
    if "data" not in data:
        where = f"{path}: no 'data:' field; " if path is not None else ""
        raise ConfigError(f"{where}no data source given: pass --data SOURCE or set 'data:' in the YAML config")
    flags = {k: v for k, v in (flags or {}).items() if k in given}
    config = validated_config(data, path, overridden=set(given), flags=flags)
    from meddx.training.config_machine import check_machine_limits

    check_machine_limits(config)  # --threads 100000: refused here, not a traceback from torch
    if path is not None:
        from meddx.training.config_overrides import note_overrides

        note_overrides(in_file, given, path, flags)
    return config


def validated_config(data: dict[str, Any], path: str | Path | None = None,
                     overridden: set[str] | None = None, flags: dict[str, str] | None = None) -> TrainConfig:
    """``TrainConfig(**data)``, a validation failure as one line naming ``path`` and each field.

    ``overridden``: the fields whose value came from a flag (or a keyword override), not from
    ``path``; a bad one is named as such, so ``--epochs 0`` is not blamed on the YAML file.
    ``flags``: the flag that set each such field (``--ema`` for ``ema_epochs``), named instead."""
    _refuse_booleans_as_numbers(data, path)
    try:
        config = TrainConfig(**data)
    except ValidationError as exc:
        where = f"{path}: " if path else ""
        problems = "; ".join(_problem(err, path, overridden or set(), flags or {}) for err in exc.errors())
        raise ConfigError(f"{where}invalid training config: {problems}") from None
    config._flags = dict(flags or {})
    return config


def _problem(err: Any, path: str | Path | None, overridden: set[str], flags: dict[str, str]) -> str:
    """One validation error as ``field: message (got value)``, saying when a flag set the field
    and naming that flag (``--ema``, not ``ema_epochs``) when it is known."""
    field = ".".join(str(p) for p in err["loc"]) or "config"
    top = err["loc"][0] if err["loc"] else None
    if top in flags:
        notes = [f"config field {field}"] if flags[top] != "--" + str(top).replace("_", "-") else []
        notes += ["a flag, which overrides the config file"] if path else []
        field = flags[top] + (f" ({'; '.join(notes)})" if notes else "")
    elif top in overridden:
        field += " (set by a flag, which overrides the config file)" if path else " (set by a flag)"
    if err.get("type") == "extra_forbidden" and top not in flags and top not in overridden:
        return f"{field}: {_unknown_field(str(top))} (got {err.get('input')!r})"
    return f"{field}: {err['msg']} (got {err.get('input')!r})"


def _unknown_field(name: str) -> str:
    """``unknown field (did you mean 'time_budget'?)`` for a misspelt config key: pydantic's "Extra
    inputs are not permitted" named no field the user could have meant."""
    import difflib

    key = name.lower().replace("-", "_")
    from meddx.training.flag_names import FIELD_OF_FLAG

    if key in FIELD_OF_FLAG:  # `patience: 2`: the flag's name, not the field's
        return f"unknown field; the flag --{key} sets the field {FIELD_OF_FLAG[key]!r}"
    if key in ("monitor", "early_stopping_metric", "early_stopping_monitor", "metric"):
        return ("unknown field; early stopping always watches the validation AUC (ties broken by the lower "
                "validation loss); set early_stopping_patience, or checkpoint: final to turn it off")
    if key in TrainConfig.model_fields:  # `time-budget: 1`: the flag's spelling
        return f"unknown field (did you mean {key!r}?)"
    close = difflib.get_close_matches(key, list(TrainConfig.model_fields), n=1, cutoff=0.75)
    return "unknown field" + (f" (did you mean {close[0]!r}?)" if close else
                              "; the fields are those of meddx.training.config.TrainConfig (docs/training.md)")


def _refuse_booleans_as_numbers(data: dict[str, Any], path: str | Path | None) -> None:
    """Refuse ``true``/``false`` (YAML also reads ``yes``/``no``/``on``/``off`` so) for a numeric
    field: pydantic's lax mode takes them as 1/0, so ``epochs: yes`` trained one epoch."""
    for key, value in data.items():
        field = TrainConfig.model_fields.get(key)
        if isinstance(value, bool) and field is not None and not _takes_bool(field.annotation):
            raise ConfigError(f"{f'{path}: ' if path else ''}invalid training config: {key}: expected "
                              f"{_expected(field.annotation)}, got {value!r} (YAML reads true/false/yes/no/on/off "
                              "as booleans)")


def _takes_bool(annotation: Any) -> bool:
    from typing import get_args

    return annotation is bool or bool in get_args(annotation) or annotation is Any


def _expected(annotation: Any) -> str:
    from typing import get_args, get_origin

    # a choice of words (seg_tta: auto/on/off): `seg_tta: off` unquoted is YAML's false
    choices = [repr(v) for a in (annotation, *get_args(annotation)) if get_origin(a) is Literal for v in get_args(a)]
    if choices:
        return f"one of {', '.join(choices)} in quotes"
    kinds = {int: "an integer", float: "a number", str: "text"}
    named = [kinds[a] for a in (annotation, *get_args(annotation)) if a in kinds]
    return " or ".join(dict.fromkeys(named)) or "a value of another type"


def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    from meddx.core.yaml_keys import load_unique

    if path.is_dir() or path.suffix.lower() not in (".yaml", ".yml", ".json"):  # data given as the config file
        raise ConfigError(f"{path}: {'a folder' if path.is_dir() else 'not a .yaml/.yml/.json file'}; CONFIG is a YAML "
                          "config; pass the data with --data PATH")
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = load_unique(path.read_text(encoding="utf-8")) or {}  # a key given twice is refused
    except UnicodeDecodeError as exc:  # random bytes, a binary file given as the config
        raise ConfigError(f"{path}: not a YAML config: byte {exc.start} is not UTF-8 text; expected a YAML mapping "
                          "of config fields (data: ..., epochs: ...)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config fields, got {type(data).__name__}")
    return data


def yaml_problem(exc: Exception) -> str:
    """One line from a PyYAML error: what is wrong and where (line and column, 1-based)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    context = getattr(exc, "context", None)
    return f"{problem}{where}" + (f" ({context})" if context else "")
