"""``meddx registry runs`` / ``run``: a tiny training run through the CLI is listed as finished with
its bundle; one stopped by Ctrl-C in its second epoch as interrupted, with the command that
resumes it; resumed, it is finished. Before, runs were folders only ``ls`` could list."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from cli_helpers import run_cli

TRAIN = ["--model", "seed-cnn", "--epochs", "2", "--no-progress", "--seed", "1"]


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    root = tmp_path_factory.mktemp("tiny_lesions")
    write_image_folder(make_lesion_source(40, 20, 20, size=16, seed=1), root)
    return root


def _runs(capsys: pytest.CaptureFixture[str], *flags: str) -> list[dict]:
    result = run_cli(["registry", "runs", "--json", *flags], capsys)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_finished_and_interrupted_runs_are_listed(tiny_folder: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    done = run_cli(["train", "--data", str(tiny_folder), "--name", "tiny", *TRAIN], capsys)
    assert done.code == 0, done.err
    (run,) = _runs(capsys)
    assert (run["status"], run["bundle"], run["name"], run["model"], run["kind"], run["task"]) == \
        ("finished", "tiny:1", "tiny", "seed-cnn", "image", "binary")
    assert run["data"] == str(tiny_folder) and run["seed"] == 1 and run["resume_command"] is None
    assert 0 <= run["metrics"]["val_auc"] <= 1 and run["seconds"] > 0

    from meddx.tasks.classification import ClassificationTask

    def ctrl_c_in_second_epoch(task: ClassificationTask) -> None:
        if task.current_epoch == 1:
            raise KeyboardInterrupt

    handler = signal.getsignal(signal.SIGINT)  # Lightning ignores SIGINT from the interrupt on
    with monkeypatch.context() as patched:  # its own undo: the fixture's MEDDX_HOME stays set
        patched.setattr(ClassificationTask, "on_train_epoch_start", ctrl_c_in_second_epoch, raising=False)
        try:
            stopped = run_cli(["train", "--data", str(tiny_folder), "--name", "cut", *TRAIN], capsys)
        finally:
            signal.signal(signal.SIGINT, handler)
    assert stopped.code == 130, stopped.err
    newest, oldest = _runs(capsys)
    assert oldest["id"] == run["id"] and (newest["status"], newest["bundle"], newest["error"]) == \
        ("interrupted", None, None)
    assert newest["resume_command"] == f"meddx train --resume {newest['path']}"
    assert [r["id"] for r in _runs(capsys, "--status", "interrupted")] == [newest["id"]]

    shown = run_cli(["registry", "run", str(newest["id"])], capsys)
    assert shown.code == 0 and f"resume with: meddx train --resume {newest['path']}" in shown.out, shown.out
    assert "status: interrupted" in shown.out and "model seed-cnn" in shown.out

    resumed = run_cli(["train", "--resume", newest["path"], "--no-progress"], capsys)
    assert resumed.code == 0, resumed.err
    again = [r for r in _runs(capsys) if r["id"] == newest["id"]][0]
    assert (again["status"], again["bundle"], again["resumes"], again["resume_command"]) == \
        ("finished", "cut:1", 1, None)
    table = run_cli(["registry", "runs"], capsys)
    assert table.code == 0 and "tiny:1" in table.out and "cut:1" in table.out and "finished" in table.out
