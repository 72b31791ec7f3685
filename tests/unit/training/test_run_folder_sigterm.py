"""A run stopped by SIGTERM or Ctrl-C before its first file leaves no empty run folder.

Found by a review: ``meddx train`` makes ``runs/<name>-<time>`` before planning (and the speed
probe); Ctrl-C there removed it, but a SIGTERM (a scheduler's, ``kill``) ended the process at once
and left the empty folder behind. While a folder made by the run is empty, SIGTERM now raises
``KeyboardInterrupt``, so the same cleanup runs; once the run has written into it, SIGTERM ends
the process as before (exit status 143) and the folder, which can be resumed, is kept.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SCRIPT = """
import os, sys, time
os.environ["MEDDX_HOME"] = sys.argv[1]
from meddx.training.run import new_run_dir, removing_empty_runs
try:
    with removing_empty_runs():
        run = new_run_dir("probe")
        if sys.argv[2] == "written":
            (run / "plan.json").write_text("{}")
        print("ready", flush=True)
        time.sleep(60)
except KeyboardInterrupt:
    sys.exit(130)
"""


def _terminated(home: Path, state: str) -> int:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(home), state], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def test_sigterm_while_the_run_folder_is_empty_removes_it(tmp_path: Path) -> None:
    assert _terminated(tmp_path, "empty") == 130
    assert list((tmp_path / "runs").iterdir()) == []


def test_sigterm_after_the_run_wrote_a_file_ends_the_process_and_keeps_the_folder(tmp_path: Path) -> None:
    assert _terminated(tmp_path, "written") == -signal.SIGTERM
    assert [p.name for p in (tmp_path / "runs").iterdir()][0].startswith("probe-")


def test_ctrl_c_while_planning_leaves_no_run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.training.plan as plan
    from meddx.core.paths import runs_dir
    from meddx.training.config import TrainConfig
    from meddx.training.fit import TrainingInterrupted, fit

    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for cls in ("a", "b"):
            (tmp_path / split / cls).mkdir(parents=True)
            for i in range(3):
                Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(tmp_path / split / cls / f"{i}.png")

    def interrupted(*args: object, **kwargs: object) -> None:
        assert len(list(runs_dir().iterdir())) == 1  # the run folder exists while planning
        raise KeyboardInterrupt

    monkeypatch.setattr(plan, "make_plan", interrupted)
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(TrainingInterrupted, match="before its first epoch"):
        fit(TrainConfig(data=str(tmp_path), epochs=1), progress=False)
    assert list(runs_dir().iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is handler  # the process's handler is given back


def test_sigterm_handler_is_left_alone_outside_the_main_thread() -> None:
    import threading

    from meddx.training.run import removing_empty_runs

    seen = []

    def run() -> None:
        with removing_empty_runs():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert seen == [before]
