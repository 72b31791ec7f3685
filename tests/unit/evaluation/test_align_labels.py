"""An evaluation source that lacks some of the bundle's classes is mapped onto the bundle's labels."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.data.base import ImageSource, SplitData
from meddx.evaluation.as_trained import align_labels, load_source_as_trained


def _source(task: str, names: list[str], labels: np.ndarray) -> ImageSource:
    split = SplitData(ids=[f"s{i}" for i in range(len(labels))], labels=labels)
    return ImageSource(name="x", origin="x.csv", task=task, label_names=names, spatial_dims=2, splits={"test": split})


def _bundle(task: str, names: list[str]) -> SimpleNamespace:
    return SimpleNamespace(task=task, label_names=names, name="b", config={"training": {}})


def test_missing_classes_are_re_indexed_to_the_bundle_order() -> None:
    # Classes "b" and "d" of a four-class bundle; two classes make the reader call it binary.
    source = _source("binary", ["b", "d"], np.array([0, 1, 1, 0]))
    align_labels(_bundle("multiclass", ["a", "b", "c", "d"]), source)
    assert source.task == "multiclass" and source.label_names == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(source.splits["test"].labels, [1, 3, 3, 1])
    assert "['a', 'c']" in source.notes[-1]


def test_multilabel_columns_are_placed_under_their_names() -> None:
    source = _source("multilabel", ["edema", "effusion"], np.array([[1, 0], [0, 1], [1, 1]]))
    align_labels(_bundle("multilabel", ["atelectasis", "edema", "effusion"]), source)
    np.testing.assert_array_equal(source.splits["test"].labels, [[0, 1, 0], [0, 0, 1], [0, 1, 1]])


def test_an_unknown_class_or_another_task_is_left_for_the_compatibility_check() -> None:
    unknown = _source("binary", ["a", "zebra"], np.array([0, 1]))
    align_labels(_bundle("multiclass", ["a", "b", "c"]), unknown)
    assert unknown.label_names == ["a", "zebra"] and unknown.notes == []
    multilabel = _source("multilabel", ["a", "b"], np.array([[1, 0]]))
    align_labels(_bundle("multiclass", ["a", "b", "c"]), multilabel)
    assert multilabel.task == "multilabel" and multilabel.label_names == ["a", "b"]


def test_unknown_column_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="split_column"):  # (patient_column is an option since the audit)
        load_source_as_trained(_bundle("binary", ["a", "b"]), "x.csv", carve_val=False,
                               columns={"split_column": "fold"})
    with pytest.raises(ConfigError, match="--labels-file: bundle 'b' .* reads no long-format time series"):
        load_source_as_trained(_bundle("binary", ["a", "b"]), "x.csv", carve_val=False,
                               columns={"labels_file": "labels.csv"})


def test_same_classes_in_another_order_are_reordered() -> None:
    source = _source("multiclass", ["c", "a", "b"], np.array([0, 1, 2]))
    align_labels(_bundle("multiclass", ["a", "b", "c"]), source)
    np.testing.assert_array_equal(source.splits["test"].labels, [2, 0, 1])
    assert "no sample" not in source.notes[-1]


def test_text_column_on_a_table_bundle_is_a_config_error() -> None:
    bundle = _bundle("binary", ["a", "b"])
    bundle.config = {"training": {"source_options": {"label_column": "y"}}}
    with pytest.raises(ConfigError, match="--text-column: bundle 'b' reads no documents"):
        load_source_as_trained(bundle, "x.csv", carve_val=False, columns={"text_column": "note"})


def test_a_recorded_patient_column_the_text_file_lacks_is_left_out_without_column_options(tmp_path) -> None:
    """Found by the docs audit: a text bundle trained on a file with ``patient_id`` could not be
    evaluated on a held-out file without that column ("no column 'patient_id'") unless some
    column option was given; the help says the recorded column is used "when the file has it"."""
    from meddx.evaluation.as_trained import load_source_as_trained

    rows = ["text,label,split"] + [f"note {i} about {'fever' if i % 2 else 'cough'},{'a' if i % 2 else 'b'},test"
                                   for i in range(12)]
    held_out = tmp_path / "held_out.csv"
    held_out.write_text("\n".join(rows) + "\n")
    bundle = _bundle("binary", ["a", "b"])
    bundle.config = {"modality": "text", "training": {"text_options": {
        "text_column": "text", "label_column": "label", "patient_column": "patient_id"}}}
    source = load_source_as_trained(bundle, str(held_out), carve_val=False)
    assert len(source.split("test")) == 12
    assert any("no column 'patient_id'" in note for note in source.notes)


def test_a_class_spelled_in_another_number_format_or_spacing_is_the_bundles_class() -> None:
    """An evaluation file written by a spreadsheet (``1.0``, ``Heart  failure``) was refused as other labels."""
    source = _source("binary", ["1.0", "Heart  failure"], np.array([0, 1, 1, 0]))
    align_labels(_bundle("multiclass", ["1", "2", "Heart failure"]), source)
    assert source.label_names == ["1", "2", "Heart failure"]
    np.testing.assert_array_equal(source.splits["test"].labels, [0, 2, 2, 0])
    assert "2 label(s) spelled otherwise only in spacing or number format" in source.notes[-1]
    cased = _source("binary", ["heart failure", "1"], np.array([0, 1]))  # case is not mapped
    align_labels(_bundle("multiclass", ["1", "2", "Heart failure"]), cased)
    assert cased.label_names == ["heart failure", "1"]


def test_a_label_mismatch_names_a_few_unknown_labels_and_never_a_long_one() -> None:
    """A label column that holds notes: the refusal listed every label in full."""
    from meddx.core.errors import DataError
    from meddx.evaluation.as_trained import check_compatible

    notes = [f"Pt Zyxwvut seen on ward {i} and discharged home" for i in range(8)]
    source = _source("multiclass", ["a", *notes], np.arange(9) % 9)
    with pytest.raises(DataError) as refused:
        check_compatible(_bundle("multiclass", ["a", "b"]), source)
    message = str(refused.value)
    assert "Zyxwvut" not in message and "9 labels, 8 the bundle does not know" in message
    assert "a text of 45 characters, 9 words (not shown)" in message and "(8 in all)" in message
