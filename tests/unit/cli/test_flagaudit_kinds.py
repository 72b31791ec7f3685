"""Every option of ``meddx train`` either acts on the source's kind or is refused on one line
(``training.config_kinds``): ``--tokenizer`` on a table, ``--image-size`` on documents, ``--window-hours``
on an image folder, ``--patient-column`` on images trained and said nothing. Options of gradient
training given for a model scikit-learn fits get a note. Thread and process counts above the machine's
cores are refused before any work (``training.config_machine``); ``--threads 100000`` was a traceback."""

from __future__ import annotations

import pytest
import typer.main

from meddx.core.errors import ConfigError
from meddx.training import config_kinds as kinds
from meddx.training.config import TrainConfig, load_config
from meddx.training.flag_names import FIELD_OF_FLAG

# one value each field accepts, as the flag (or YAML key) would give it
VALUES = {"image_size": 32, "channels": 3, "augment": "strong", "scaling": "minmax", "tta": True, "ensemble": 2,
          "class_weights": True, "label_smoothing": 0.1, "threshold_rule": "accuracy", "per_class_thresholds": True,
          "calibrate": True, "patch_size": [16, 16], "target_spacing": [1.0, 1.0], "largest_component": True,
          "label_names": ["bg", "lesion"], "test_fraction": 0.3, "seg_tta": "off", "text_column": "note",
          "encoding": "latin-1", "tokenizer": "bpe", "max_length": 64, "vocab_size": 500, "pretrained": "tiny-bert",
          "embedding_init": "random", "label_delimiter": "|", "label_column": "y", "id_column": "id",
          "patient_column": "pid", "baseline": True, "labels_file": "labels.csv", "window_hours": 24.0,
          "resample": "hourly", "columns": ["a", "b"], "categorical_columns": ["a"], "missing_values": ["?"],
          "zero_as_missing": ["a"], "positive_labels": ["1"]}
KINDS = [kinds.IMAGE, kinds.SEGMENTATION, kinds.TEXT, kinds.SERIES, kinds.TABLE]
NOT_READ = [(field, kind) for field, where in kinds.APPLIES_TO.items() for kind in KINDS if kind not in where]
READ = [(field, kind) for field, where in kinds.APPLIES_TO.items() for kind in sorted(where)]  # sorted: a set's order differs between xdist workers


def _flag(field: str) -> str:
    flag = {v: k for k, v in FIELD_OF_FLAG.items()}.get(field, field)
    return "--" + flag.replace("_", "-")


def _train_flags() -> set[str]:
    from meddx.cli.main import app

    command = typer.main.get_command(app).commands["train"]
    return {o for p in command.params for o in p.opts if o.startswith("--")}


def test_every_listed_field_is_a_config_field_with_a_test_value() -> None:
    assert set(kinds.APPLIES_TO) <= set(TrainConfig.model_fields)
    assert set(VALUES) == set(kinds.APPLIES_TO)
    assert set(kinds.GRADIENT_ONLY) <= set(TrainConfig.model_fields)


@pytest.mark.parametrize(("field", "kind"), NOT_READ)
def test_a_field_the_kind_never_reads_is_refused_naming_the_flag(field: str, kind: str) -> None:
    flagged = _flag(field) in _train_flags()
    config = load_config(None, data="/data/src", flags={field: _flag(field)} if flagged else None,
                         **{field: VALUES[field]})
    with pytest.raises(ConfigError) as caught:
        kinds.check_source_fields(config, kind)
    message = str(caught.value)
    assert "\n" not in message
    assert (_flag(field) if flagged else field) + ": applies to " in message, message
    assert f"/data/src is a{'n' if kind == kinds.IMAGE else ''} {kinds.KIND_WORDS[kind]} source" in message
    assert "leave it out" in message


@pytest.mark.parametrize(("field", "kind"), READ)
def test_a_field_the_kind_reads_passes(field: str, kind: str) -> None:
    config = load_config(None, data="/data/src", **{field: VALUES[field]})
    kinds.check_fields_apply(config, kind)


def test_every_refused_field_is_named_on_one_line() -> None:
    config = load_config(None, data="t.csv", flags={"tokenizer": "--tokenizer", "image_size": "--image-size"},
                         tokenizer="bpe", image_size=32, window_hours=3.0)
    with pytest.raises(ConfigError, match=r"--image-size: applies to image classification and segmentation "
                                          r"sources; --tokenizer: applies to text sources; window_hours: applies "
                                          r"to series sources; t.csv is a table source.*leave them out"):
        kinds.check_fields_apply(config, kinds.TABLE)


@pytest.mark.parametrize("value", [False])
def test_a_feature_turned_off_that_the_kind_lacks_passes(value: bool) -> None:
    """``--no-baseline`` on a table (no baseline to turn off), ``tta: false`` in a YAML shared with text runs."""
    for field in ("baseline", "tta", "calibrate", "largest_component", "class_weights"):
        config = load_config(None, data="x", **{field: value})
        for kind in KINDS:
            kinds.check_fields_apply(config, kind)


def test_image_patient_column_patient_id_is_the_manifest_column() -> None:
    kinds.check_fields_apply(load_config(None, data="m.csv", patient_column="patient_id"), kinds.IMAGE)
    with pytest.raises(ConfigError, match="patient_column: applies to text, series and table sources"):
        kinds.check_fields_apply(load_config(None, data="m.csv", patient_column="subject"), kinds.IMAGE)


def test_fields_left_to_their_defaults_are_never_refused() -> None:
    config = load_config(None, data="x")
    for kind in KINDS:
        kinds.check_fields_apply(config, kind)


@pytest.mark.parametrize(("kind", "model", "noted"), [
    (kinds.TABLE, None, True), (kinds.TABLE, "gbm", True), (kinds.TABLE, "mlp", False),
    (kinds.SERIES, None, True), (kinds.SERIES, "logreg", True), (kinds.SERIES, "mlp", False),
    (kinds.TEXT, None, False), (kinds.IMAGE, None, False)])
def test_gradient_options_for_a_scikit_learn_model_are_noted(kind: str, model: str | None, noted: bool) -> None:
    config = load_config(None, data="x", model=model, flags={"epochs": "--epochs", "early_stopping_patience":
                         "--patience"}, epochs=5, early_stopping_patience=2)
    note = kinds.gradient_only_note(config, kind)
    if not noted:
        assert note is None
        return
    assert note is not None and note.startswith("--epochs, --patience ignored: ")
    assert f"{model or ('logreg' if kind == kinds.TABLE else 'gbm')} is fitted by scikit-learn" in note


def test_no_note_when_no_gradient_option_was_given() -> None:
    assert kinds.gradient_only_note(load_config(None, data="x"), kinds.TABLE) is None


@pytest.mark.parametrize(("flags", "expected"), [
    ({"num_threads": 100000}, "--threads 100000: this machine has"),
    ({"devices": 100000}, "--devices 100000: this machine has"),
    ({"num_threads": 3000000000}, "--threads 3000000000: this machine has")])
def test_more_threads_or_processes_than_cores_are_refused(flags: dict, expected: str) -> None:
    named = {"num_threads": "--threads", "devices": "--devices"}
    with pytest.raises(ConfigError, match=expected):
        load_config(None, data="x", flags={k: named[k] for k in flags}, **flags)


def test_a_few_processes_per_core_are_allowed_far_more_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two DDP processes on one core are slow but a real run (a test worker pinned to one core runs them)."""
    from meddx.training import config_machine

    monkeypatch.setattr(config_machine, "usable_cores", lambda: 1)
    load_config(None, data="x", devices=2, num_threads=1)
    load_config(None, data="x", devices=8)
    with pytest.raises(ConfigError, match=r"devices 9: this machine has 1 usable CPU core\(s\); expected at most 8"):
        load_config(None, data="x", devices=9)


@pytest.mark.parametrize(("field", "flag", "value"), [("delta", "--delta", 1e-3), ("max_grad_norm", "--max-grad-norm", 3.0)])
def test_a_dp_setting_without_dp_is_refused(field: str, flag: str, value: float) -> None:
    """As ``--epsilon`` without ``--dp`` is (``TrainConfig._privacy_settings``); before, the run trained
    without privacy and said nothing about them."""
    config = load_config(None, data="x", flags={field: flag}, **{field: value})
    with pytest.raises(ConfigError, match=f"^{flag} set without dp: add --dp"):
        kinds.check_fields_apply(config, kinds.TABLE)
    kinds.check_fields_apply(load_config(None, data="x", dp=True, epsilon=3.0, **{field: value}), kinds.TABLE)
