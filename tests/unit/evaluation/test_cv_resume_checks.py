"""The checks behind ``meddx cv --resume``: the recorded plan must match the resumed run's settings, data
and folds (one-line refusals naming what differs), and a fold is reused only from a whole record
beside the bundle it was written with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import ConfigError, DataError
from meddx.data.base import SplitData
from meddx.evaluation import cv_plan
from meddx.evaluation.cv_resume import FoldOutcome, clear_fold, load_fold, record_path, save_fold
from meddx.evaluation.evaluate import SplitPredictions
from meddx.training.config import TrainConfig


def _dev(texts: list[str] | None = None) -> SplitData:
    texts = texts or [f"note {i}" for i in range(12)]
    return SplitData(ids=[f"d{i}" for i in range(12)], labels=np.array([0, 1] * 6), texts=texts)


def _plan(tmp_path: Path, dev: SplitData, **settings) -> dict:
    config = TrainConfig(data=str(tmp_path / "notes.csv"), **settings)
    folds = [np.arange(0, 4), np.arange(4, 8), np.arange(8, 12)]
    return cv_plan.plan_record(config, 3, "3 folds", dev, folds)


def test_same_run_passes_and_thread_count_is_not_compared(tmp_path: Path) -> None:
    before = _plan(tmp_path, _dev(), epochs=3)
    cv_plan.check_same_run(tmp_path, before, _plan(tmp_path, _dev(), epochs=3, num_threads=2))


@pytest.mark.parametrize(("settings", "said"), [({"epochs": 4}, "epochs 3 there, 4 now"),
                                                ({"epochs": 3, "seed": 5}, "seed 0 there, 5 now"),
                                                ({"epochs": 3, "model": "text-cnn"}, "model null there, 'text-cnn' now")])
def test_other_settings_are_refused_naming_them(tmp_path: Path, settings: dict, said: str) -> None:
    before = _plan(tmp_path, _dev(), epochs=3)
    with pytest.raises(ConfigError) as err:
        cv_plan.check_same_run(tmp_path, before, _plan(tmp_path, _dev(), **settings))
    assert said in str(err.value) and "\n" not in str(err.value)


def test_changed_content_and_other_folds_are_refused_without_note_text(tmp_path: Path) -> None:
    before = _plan(tmp_path, _dev(), epochs=3)
    edited = [f"note {i}" for i in range(11)] + ["Secretname was seen"]  # same ids and labels, one text edited
    with pytest.raises(DataError) as err:
        cv_plan.check_same_run(tmp_path, before, _plan(tmp_path, _dev(edited), epochs=3))
    assert "data is not what the cross-validation started on" in str(err.value)
    assert "Secretname" not in str(err.value)
    other = dict(before, sha256_folds=cv_plan.fold_digests(_dev(), [np.arange(0, 3), np.arange(3, 8),
                                                                    np.arange(8, 12)]))
    with pytest.raises(DataError, match=r"folds made now differ .*fold\(s\) 0, 1\)"):
        cv_plan.check_same_run(tmp_path, other, before)


def test_read_plan_refuses_a_finished_run_and_a_folder_without_plan(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no cv_plan.json"):
        cv_plan.read_plan(tmp_path)
    (tmp_path / cv_plan.PLAN_FILE).write_text(json.dumps(_plan(tmp_path, _dev(), epochs=3)))
    assert cv_plan.read_plan(tmp_path)["k"] == 3
    (tmp_path / "cv.json").write_text("{}")
    with pytest.raises(ConfigError, match="is finished"):
        cv_plan.read_plan(tmp_path)


def test_recorded_config_lays_given_flags_over_the_record(tmp_path: Path) -> None:
    plan = _plan(tmp_path, _dev(), epochs=3, seed=4)
    assert (recorded := cv_plan.recorded_config(plan)).epochs == 3 and recorded.seed == 4
    assert cv_plan.recorded_config(plan, {"seed": 9, "lr": None}).seed == 9  # then refused by check_same_run


def test_fields_left_to_the_plan_stay_so_and_giving_one_is_refused(tmp_path: Path) -> None:
    """A table's plan chooses its learning rate unless one is given: a resume that set every recorded
    field trained its folds at the config's default rate instead (another model than the run's)."""
    plan = _plan(tmp_path, _dev(), epochs=3)
    assert "lr" not in cv_plan.recorded_config(plan).model_fields_set
    with pytest.raises(ConfigError, match="lr given now, left to the plan there"):
        cv_plan.check_same_run(tmp_path, plan, _plan(tmp_path, _dev(), epochs=3, lr=2e-3))


def _bundle(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "weights.safetensors").write_bytes(b"weights")
    (folder / "config.json").write_text("{}")
    return folder


def _outcome(bundle: Path) -> FoldOutcome:
    preds = SplitPredictions(split="test", ids=["a", "b", "c"], labels=np.array([0, 1, 1]),
                             probs=np.array([[0.7, 0.3], [0.2, 0.8], [0.4, 0.6]], dtype=np.float32),
                             patient_ids=["p1", "p2", "p2"], scores=np.log(np.array([[0.7, 0.3]] * 3)))
    return FoldOutcome(entry={"fold": 0, "auc": 0.8123456789012345, "bundle": str(bundle)}, warnings=["w"],
                       preds=preds, decided=["no", "yes", "yes"], deciding=preds.probs)


def test_fold_record_reads_back_bit_for_bit_and_only_beside_its_bundle(tmp_path: Path, monkeypatch) -> None:
    from meddx.bundle import bundle as bundlelib

    monkeypatch.setattr(bundlelib, "load_bundle", lambda path: object())  # the record, not loading, is tested
    bundle = _bundle(tmp_path / "fold0")
    saved = _outcome(bundle)
    save_fold(tmp_path, 0, saved)
    back = load_fold(tmp_path, 0)
    assert back is not None and back.entry == saved.entry and back.decided == saved.decided
    assert back.preds.probs.dtype == np.float32 and np.array_equal(back.preds.probs, saved.preds.probs)
    assert np.array_equal(back.preds.scores, saved.preds.scores) and back.preds.patient_ids == ["p1", "p2", "p2"]
    assert back.baseline is None and back.base_deciding is None

    (bundle / "weights.safetensors").write_bytes(b"other weights")  # a bundle the record was not written beside
    assert load_fold(tmp_path, 0) is None
    assert clear_fold(tmp_path, 0) == [str(record_path(tmp_path, 0)), str(bundle)]
    assert not bundle.exists() and load_fold(tmp_path, 0) is None


def test_fold_record_keeps_the_baseline_predictions_and_decisions(tmp_path: Path, monkeypatch) -> None:
    from dataclasses import replace

    from meddx.bundle import bundle as bundlelib

    monkeypatch.setattr(bundlelib, "load_bundle", lambda path: object())
    saved = _outcome(_bundle(tmp_path / "fold2"))
    saved.entry["bundle"] = str(tmp_path / "fold2")
    saved.baseline = replace(saved.preds, probs=np.array([[0.6, 0.4], [0.5, 0.5], [0.1, 0.9]]), scores=None)
    saved.base_deciding, saved.base_weighted, saved.weighted = np.eye(2)[[0, 1, 1]], True, True
    save_fold(tmp_path, 2, saved)
    back = load_fold(tmp_path, 2)
    assert back is not None and back.weighted and back.base_weighted and back.baseline.scores is None
    assert np.array_equal(back.baseline.probs, saved.baseline.probs) and back.baseline.ids == ["a", "b", "c"]
    assert np.array_equal(back.base_deciding, saved.base_deciding)


def test_fold_record_is_not_reused_when_its_bundle_does_not_load(tmp_path: Path, monkeypatch) -> None:
    from meddx.bundle import bundle as bundlelib
    from meddx.core.errors import BundleError

    def damaged(path):
        raise BundleError(f"{path}: damaged")

    bundle = _bundle(tmp_path / "fold1")
    save_fold(tmp_path, 1, _outcome(bundle))
    monkeypatch.setattr(bundlelib, "load_bundle", damaged)
    assert load_fold(tmp_path, 1) is None


def test_clearing_a_fold_removes_a_bundle_save_a_crash_cut_off(tmp_path: Path) -> None:
    """``save_bundle`` writes a hidden ``.foldK-*`` folder and renames it into place: one left by a
    crash is removed (and named) before fold K trains again; another fold's is not touched."""
    (tmp_path / "fold1").mkdir()
    (tmp_path / ".fold1-a1b2c3").mkdir()
    (tmp_path / ".fold1-a1b2c3" / "weights.safetensors").write_bytes(b"x")
    (tmp_path / ".fold10-d4e5f6").mkdir()
    removed = clear_fold(tmp_path, 1)
    assert sorted(Path(p).name for p in removed) == [".fold1-a1b2c3", "fold1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fold10-d4e5f6"]
