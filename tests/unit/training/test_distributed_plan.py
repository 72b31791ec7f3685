"""``training.distributed``: under torchrun rank 0 sends its run files to the other processes.

Two real processes with torchrun's environment (``TORCHELASTIC_RUN_ID``, ``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``/``MASTER_PORT``) exchange files over a gloo process group; the checks without a
process group cover what happens outside torchrun and a ``--devices`` that does not match it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from meddx.core.errors import ConfigError
from meddx.training import distributed
from tests.unit.training.two_ranks import run_two_ranks

PROCESS = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path

    from meddx.core.errors import MeddxError
    from meddx.training import distributed

    out, mode = Path(sys.argv[1]), sys.argv[2]
    distributed.join(2, 1)
    if mode == "fail":  # both past join, as in a run (planning takes a while): rank 1 then waits for the plan
        import torch.distributed as dist

        dist.barrier()
    if os.environ["RANK"] == "0":
        run = out / "run"
        (run / "members" / "1").mkdir(parents=True)
        (run / "plan.json").write_text('{"epochs": 7}')
        (run / "members" / "1" / "plan.json").write_text('{"epochs": 3}')
        (run / "tokenizer.json").write_bytes(bytes(range(256)))
        if mode == "fail":
            sys.exit(3)  # an error while planning: the plan is never sent
        distributed.share_run_files(run, ["plan.json", "members/1/plan.json", "tokenizer.json", "absent.json"])
        (out / "rank0.json").write_text(json.dumps({"received": str(distributed.received_run_dir())}))
    else:
        try:
            folder = distributed.received_run_dir()
        except MeddxError as exc:
            (out / "rank1.json").write_text(json.dumps({"error": str(exc)}))
            sys.exit(4)
        files = {str(p.relative_to(folder)): p.read_bytes().hex() for p in sorted(folder.rglob("*")) if p.is_file()}
        (out / "rank1.json").write_text(json.dumps({"folder": str(folder), "files": files}))
    # End as a run does (Lightning closes the group): a process leaving while gloo's threads still ran
    # was sometimes aborted at exit (SIGABRT, -6; 1 run in 12 of the share case)
    distributed.leave()
""")


def _two_processes(tmp_path: Path, mode: str) -> tuple[list[int], dict[str, dict]]:
    script = tmp_path / "process.py"
    script.write_text(PROCESS)
    return run_two_ranks(script, [str(tmp_path), mode], tmp_path)


@pytest.mark.slow
def test_other_ranks_receive_rank_zeros_files_byte_for_byte(tmp_path: Path) -> None:
    codes, results = _two_processes(tmp_path, "share")
    assert codes == [0, 0]
    assert results["rank0"] == {"received": "None"}  # rank 0 keeps its own folder
    received = results["rank1"]
    assert received["files"] == {"plan.json": b'{"epochs": 7}'.hex(), "members/1/plan.json": b'{"epochs": 3}'.hex(),
                                 "tokenizer.json": bytes(range(256)).hex()}  # absent.json: not sent
    assert not Path(received["folder"]).is_relative_to(tmp_path / "run")  # a private folder, not rank 0's
    assert not Path(received["folder"]).exists()  # removed when the process ended


@pytest.mark.slow
def test_a_rank_zero_stopped_before_its_plan_ends_the_others_with_one_line(tmp_path: Path) -> None:
    codes, results = _two_processes(tmp_path, "fail")
    assert codes == [3, 4]  # rank 1 did not hang waiting
    assert results["rank1"] == {"error": "torchrun launch: rank 0 stopped before sending its plan; its error says why"}


def test_outside_torchrun_nothing_is_shared_or_awaited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    monkeypatch.setenv("WORLD_SIZE", "2")  # as Lightning sets it in the processes it starts itself
    monkeypatch.setenv("RANK", "1")
    assert distributed.elastic_rank() is None
    distributed.join(1, 1)  # no process group, no check
    assert distributed.received_run_dir() is None
    distributed.share_run_files(tmp_path, ["plan.json"])
    assert distributed.one_process_hint() == "drop --devices/--num-nodes"


def test_elastic_rank_of_a_torchrun_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "job")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("RANK", "0")
    assert distributed.elastic_rank() is None  # torchrun with one process: plans alone
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    assert distributed.elastic_rank() == 3
    assert distributed.one_process_hint() == "start it without torchrun"


def test_devices_that_do_not_match_torchrun_are_refused_before_any_process_group(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import torch.distributed as dist

    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "job")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(ConfigError, match=r"^--devices 1 x --num-nodes 1: torchrun started 4 processes \(2 per node\); "
                                          r"pass --devices 2 --num-nodes 2$"):
        distributed.join(1, 1)
    assert not dist.is_initialized()
