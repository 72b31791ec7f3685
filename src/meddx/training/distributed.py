"""Processes started by torchrun share one plan: rank 0 plans, every other process receives it.

``meddx train --devices N`` started by meddx itself is consistent: Lightning re-runs the command
in the extra processes with ``MEDDX_RUN_DIR`` set, and they read the first one's ``plan.json``.
Under torchrun (``torchrun --nproc-per-node N -m meddx.cli.main train ... --devices N``, and
``--num-nodes``) every process starts on its own, before any process group exists: each made its
own run folder, measured its own speed probe (different epochs, batch sizes, input sizes or
widths per process: DDP hangs or shapes mismatch) and fitted its own normalisation.

So here, when torchelastic launched more than one process (``TORCHELASTIC_RUN_ID`` and
``WORLD_SIZE`` > 1, as Lightning's ``TorchElasticEnvironment`` detects it), the process group is
initialised at once from the environment (gloo), rank 0 plans and writes its run folder as a
single process would, and sends the run files the other processes need (``plan.json`` with the
fitted normalisation, a tokenizer, fitted preprocessing) as bytes over the process group: nodes
need not share a filesystem. Each other process writes them into a private temporary folder and
follows the path of a resumed run or a Lightning-spawned worker: it reuses the plan and never
refits. Lightning then finds the process group initialised and uses it
(``lightning.fabric.utilities.distributed._init_dist_connection`` returns early).
"""

from __future__ import annotations

import atexit
import datetime
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from meddx.core.errors import ConfigError, MeddxError

# How long the other processes wait for rank 0 to read the data, plan and fit its preprocessing;
# the process group's own timeout (30 min) stays for training, as Lightning sets it.
PLAN_WAIT = datetime.timedelta(hours=6)
_PLAN_GROUP: list[Any] = []  # the group the plan travels on, made by join()


def elastic_rank() -> int | None:
    """This process's global rank when torchelastic (torchrun) started several, else ``None``."""
    if os.environ.get("TORCHELASTIC_RUN_ID") is None:
        return None
    try:
        world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    except ValueError:
        raise ConfigError(f"WORLD_SIZE={os.environ.get('WORLD_SIZE')!r}, RANK={os.environ.get('RANK')!r}: not "
                          "integers; start meddx with torchrun, which sets them") from None
    return rank if world > 1 else None


def join(devices: int, num_nodes: int) -> None:
    """Check ``devices x num_nodes`` against torchrun's processes and initialise the process group
    (gloo, from torchrun's ``MASTER_ADDR``/``MASTER_PORT``/``RANK``/``WORLD_SIZE``) before any
    planning, so that rank 0 can send its plan. Nothing outside torchrun or with one process."""
    if elastic_rank() is None:
        return
    world = int(os.environ["WORLD_SIZE"])
    if devices * num_nodes != world:
        per_node = os.environ.get("LOCAL_WORLD_SIZE", str(world))
        nodes = world // max(1, int(per_node)) if per_node.isdigit() else 1
        raise ConfigError(f"--devices {devices} x --num-nodes {num_nodes}: torchrun started {world} processes "
                          f"({per_node} per node); pass --devices {per_node} --num-nodes {nodes}")
    connect()


def connect() -> None:
    """Initialise the process group (gloo, from torchrun's environment) and the group the plan
    travels on, once. A resume calls it before it knows ``--devices`` (rank 0 sends the run's config
    with the rest of the run folder: :mod:`meddx.training.resume_transfer`); :func:`join` checks them later."""
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    if not _PLAN_GROUP:
        _PLAN_GROUP.append(dist.new_group(backend="gloo", timeout=PLAN_WAIT))


def leave() -> None:
    """Wait for every process, then close the process groups: a process that ends while gloo's
    threads still run is aborted at exit ("terminate called without an active exception", SIGABRT)
    instead of ending with its error's exit status. For processes stopping together on an error."""
    import torch.distributed as dist

    if dist.is_initialized():
        try:
            dist.barrier(group=plan_group())
        except RuntimeError:  # another process already ended: nothing to wait for
            pass
        dist.destroy_process_group()
    _PLAN_GROUP.clear()


def abandon() -> None:
    """Close the process groups after rank 0 stopped: otherwise this process, ending with its error,
    was sometimes aborted at exit by gloo's threads (SIGABRT, exit status -6, instead of its own)."""
    import torch.distributed as dist

    if dist.is_initialized():
        try:
            dist.destroy_process_group()
        except RuntimeError:
            pass
    _PLAN_GROUP.clear()


def plan_group() -> Any:
    """The group run files travel on (see :func:`join`)."""
    if not _PLAN_GROUP:
        raise ConfigError("torchrun launch: the process group was not joined before the plan was shared")
    return _PLAN_GROUP[0]


def share_run_files(run_dir: Path, names: list[str]) -> None:
    """On rank 0 of a torchrun launch: send the run files ``names`` (those that exist) to every
    other process, which waits for them in :func:`received_run_dir`. Elsewhere nothing."""
    if elastic_rank() != 0:
        return
    files = {name: (run_dir / name).read_bytes() for name in names if (run_dir / name).is_file()}
    _broadcast(files)


def received_run_dir() -> Path | None:
    """On ranks > 0 of a torchrun launch: wait for rank 0's run files, write them into a private
    temporary folder (removed at exit) and return it; ``None`` on rank 0 and outside torchrun.
    Rank 0's own folder holds the run; nothing else is written in this one."""
    rank = elastic_rank()
    if not rank:
        return None
    files = _broadcast(None)
    folder = Path(tempfile.mkdtemp(prefix=f"meddx-rank{rank}-"))
    atexit.register(shutil.rmtree, folder, True)
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def _broadcast(files: dict[str, bytes] | None) -> dict[str, bytes]:
    """Rank 0's ``files`` on every process of the plan group (see :func:`join`)."""
    import torch.distributed as dist

    box = [files]
    try:
        dist.broadcast_object_list(box, src=0, group=plan_group())
    except RuntimeError:  # gloo: "Connection closed by peer" when rank 0 stopped (an error while planning)
        if files is not None:
            raise
        abandon()
        raise MeddxError("torchrun launch: rank 0 stopped before sending its plan; its error says why") from None
    if not isinstance(box[0], dict):
        raise MeddxError("torchrun launch: rank 0 sent no plan; its error says why")
    return box[0]


def one_process_hint() -> str:
    """How to train a kind of run that takes one process: without torchrun when it started this
    one (dropping ``--devices`` would only meet torchrun's check in :func:`join`), else by dropping
    ``--devices/--num-nodes``."""
    return "start it without torchrun" if elastic_rank() is not None else "drop --devices/--num-nodes"
