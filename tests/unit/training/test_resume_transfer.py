"""``training.resume_transfer``: a resume under torchrun when only rank 0 has the run folder.

Two real processes with torchrun's environment exchange a run folder over a gloo process group
(in chunks of a few bytes here, so that every file spans several); the integration test
``tests/integration/test_torchrun_resume_private.py`` resumes a real run so.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.unit.training.two_ranks import run_two_ranks

PROCESS = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path

    import torch

    from meddx.core.errors import ConfigError, MeddxError
    from meddx.training import resume_transfer
    from meddx.training.resume_transfer import resumed_run

    resume_transfer.CHUNK = 1000  # the checkpoint below spans several chunks
    out, rank = Path(sys.argv[1]), os.environ["RANK"]
    run = Path(sys.argv[2] if rank == "0" else sys.argv[3])

    def read(folder):
        if not (folder / "checkpoints" / "last.ckpt").is_file():
            raise ConfigError(f"{folder}: nothing to resume (no checkpoints/last.ckpt)")
        return json.loads((folder / "config.json").read_text())

    try:
        config, folder = resumed_run(run, read)
    except MeddxError as exc:
        (out / f"rank{rank}.json").write_text(json.dumps({"error": str(exc)}))
        sys.exit(1)
    ckpt = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)
    (out / f"rank{rank}.json").write_text(json.dumps({
        "config": config, "folder": str(folder), "epoch": ckpt["epoch"],
        "weights": ckpt["state_dict"]["w"].tolist(), "callbacks": json.loads(json.dumps(ckpt["callbacks"], default=float)),
        "files": sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
        "tokenizer": (folder / "tokenizer.json").read_bytes().hex()}))
    from meddx.training import distributed

    distributed.leave()  # as training would end: not while gloo's threads run
""")


def _run_folder(root: Path) -> Path:
    import torch

    run = root / "runs" / "tiny-20261125-060000"
    (run / "checkpoints").mkdir(parents=True)
    (run / "logs" / "version_0").mkdir(parents=True)
    (run / "config.json").write_text('{"data": "/data/x", "devices": 2}')
    (run / "tokenizer.json").write_bytes(bytes(range(256)) * 9)  # 2,304 bytes: three chunks
    (run / "logs" / "version_0" / "metrics.csv").write_text("epoch\n0\n")
    (run / "checkpoints" / "best-epoch=002.ckpt").write_bytes(b"best")
    dirpath = str(run / "checkpoints")
    torch.save({"epoch": 3, "state_dict": {"w": torch.arange(300, dtype=torch.float32)},
                "callbacks": {"ModelCheckpoint{'monitor': 'val_select'}": {
                    "dirpath": dirpath, "best_model_path": f"{dirpath}/best-epoch=002.ckpt",
                    "best_k_models": {f"{dirpath}/best-epoch=002.ckpt": torch.tensor(0.9)}, "other": "/elsewhere"}}},
               run / "checkpoints" / "last.ckpt")
    return run


def _two_processes(tmp_path: Path, run0: Path, run1: Path) -> tuple[list[int], dict[str, dict]]:
    script = tmp_path / "process.py"
    script.write_text(PROCESS)
    out = tmp_path / "out"
    out.mkdir()
    return run_two_ranks(script, [str(out), str(run0), str(run1)], out)


@pytest.mark.slow
def test_a_rank_without_the_run_folder_resumes_from_rank_zeros_bytes(tmp_path: Path) -> None:
    run = _run_folder(tmp_path / "node0")
    codes, got = _two_processes(tmp_path, run, tmp_path / "node1" / "runs" / run.name)  # node1: nothing there
    assert codes == [0, 0]
    zero, one = got["rank0"], got["rank1"]
    assert zero["folder"] == str(run)
    folder = Path(one["folder"])
    assert folder.name == run.name and folder != run and not folder.exists()  # private, removed at exit
    assert one["config"] == zero["config"] and one["tokenizer"] == zero["tokenizer"]
    assert one["epoch"] == zero["epoch"] == 3 and one["weights"] == zero["weights"]
    # the logs and the best epochs' checkpoints stay with rank 0
    assert one["files"] == ["checkpoints/last.ckpt", "config.json", "tokenizer.json"]
    # written unchanged: the best-epoch record names rank 0's folder, which Lightning gives every process
    assert one["callbacks"] == zero["callbacks"]
    assert one["callbacks"]["ModelCheckpoint{'monitor': 'val_select'}"]["dirpath"] == str(run / "checkpoints")


@pytest.mark.slow
def test_a_rank_with_the_same_folder_keeps_it(tmp_path: Path) -> None:
    run = _run_folder(tmp_path / "shared")
    codes, got = _two_processes(tmp_path, run, run)  # a shared filesystem
    assert codes == [0, 0]
    assert got["rank0"]["folder"] == got["rank1"]["folder"] == str(run)
    assert got["rank1"]["files"] == got["rank0"]["files"]  # the logs too: nothing was copied


@pytest.mark.slow
def test_a_stale_copy_at_the_same_path_is_not_resumed(tmp_path: Path) -> None:
    """A node whose own copy of the folder differs (an older last.ckpt) takes rank 0's: the same epoch."""
    import torch

    run = _run_folder(tmp_path / "node0")
    stale = _run_folder(tmp_path / "node1")
    torch.save({"epoch": 1, "state_dict": {"w": torch.zeros(300)}, "callbacks": {}}, stale / "checkpoints" / "last.ckpt")
    codes, got = _two_processes(tmp_path, run, stale)
    assert codes == [0, 0]
    assert got["rank1"]["folder"] not in (str(run), str(stale))
    assert got["rank1"]["epoch"] == 3 and got["rank1"]["weights"] == got["rank0"]["weights"]


@pytest.mark.slow
def test_rank_zero_without_the_run_folder_stops_every_rank_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "node0" / "runs" / "gone"
    codes, got = _two_processes(tmp_path, missing, _run_folder(tmp_path / "node1"))
    assert codes == [1, 1]
    assert got["rank0"]["error"] == f"{missing}: nothing to resume (no checkpoints/last.ckpt)"
    assert got["rank1"]["error"] == ("torchrun launch: rank 0 cannot resume the run: "
                                     f"{missing}: nothing to resume (no checkpoints/last.ckpt)")
    assert "\n" not in got["rank1"]["error"]
