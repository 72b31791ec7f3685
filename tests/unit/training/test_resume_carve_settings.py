"""A run resumes on the validation split it was carved with, whatever the carving settings are now.

Near-copy settings version 2 (a grouped carve whose fold 1 holds fewer than ``MIN_VAL_GROUPS``
patients takes another fold) re-carved a run started on version 1 differently, and the resume was
refused as "not the data run started on". A run's ``data.json`` now records the settings it carved
with (``val_near_copies``), a resume re-carves with them (``training.run.carving_of``), one
written before that record re-carves as its carving note shows, and its bundle records the
settings the run carved with rather than the current ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from meddx.core.errors import ConfigError
from meddx.data.carve_groups import NEAR_COPY_SETTINGS
from meddx.data.sources import load_source
from meddx.training import run as runlib
from tests.unit.data.test_carve_large_patient import OPTIONS, _admissions

VERSION_1 = {**NEAR_COPY_SETTINGS, "version": 1}


def _run_folder(tmp_path: Path, csv: Path, near_copies: Any, recorded: bool = True) -> Path:
    """A run folder whose ``data.json`` is the fingerprint of ``csv`` carved with ``near_copies``;
    without the carving record (``recorded`` false) as written before it existed. Without the
    membership record (``val_membership``, read back instead of re-carving: test_resume_carve_membership)
    as written before that record existed, so that the settings are what a resume re-carves with."""
    fingerprint = runlib.data_fingerprint(load_source(csv, text_options=OPTIONS, near_copies=near_copies))
    fingerprint.pop("val_membership")
    if not recorded:
        fingerprint.pop("val_near_copies", None)
        fingerprint.pop("sha256_carved_from", None)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "data.json").write_text(json.dumps(fingerprint))
    return run_dir


def _resume_reads_the_same_data(run_dir: Path, csv: Path) -> None:
    runlib.check_same_data(run_dir, load_source(csv, text_options=OPTIONS, near_copies=runlib.carving_of(run_dir)))


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "data.json before the record"])
def test_a_run_started_on_version_1_resumes_on_its_fold_1(tmp_path: Path, recorded: bool) -> None:
    csv = _admissions(tmp_path / "ADMISSIONS.csv")  # fold 1: the one patient with 15 admissions
    run_dir = _run_folder(tmp_path, csv, VERSION_1, recorded=recorded)
    assert runlib.carving_of(run_dir) == VERSION_1
    _resume_reads_the_same_data(run_dir, csv)
    # the current settings carve another split
    with pytest.raises(ConfigError, match="not the data run|carving changed"):
        runlib.check_same_data(run_dir, load_source(csv, text_options=OPTIONS))


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "data.json before the record"])
def test_a_run_started_on_version_2_resumes_on_its_later_fold(tmp_path: Path, recorded: bool) -> None:
    csv = _admissions(tmp_path / "ADMISSIONS.csv")
    run_dir = _run_folder(tmp_path, csv, True, recorded=recorded)
    # without the record, the note shows a later fold: version 2 (version 3 runs always record their settings)
    assert runlib.carving_of(run_dir) == (NEAR_COPY_SETTINGS if recorded else {**NEAR_COPY_SETTINGS, "version": 2})
    _resume_reads_the_same_data(run_dir, csv)


def test_data_json_records_the_carving_settings(tmp_path: Path) -> None:
    csv = _admissions(tmp_path / "ADMISSIONS.csv")
    for near_copies, recorded in ((True, NEAR_COPY_SETTINGS), (VERSION_1, VERSION_1), (False, False)):
        fingerprint = runlib.data_fingerprint(load_source(csv, text_options=OPTIONS, near_copies=near_copies))
        assert fingerprint["val_near_copies"] == recorded
    given = tmp_path / "given.csv"  # a val split the file gives: nothing carved, nothing recorded
    given.write_text("text,label,split\n" + "".join(f"note {i},{'ab'[i % 2]},{('train', 'val')[i % 3 == 0]}\n"
                                                    for i in range(30)))
    assert "val_near_copies" not in runlib.data_fingerprint(load_source(given))


def test_carving_notes_of_runs_without_a_record() -> None:
    from meddx.data.carve_groups import carving_from_notes

    head = "validation carved from train: fraction 0.1, seed 0, "
    near = "; near copies (as data verify finds them): none found"
    assert carving_from_notes([]) is True and carving_from_notes(["no test split: evaluate on a held-out source"])
    assert carving_from_notes([head + "stratified by label; train 90 / val 10 samples"]) is False
    assert carving_from_notes([head + "stratified by label; train 90 / val 10 samples" + near]) == VERSION_1
    grouped = head + "stratified by label and grouped by patient (fold {} of 10 of StratifiedGroupKFold); train 9"
    assert carving_from_notes([grouped.format(1) + near]) == VERSION_1
    assert carving_from_notes([grouped.format(3) + near]) == {**NEAR_COPY_SETTINGS, "version": 2}
    assert carving_from_notes([grouped.format(3)]) == {**NEAR_COPY_SETTINGS, "version": 2}  # a table without ids
    kept = head + "stratified by label; 'c' kept in train whole (a class that would have no training sample)"
    assert carving_from_notes([kept]) == VERSION_1


def _bundle_training(run_dir: Path) -> dict[str, Any]:
    from meddx.training.finish import bundle_config

    split = SimpleNamespace(meta={})
    source = SimpleNamespace(task="binary", label_names=["a", "b"], spatial_dims=0, num_classes=2, notes=[],
                             splits={}, split=lambda name: split)
    plan = SimpleNamespace(model="m", model_args={}, epochs=1, reasons={}, model_dump=lambda **_: {})
    config = SimpleNamespace(data="d", seed=0, val_fraction=0.1, threshold_rule="youden", tta=False,
                             intended_use=None, outcome=None, augment=False, lr=1e-3, weight_decay=0.0,
                             precision="32", label_smoothing=0.0)
    return bundle_config(config, source, plan, {}, "n", run_dir)["training"]  # type: ignore[arg-type]


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "data.json before the record"])
def test_the_bundle_records_the_settings_the_run_carved_with(tmp_path: Path, recorded: bool) -> None:
    from meddx.data.carve_groups import carving_options

    csv = _admissions(tmp_path / "ADMISSIONS.csv")
    run_dir = _run_folder(tmp_path, csv, VERSION_1, recorded=recorded)
    training = _bundle_training(run_dir)
    assert training["val_near_copies"] == VERSION_1
    # evaluate --split val re-carves the split the run trained against
    val = load_source(csv, text_options=OPTIONS, **carving_options(training)).splits["val"]
    assert set(val.patient_ids) == {"41976"}


def test_the_bundle_of_a_run_carved_without_near_copies_records_none(tmp_path: Path) -> None:
    run_dir = _run_folder(tmp_path, _admissions(tmp_path / "ADMISSIONS.csv"), False, recorded=False)
    assert _bundle_training(run_dir)["val_near_copies"] is False
    assert _bundle_training(tmp_path / "no-run-folder")["val_near_copies"] == NEAR_COPY_SETTINGS


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "data.json before the record"])
def test_a_table_whose_carve_kept_a_class_in_train_resumes(tmp_path: Path, recorded: bool) -> None:
    """A table has no near-copy search, so its carving note had no near-copy sentence and a resume
    re-carved it as a pre-grouping run (no class kept in train): refused, with no version change."""
    from tests.unit.data.csv_files import write_csv

    # class 'c' is one row three times: one content group, which fold 1 of seed 0 puts in val
    rows = [[f"{50 + i}", f"{1.0 + 0.1 * i:.1f}", "ab"[i % 2]] for i in range(30)] + [["90", "9.9", "c"]] * 3
    spec = f"tabular:{write_csv(tmp_path / 't.csv', ['age', 'lactate', 'label'], rows)}"
    start = load_source(spec)
    assert any("'c' kept in train whole" in n for n in start.notes)
    fingerprint = runlib.data_fingerprint(start)
    fingerprint.pop("val_membership")  # the settings re-carve, as before the membership was recorded
    if not recorded:
        fingerprint.pop("val_near_copies")
        fingerprint.pop("sha256_carved_from")
    (tmp_path / "data.json").write_text(json.dumps(fingerprint))
    runlib.check_same_data(tmp_path, load_source(spec, near_copies=runlib.carving_of(tmp_path)))


def test_a_carving_that_changed_is_not_called_other_data(tmp_path: Path) -> None:
    """The same samples divided otherwise (a carve changed by another meddx version; here another
    seed stands for it) are named as such; edited labels are still other data."""
    csv = _admissions(tmp_path / "ADMISSIONS.csv")
    run_dir = _run_folder(tmp_path, csv, True)
    with pytest.raises(ConfigError, match="the carving changed .* not the data") as refused:
        runlib.check_same_data(run_dir, load_source(csv, text_options=OPTIONS, seed=1))
    assert "41976" not in str(refused.value) and "admission" not in str(refused.value)
    rows = csv.read_text().splitlines()
    csv.write_text("\n".join([*rows[:-1], rows[-1].replace("EMERGENCY", "URGENT")]) + "\n")
    with pytest.raises(ConfigError, match="not the data run .* split\\(s\\) train"):
        runlib.check_same_data(run_dir, load_source(csv, text_options=OPTIONS))
