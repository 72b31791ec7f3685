"""The registry's ``runs`` table: written when a run folder is made and when the run ends,
reconciled with the folders on disk (runs from before the table, deleted folders, dead processes),
and never the end of a training run when the database cannot be written."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from meddx.core.errors import DataError, MeddxError
from meddx.core.paths import registry_db, runs_dir
from meddx.registry import run_folders
from meddx.registry.run_log import RunSession, recording_run
from meddx.registry.runs import get_run, list_runs, record_end, record_start
from meddx.training.run import new_run_dir, removing_empty_runs


@pytest.fixture(autouse=True)
def _warn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("meddx.registry.run_log._WARNED", [])


def _folder(name: str, files: dict[str, object], last_ckpt: bool = False) -> Path:
    folder = runs_dir() / name
    folder.mkdir(parents=True)
    for file, content in files.items():
        (folder / file).write_text(json.dumps(content))
    if last_ckpt:
        (folder / "checkpoints").mkdir()
        (folder / "checkpoints" / "last.ckpt").write_bytes(b"x")
    return folder


def test_a_run_folder_made_while_recording_is_running_then_finished(tmp_path: Path) -> None:
    with recording_run(type("C", (), {"data": "/data/xrays", "seed": 7})()) as session:
        path = new_run_dir("xrays")
        (running,) = list_runs()
        assert (running.status, running.name, running.data, running.seed, running.pid) == \
            ("running", "xrays", "/data/xrays", 7, os.getpid())
        (path / "plan.json").write_text(json.dumps({"model": "seed-cnn"}))
        (path / "data.json").write_text(json.dumps({"task": "binary", "spatial_dims": 2}))
        (planned,) = list_runs()  # still running: what its files say so far
        assert (planned.status, planned.model, planned.task, planned.kind) == ("running", "seed-cnn", "binary", "image")
        result = type("R", (), {"run_dir": path, "bundle_path": tmp_path / "b", "registry_ref": "xrays:3",
                                "metrics": {"val": {"auc": 0.9, "accuracy": 0.8}}})()
        assert session.ended(result) is result
    (run,) = list_runs()
    assert (run.status, run.bundle, run.model, run.task, run.kind) == ("finished", "xrays:3", "seed-cnn", "binary",
                                                                        "image")
    assert run.headline == ("val_auc", 0.9) and run.seconds is not None and run.seconds >= 0
    assert run.resume_command is None and get_run(str(run.id)).path == run.path == get_run(path.name).path


@pytest.mark.parametrize(("raised", "status", "error"), [
    (KeyboardInterrupt(), "interrupted", None), (DataError("x.csv: row 3 says Canary Jones"), "failed", "DataError")])
def test_a_run_ending_by_an_exception_records_how_and_never_the_message(raised: BaseException, status: str,
                                                                       error: str | None) -> None:
    with pytest.raises(type(raised)):
        with recording_run(None):
            folder = new_run_dir("notes")
            (folder / "checkpoints").mkdir()
            (folder / "checkpoints" / "last.ckpt").write_bytes(b"x")
            raise raised
    (run,) = list_runs()
    assert (run.status, run.error) == (status, error)
    assert run.resume_command == f"meddx train --resume {folder.resolve()}"
    assert b"Canary" not in registry_db().read_bytes()


def test_a_folder_removed_as_empty_leaves_no_row() -> None:
    with pytest.raises(DataError), recording_run(None), removing_empty_runs():
        new_run_dir("refused")
        raise DataError("bad option")
    assert list_runs() == []


def test_no_row_outside_a_recording_block_or_on_a_torchrun_rank_above_0(monkeypatch: pytest.MonkeyPatch) -> None:
    new_run_dir("cv-folder")  # cross-validation's own folder: found on disk later, not recorded as running
    with sqlite3.connect(registry_db()) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name='runs'").fetchone() is None
    for key, value in (("TORCHELASTIC_RUN_ID", "t"), ("WORLD_SIZE", "2"), ("RANK", "1")):
        monkeypatch.setenv(key, value)
    with recording_run(None):
        (new_run_dir("rank1") / "plan.json").write_text("{}")
    with sqlite3.connect(registry_db()) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name='runs'").fetchone() is None


def test_an_old_registry_gains_the_runs_table_and_keeps_its_bundles() -> None:
    registry_db().parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(registry_db()) as conn:  # the schema before runs were recorded
        conn.execute("CREATE TABLE bundles (name TEXT NOT NULL, version INTEGER NOT NULL, path TEXT NOT NULL, "
                     "task TEXT NOT NULL, model TEXT NOT NULL, data TEXT, labels TEXT NOT NULL, metrics TEXT NOT "
                     "NULL, created REAL NOT NULL, PRIMARY KEY (name, version))")
        conn.execute("INSERT INTO bundles VALUES ('old', 1, '/nowhere', 'binary', 'seed-cnn', NULL, '[]', '{}', 0)")
    record_start(runs_dir() / "r", "r")
    from meddx.registry.store import list_bundles

    assert [b.name for b in list_bundles()] == ["old"]
    assert [r.name for r in list_runs(reconcile_first=False)] == ["r"]


def test_folders_from_before_the_table_are_read_from_their_files(tmp_path: Path) -> None:
    done = _folder("lesions-20260101-120000", {
        "config.json": {"data": "/data/lesions", "seed": 3}, "plan.json": {"model": "resnet18"},
        "data.json": {"task": "binary", "spatial_dims": 2}, "trainer.json": {"stopped_by": "the time limit"},
        "metrics.json": {"val": {"auc": 0.91}}})
    stopped = _folder("notes-20260102-080000", {"config.json": {"data": "notes.csv"},
                                                "data.json": {"task": "multiclass", "spatial_dims": 0}}, last_ckpt=True)
    odd = _folder("copied-20269999-999999", {})  # digits in the name that are no time: the folder's own time
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "config.json").write_text(json.dumps({"training": {"run_dir": str(done)}}))
    record_start(tmp_path / "elsewhere", "x")  # creates the table; its folder does not exist
    with sqlite3.connect(registry_db()) as conn:
        conn.execute("INSERT INTO bundles VALUES ('lesions', 2, ?, 'binary', 'resnet18', NULL, '[]', '{}', 0)",
                     (str(bundle),))
    runs = {r.folder: r for r in list_runs()}
    old = runs["lesions-20260101-120000"]
    assert (old.status, old.name, old.model, old.data, old.seed, old.task, old.kind, old.bundle, old.note) == \
        ("finished", "lesions", "resnet18", "/data/lesions", 3, "binary", "image", "lesions:2", "stopped by the time limit")
    assert old.headline == ("val_auc", 0.91) and old.started == 1767268800.0  # 2026-01-01 12:00 UTC, from the name
    unfinished = runs["notes-20260102-080000"]
    assert (unfinished.status, unfinished.kind) == ("interrupted", "text")
    assert unfinished.resume_command == f"meddx train --resume {stopped.resolve()}"
    assert runs["elsewhere"].status == "missing" and "was running" in runs["elsewhere"].note
    assert runs["copied-20269999-999999"].started == pytest.approx(odd.stat().st_ctime)
    assert [r.folder for r in list_runs()] == ["elsewhere", "copied-20269999-999999", "notes-20260102-080000",
                                               "lesions-20260101-120000"]
    assert [r.folder for r in list_runs(status="interrupted")] == ["notes-20260102-080000"]
    assert len(list_runs(limit=1)) == 1


def test_the_newest_run_comes_first_and_a_deleted_folder_is_marked_missing() -> None:
    import shutil

    older = _folder("a-20260101-000000", {"metrics.json": {}})
    _folder("b-20260301-000000", {"metrics.json": {}})
    assert [r.folder for r in list_runs()] == ["b-20260301-000000", "a-20260101-000000"]
    shutil.rmtree(older)
    missing = get_run("a-20260101-000000")
    assert missing.status == "missing" and missing.note.startswith("folder deleted; was finished")
    assert missing.resume_command is None


def test_a_running_row_whose_process_ended_shows_as_crashed(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    folder = _folder("dead", {}, last_ckpt=True)
    monkeypatch.setattr(run_folders, "this_process", lambda: (gone.pid, None, run_folders.socket.gethostname()))
    record_start(folder, "dead")
    reused = _folder("reused", {})  # a live pid (this process) that started after the run's process
    monkeypatch.setattr(run_folders, "this_process", lambda: (os.getpid(), "1", run_folders.socket.gethostname()))
    record_start(reused, "reused")
    elsewhere = _folder("other-host", {})
    monkeypatch.setattr(run_folders, "this_process", lambda: (gone.pid, None, "another-machine"))
    record_start(elsewhere, "other-host")
    runs = {r.folder: r for r in list_runs()}
    assert runs["dead"].status == "crashed" and runs["reused"].status == "crashed" and runs["dead"].seconds >= 0
    assert runs["dead"].resume_command == f"meddx train --resume {folder.resolve()}"
    assert runs["other-host"].status == "running"  # cannot be checked from here


@pytest.mark.parametrize("damage", ["locked", "corrupt"])
def test_a_registry_that_cannot_be_written_warns_once_and_the_run_goes_on(damage: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    registry_db().parent.mkdir(parents=True, exist_ok=True)
    holder = None
    if damage == "corrupt":
        registry_db().write_bytes(b"not a database" * 100)
    else:
        monkeypatch.setattr("meddx.registry.runs.WRITE_TIMEOUT", 0.05)
        holder = sqlite3.connect(registry_db(), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="meddx.registry.run_log"):
            with pytest.raises(DataError), recording_run(None) as session:
                first = new_run_dir("goes-on")
                assert first.is_dir()
                (first / "plan.json").write_text("{}")
                session.ended(type("R", (), {"run_dir": first, "bundle_path": tmp_path, "metrics": {}})())
                raise DataError("later failure")  # the original error, not a registry error
    finally:
        if holder is not None:
            holder.rollback()
            holder.close()
    warnings = [r for r in caplog.records if "not recorded in the registry" in r.getMessage()]
    assert len(warnings) == 1 and "training goes on" in warnings[0].getMessage()


def test_a_bad_status_or_reference_is_one_line() -> None:
    with pytest.raises(MeddxError, match="run status 'done': expected one of running, finished"):
        list_runs(status="done")
    with pytest.raises(MeddxError, match="no run '42' in the registry"):
        get_run("42")


def test_a_session_ignores_a_result_for_a_folder_it_did_not_make(tmp_path: Path) -> None:
    session = RunSession()
    result = type("R", (), {"run_dir": tmp_path, "bundle_path": tmp_path})()
    assert session.ended(result) is result
    record_end(tmp_path, "finished")  # no row: nothing to update, no error


SIGTERM_SCRIPT = """
import os, sys, time
os.environ["MEDDX_HOME"] = sys.argv[1]
from meddx.registry.run_log import recording_run
from meddx.training.run import new_run_dir, removing_empty_runs
with recording_run(None), removing_empty_runs():
    run = new_run_dir("probe")
    (run / "plan.json").write_text("{}")
    print("ready", flush=True)
    time.sleep(60)
"""


def test_a_sigterm_that_ends_the_process_records_the_run_interrupted(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    proc = subprocess.Popen([sys.executable, "-c", SIGTERM_SCRIPT, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == -signal.SIGTERM  # it still ends as SIGTERM ends a process
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    (run,) = list_runs()
    assert (run.name, run.status) == ("probe", "interrupted")


def test_the_python_api_exports_list_runs_and_get_run() -> None:
    import meddx
    from meddx.registry import runs

    assert meddx.list_runs is runs.list_runs and meddx.get_run is runs.get_run


def test_a_ctrl_c_after_the_bundle_was_registered_leaves_the_run_finished(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    with pytest.raises(KeyboardInterrupt), recording_run(None):
        folder = new_run_dir("late")
        (folder / "metrics.json").write_text(json.dumps({"val": {"accuracy": 0.75}}))
        (bundle / "config.json").write_text(json.dumps({"training": {"run_dir": str(folder)}}))
        with sqlite3.connect(registry_db()) as conn:
            conn.execute("INSERT INTO bundles VALUES ('late', 1, ?, 'binary', 'm', NULL, '[]', '{}', 0)",
                         (str(bundle),))
        raise KeyboardInterrupt  # while the summary printed
    (run,) = list_runs()
    assert (run.status, run.bundle, run.headline) == ("finished", "late:1", ("val_accuracy", 0.75))


def test_a_scikit_learn_fit_shows_no_epochs_in_its_settings(tmp_path: Path) -> None:
    """`meddx registry run` showed 'epochs 100, batch_size 32, lr 0.002' for a logreg table run, which
    scikit-learn fits without any of them (train's own plan line says 'fitted by scikit-learn')."""
    from meddx.registry.run_folders import config_summary

    (tmp_path / "plan.json").write_text(json.dumps({"model": "logreg", "epochs": 100, "batch_size": 32}))
    (tmp_path / "config.json").write_text(json.dumps({"lr": 0.002, "precision": "32-true"}))
    (tmp_path / "trainer.json").write_text(json.dumps({"fitted_by": "scikit-learn", "model": "logreg"}))
    assert config_summary(tmp_path) == {"model": "logreg", "precision": "32-true", "fitted_by": "scikit-learn"}
    (tmp_path / "trainer.json").write_text(json.dumps({"epochs_run": 3}))  # a network: its schedule stays
    assert config_summary(tmp_path)["epochs"] == 100
    (tmp_path / "trainer.json").unlink()  # a series' aggregate gbm writes no trainer.json; its plan says so
    (tmp_path / "plan.json").write_text(json.dumps({"model": "gbm", "pipeline": "aggregate", "epochs": 20}))
    assert "epochs" not in config_summary(tmp_path) and config_summary(tmp_path)["fitted_by"] == "scikit-learn"


def test_an_interrupted_cross_validation_offers_meddx_cv_resume() -> None:
    """A cv folder with its plan and no cv.json (stopped between folds) is an interrupted cv, found on
    disk or through its row, and its resume command is ``meddx cv --resume``, not ``meddx train``."""
    found = _folder("notes-cv5-20260103-090000", {"cv_plan.json": {"k": 5}})
    finished = _folder("notes-cv5-20260104-090000", {"cv_plan.json": {"k": 5}, "cv.json": {"mean": {}}})
    with pytest.raises(KeyboardInterrupt):
        with recording_run(None):
            recorded = new_run_dir("tables-cv3")
            (recorded / "cv_plan.json").write_text(json.dumps({"k": 3}))
            raise KeyboardInterrupt
    runs = {r.folder: r for r in list_runs()}
    on_disk, done, row = runs[found.name], runs[finished.name], runs[recorded.name]
    assert (on_disk.status, on_disk.kind) == ("interrupted", "cv")
    assert on_disk.resume_command == f"meddx cv --resume {found.resolve()}"
    assert (done.status, done.resume_command) == ("finished", None)
    assert row.status == "interrupted" and row.resume_command == f"meddx cv --resume {recorded.resolve()}"
