"""``meddx train --resume RUN`` under torchrun when only rank 0's node has the run folder.

Every process of a resumed run reads the run's ``config.json``, ``plan.json``, ``data.json``,
``trainer.json``, the tokenizer or fitted preprocessing, and restores ``checkpoints/last.ckpt``.
Before, each process read them from its own filesystem: without a shared one, every rank other
than 0 stopped with "nothing to resume" (and a node holding a stale copy would have resumed
another epoch than rank 0). Now rank 0 checks its folder, then:

1. broadcasts a manifest (its folder's path, and each file's size and SHA-256) or, when its folder
   cannot be resumed, its one-line error, which every process then stops with;
2. each process whose own folder (``--resume`` on its node) holds the same files keeps using it;
3. when any process lacks them, rank 0 broadcasts the files' bytes in chunks of :data:`CHUNK`
   (a ResNet-18 checkpoint with its optimiser state is about 130 MB: a pickled object of that size
   would be copied three times in memory; a chunk is one reused buffer), and each such process
   writes them into a private temporary folder (removed at exit), checks their SHA-256, and
   resumes from there; messages name rank 0's run instead (:func:`shown_run`), the one to resume;
4. when rank 0 stops while sending (its error, killed), a receiving process stops at once with one
   line and removes what it received, also when torchrun's SIGTERM ends it first.

The logs and the best epochs' checkpoints are not sent: only rank 0 logs, and only rank 0 restores
the kept epoch after training. The checkpoints are written unchanged: their ``ModelCheckpoint`` state
names rank 0's folder, and Lightning gives every process rank 0's checkpoint folder
(``ModelCheckpoint.setup`` broadcasts it), so every process restores the same best-epoch record and
takes the same save decisions (a process without it would decide alone to save a best epoch, in a
collective call the others never make).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, TypeVar

from meddx.core.errors import ConfigError, MeddxError

CHUNK = 16 * 2**20  # bytes per broadcast
T = TypeVar("T")
_ORIGINS: dict[Path, Path] = {}  # this process's private copy -> rank 0's run folder it copies


def shown_run(folder: Path) -> Path:
    """The run folder to name to the user for ``folder``: rank 0's run when ``folder`` is this
    process's private copy of it (a temporary folder, removed at exit: a resume from it would find
    nothing), else ``folder`` itself."""
    return _ORIGINS.get(Path(folder), Path(folder))


def resumed_run(run_dir: Path, read: Callable[[Path], T]) -> tuple[T, Path]:
    """``(read(folder), folder)`` for the run folder this process resumes: ``run_dir`` itself outside
    torchrun, on rank 0 and where it holds rank 0's files; otherwise a private copy of rank 0's.
    ``read`` checks a folder and reads its config (it raises :class:`MeddxError`)."""
    from meddx.training import distributed

    rank = distributed.elastic_rank()
    if rank is None:
        return read(run_dir), run_dir
    distributed.connect()
    if rank == 0:
        try:
            result = read(run_dir)
            manifest = _manifest(run_dir)
        except Exception as exc:  # the others would wait for the run: they stop with its line
            said = str(exc) if isinstance(exc, MeddxError) else f"{type(exc).__name__}; its error says why"
            _broadcast_object({"error": said})
            distributed.leave()
            raise
        _broadcast_object(manifest)
        _transfer(manifest, run_dir, None)
        return result, run_dir
    manifest = _broadcast_object(None)
    if manifest.get("error"):
        distributed.leave()
        raise ConfigError(f"torchrun launch: rank 0 cannot resume the run: {manifest['error']}")
    folder = _transfer(manifest, run_dir, rank)
    return read(folder), folder


def sent(relative: str) -> bool:
    """Whether a run folder's file (its path relative to the folder) is sent to the other processes:
    not the logs, a checkpoint being written, nor a checkpoint other than ``last.ckpt``."""
    parts = relative.split("/")
    return parts[0] != "logs" and not relative.endswith(".partial") and (
        not relative.endswith(".ckpt") or parts[-1] == "last.ckpt")


def _manifest(run_dir: Path) -> dict[str, Any]:
    files = [(p.relative_to(run_dir).as_posix(), p.stat().st_size, _sha256(p))
             for p in sorted(run_dir.rglob("*")) if p.is_file() and sent(p.relative_to(run_dir).as_posix())]
    return {"run_dir": str(run_dir), "files": files}


def _has_copy(manifest: dict[str, Any], root: Path) -> bool:
    """Whether ``root``, the folder this process was given, holds rank 0's files, the same bytes (a
    shared filesystem, or a copy in sync); a stale copy would resume another epoch."""
    return all((root / name).is_file() and (root / name).stat().st_size == size and _sha256(root / name) == digest
               for name, size, digest in manifest["files"])


def _transfer(manifest: dict[str, Any], run_dir: Path, rank: int | None) -> Path:
    """Rank 0 (``rank`` None) sends its files when any process lacks them; another process returns
    its own ``run_dir`` when that holds the same files, else the private folder it wrote them into."""
    import torch
    import torch.distributed as dist

    from meddx.training.distributed import plan_group

    own = rank is None or _has_copy(manifest, run_dir)
    lacking = torch.tensor([0 if own else 1])
    dist.all_reduce(lacking, group=plan_group())
    if not int(lacking.item()):  # a shared filesystem: nothing travels
        return run_dir
    folder = None if own else Path(tempfile.mkdtemp(prefix=f"meddx-rank{rank}-")) / Path(manifest["run_dir"]).name
    if folder is not None:
        atexit.register(shutil.rmtree, folder.parent, True)
    buffer = torch.empty(min(CHUNK, max([size for _, size, _ in manifest["files"]] + [1])), dtype=torch.uint8)
    with _removed_unless_complete(None if folder is None else folder.parent):
        for name, size, digest in manifest["files"]:
            if rank is None:
                with open(Path(manifest["run_dir"]) / name, "rb") as handle:
                    _stream(buffer, size, handle.readinto, None)
            elif folder is None:  # this process has its own copy: take part, keep nothing
                _stream(buffer, size, None, None)
            else:
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as handle:
                    _stream(buffer, size, None, handle.write)
                if _sha256(target) != digest:
                    raise MeddxError(f"torchrun launch: {name} of run {folder.name} arrived from rank 0 damaged "
                                     "(SHA-256 differs); start the resume again")
    if folder is not None:
        _ORIGINS[folder] = Path(manifest["run_dir"])
    return run_dir if folder is None else folder


@contextlib.contextmanager
def _removed_unless_complete(partial: Path | None) -> Iterator[None]:
    """Remove ``partial`` (a private copy being received) at once when the block fails or a SIGTERM
    arrives in it. The removal at exit does not run for a process ended by a signal, and torchrun ends
    the other processes with SIGTERM about 0.1 s after one fails (rank 0 stopping while it sends): up
    to a whole checkpoint was left in the temporary folder. The SIGTERM then goes on to the handler
    found before (by default the process ends, as before). Only the main thread may set handlers."""
    if partial is None:
        yield
        return
    previous = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    catching = previous is not None and previous is not signal.SIG_IGN

    def handler(signum: int, frame: Any) -> None:
        shutil.rmtree(partial, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)
        if callable(previous):
            previous(signum, frame)
        else:
            os.kill(os.getpid(), signal.SIGTERM)
        from meddx.training.distributed import abandon  # a handler that let the process go on: stop it

        abandon()
        raise MeddxError("torchrun launch: stopped (SIGTERM) while receiving the run to resume from rank 0")

    if catching:
        signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        if catching and signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, previous)


def _stream(buffer: Any, size: int, read: Callable[[Any], Any] | None, write: Callable[[Any], Any] | None) -> None:
    """Broadcast one file of ``size`` bytes from rank 0 in chunks of at most ``len(buffer)`` bytes:
    rank 0 ``read``s each chunk into the buffer, a receiving process ``write``s it."""
    import torch.distributed as dist

    from meddx.training.distributed import plan_group

    for start in range(0, size, len(buffer)):
        part = buffer[:min(len(buffer), size - start)]
        if read is not None:
            view = memoryview(part.numpy())
            got = 0
            while got < len(part):  # readinto may return fewer bytes than asked
                n = read(view[got:])
                if not n:
                    raise MeddxError(f"torchrun launch: a run file shrank while it was sent ({start + got} of {size} "
                                     "bytes); start the resume again when nothing writes the run folder")
                got += n
        _from_rank_zero(lambda chunk=part: dist.broadcast(chunk, src=0, group=plan_group()), read is not None,
                        "while sending the run to resume")
        if write is not None:
            write(memoryview(part.numpy()))


def _broadcast_object(value: dict[str, Any] | None) -> dict[str, Any]:
    """Rank 0's ``value`` on every process of the plan group."""
    import torch.distributed as dist

    from meddx.training.distributed import plan_group

    box = [value]
    _from_rank_zero(lambda: dist.broadcast_object_list(box, src=0, group=plan_group()), value is not None,
                    "before sending the run to resume")
    if not isinstance(box[0], dict):
        raise MeddxError("torchrun launch: rank 0 sent no run to resume; its error says why")
    return box[0]


def _from_rank_zero(call: Callable[[], Any], sending: bool, when: str) -> None:
    """Run the collective ``call``; on a receiving process, rank 0's end (gloo: "Connection closed
    by peer", at once) becomes one line, after the process groups are closed (see ``distributed.abandon``);
    the part of the run received so far is removed by :func:`_removed_unless_complete`. A rank 0
    killed (out of memory: SIGKILL) wrote no error of its own: torchrun's summary gives its exit."""
    try:
        call()
    except RuntimeError:
        if sending:
            raise
        from meddx.training.distributed import abandon

        abandon()
        raise MeddxError(f"torchrun launch: rank 0 stopped {when}; its error (or torchrun's report of its exit) "
                         "says why") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()
