"""``training.resume_transfer`` when a torchrun resume ends early, with two real processes.

- Rank 0 stops in the middle of sending the run: the receiving process stops at once with one line
  and keeps no partial copy.
- torchrun ends the other processes with SIGTERM about 0.1 s after one fails: a process ended so
  while it received the run removed nothing (removal at exit does not run for a signal), and the
  temporary folder kept what had arrived, up to a whole checkpoint.
- A Ctrl-C on a process resuming from a private copy named that temporary folder in its
  "resume with: meddx train --resume ..." line; it names rank 0's run.
"""

from __future__ import annotations

import json
import signal
import textwrap
from pathlib import Path

import pytest

from tests.unit.training.test_resume_transfer import _run_folder
from tests.unit.training.two_ranks import run_two_ranks

# Rank 0 sends two chunks of the run, then (``stop``) exits, or first sends rank 1 a SIGTERM as
# torchrun's agent does once rank 0 failed. Rank 1 receives into its own TMPDIR.
STOPPING = textwrap.dedent("""
    import json, os, signal, sys, time
    from pathlib import Path

    import torch.distributed as dist

    from meddx.core.errors import MeddxError
    from meddx.training import resume_transfer
    from meddx.training.run import removing_empty_runs

    resume_transfer.CHUNK = 1000
    out, rank, stop = Path(sys.argv[1]), os.environ["RANK"], sys.argv[4]
    run = Path(sys.argv[2] if rank == "0" else sys.argv[3])
    if rank == "1":
        (out / "pid1").write_text(str(os.getpid()))
    else:
        real, sent = dist.broadcast, []

        def broadcast(tensor, *args, **kwargs):
            if len(sent) == 2:  # the manifest went as an object; two chunks of files went
                if stop == "sigterm":
                    os.kill(int((out / "pid1").read_text()), signal.SIGTERM)
                    time.sleep(0.5)
                os._exit(3)
            sent.append(1)
            return real(tensor, *args, **kwargs)

        dist.broadcast = broadcast
    start = time.monotonic()
    try:
        with removing_empty_runs():  # as fit() runs it: its SIGTERM handler is in place
            resume_transfer.resumed_run(run, lambda folder: json.loads((folder / "config.json").read_text()))
    except MeddxError as exc:
        (out / f"rank{rank}.json").write_text(json.dumps({"error": str(exc), "seconds": time.monotonic() - start}))
        sys.exit(1)
    (out / f"rank{rank}.json").write_text(json.dumps({"error": None}))
""")


def _stopping(tmp_path: Path, stop: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], dict[str, dict], Path]:
    run = _run_folder(tmp_path / "node0")
    script, out, tmp = tmp_path / "process.py", tmp_path / "out", tmp_path / "tmp"
    script.write_text(STOPPING)
    out.mkdir()
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))  # where rank 1 makes its private copy
    codes, got = run_two_ranks(script, [str(out), str(run), str(tmp_path / "node1" / "runs" / run.name), stop], out)
    return codes, got, tmp


@pytest.mark.slow
def test_rank_zero_ending_mid_transfer_stops_the_receiver_at_once_without_a_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    codes, got, tmp = _stopping(tmp_path, "exit", monkeypatch)
    assert codes == [3, 1]
    error = got["rank1"]["error"]
    assert error.startswith("torchrun launch: rank 0 stopped while sending the run to resume") and "\n" not in error
    assert got["rank1"]["seconds"] < 20  # no wait for the plan group's 6-hour timeout
    assert list(tmp.iterdir()) == []


@pytest.mark.slow
def test_torchruns_sigterm_mid_transfer_leaves_no_partial_copy(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    codes, got, tmp = _stopping(tmp_path, "sigterm", monkeypatch)
    assert codes == [3, -signal.SIGTERM]  # ended by the signal, as before
    assert "rank1" not in got
    assert list(tmp.iterdir()) == []  # before: meddx-rank1-*/<run>/ with the files received so far


# Both ranks resume (rank 1 has no run folder: it receives a private copy); a Ctrl-C comes right
# after the run was read, before the data are loaded.
INTERRUPTED = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path

    import meddx.training.fit as fitmod
    from meddx.training import distributed

    out, rank = Path(sys.argv[1]), os.environ["RANK"]
    run = Path(sys.argv[2] if rank == "0" else sys.argv[3])

    def interrupt(config):
        raise KeyboardInterrupt

    fitmod.set_threads = interrupt
    try:
        fitmod.fit(None, resume=run)
    except fitmod.TrainingInterrupted as exc:
        (out / f"rank{rank}.json").write_text(json.dumps({"message": str(exc)}))
    distributed.leave()
""")


def _resumable_run(root: Path) -> Path:
    import torch

    from meddx.training.config import TrainConfig

    run = root / "runs" / "tiny-20261125-070000"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps(TrainConfig(data="/nowhere/x.npz", devices=2).model_dump(mode="json")))
    torch.save({"epoch": 1, "state_dict": {"w": torch.zeros(3)}}, run / "checkpoints" / "last.ckpt")
    return run


@pytest.mark.slow
def test_a_ctrl_c_on_a_rank_resuming_from_a_private_copy_names_rank_zeros_run(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    run = _resumable_run(tmp_path / "node0")
    script, out = tmp_path / "process.py", tmp_path / "out"
    script.write_text(INTERRUPTED)
    out.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    codes, got = run_two_ranks(script, [str(out), str(run), str(tmp_path / "node1" / "runs" / run.name)], out)
    assert codes == [0, 0]
    line = f"resume with: meddx train --resume {run}"
    assert got["rank0"]["message"].endswith(line)
    assert got["rank1"]["message"].endswith(line), got["rank1"]["message"]  # before: its meddx-rank1-* folder
    assert f"are in {run / 'checkpoints'};" in got["rank1"]["message"]


def test_a_ctrl_c_while_the_run_to_resume_is_read_says_to_resume_it(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """One process: the run's checkpoint is checked (a 130 MB read), or rank 0 sends it, when Ctrl-C
    comes. It said "nothing to resume: start the run again", of a run that is there to resume."""
    from meddx.training import run as runlib
    from meddx.training.fit import TrainingInterrupted, fit

    run = _resumable_run(tmp_path)

    def interrupted(folder: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runlib, "_checked_config", interrupted)
    with pytest.raises(TrainingInterrupted) as caught:
        fit(None, resume=run)
    assert str(caught.value).endswith(f"resume with: meddx train --resume {run}")
