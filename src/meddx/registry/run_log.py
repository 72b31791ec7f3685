"""Recording a training run in the registry as it starts and ends, without ever stopping it.

``training.fit`` wraps a whole run in :func:`recording_run`; ``training.run.new_run_dir`` and
``resume_config`` call :func:`created` and :func:`resumed` when they make or take up a run folder.
Only the process that owns the run writes (rank 0 under torchrun). A registry that cannot be
written (locked, damaged, read-only) costs one warning; the run goes on and the listing
reconciles it later from its folder.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

_LOG = logging.getLogger(__name__)
_WARNED: list[bool] = []  # one warning per process


@dataclass
class RunSession:
    """The run folders a :func:`recording_run` block made or resumed, and what its config says."""

    data: str | None = None
    seed: int | None = None
    fold: bool = False  # a cross-validation fold: trained from a prepared source, never resumed
    paths: list[Path] = field(default_factory=list)

    def ended(self, result: Any) -> Any:
        """Record the run of ``result`` (a ``FitResult``) as finished with its bundle; returns ``result``."""
        run_dir = getattr(result, "run_dir", None)
        mine = [p for p in self.paths if run_dir is not None and p.resolve() == Path(run_dir).resolve()]
        if mine and getattr(result, "bundle_path", None):
            from meddx.registry.store import headline_metrics

            bundle = getattr(result, "registry_ref", None) or str(result.bundle_path)
            metrics = headline_metrics(getattr(result, "metrics", None) or {})
            _quietly(lambda: _runs().record_end(run_dir, "finished", bundle=bundle, metrics=metrics))
            self.paths.remove(mine[0])
        return result


    def finished(self, run_dir: Path, metrics: dict[str, Any]) -> None:
        """Record the run in ``run_dir`` as finished without a bundle (a cross-validation: its folds'
        bundles are their own runs) with its headline ``metrics``."""
        mine = [p for p in self.paths if p.resolve() == Path(run_dir).resolve()]
        if mine:
            _quietly(lambda: _runs().record_end(run_dir, "finished", metrics=metrics))
            self.paths.remove(mine[0])


_SESSION: ContextVar[RunSession | None] = ContextVar("meddx_run_session", default=None)


def _runs() -> Any:
    from meddx.registry import runs

    return runs


def _owner() -> bool:
    """Whether this process records runs: not a torchrun rank other than 0."""
    from meddx.training.distributed import elastic_rank

    try:
        return not elastic_rank()
    except Exception:  # a malformed RANK/WORLD_SIZE is reported by the run itself
        return False


def _quietly(write: Callable[[], None]) -> None:
    """Run a registry write; any failure is one warning per process, never the end of a run."""
    try:
        write()
    except Exception as exc:  # sqlite3.Error wrapped as BundleError, OSError, a damaged row
        if not _WARNED:
            _WARNED.append(True)
            _LOG.warning("meddx: the run is not recorded in the registry (%s: %s); training goes on, and "
                         "`meddx registry runs` finds it from its folder later", type(exc).__name__,
                         str(exc).splitlines()[0][:300] if str(exc) else "")


@contextlib.contextmanager
def recording_run(config: Any = None, *, fold: bool = False, data: Any = None) -> Iterator[RunSession]:
    """Within the block, run folders made (``new_run_dir``) or resumed are recorded ``running``; a
    run leaving the block by an exception is recorded ``interrupted`` (Ctrl-C, SIGTERM during the
    epochs; a SIGTERM elsewhere: :func:`ending_by_sigterm`) or ``failed`` (the exception's class name
    only), and a folder removed as empty loses its row. ``RunSession.ended(result)`` records the
    finished run with its bundle. ``data``: what to list as the run's data when ``config.data`` is not it
    (a federated coordinator's ``eval_data``)."""
    session = RunSession(data=data if data is not None else getattr(config, "data", None), seed=getattr(config, "seed", None), fold=fold)
    token = _SESSION.set(session)
    try:
        yield session
    except BaseException as exc:
        status = _status_of(exc)
        error = type(exc).__name__ if status == "failed" else None  # the class only: a message can name a sample
        for path in session.paths:
            if not path.is_dir():
                _quietly(lambda p=path: _runs().forget(p))
            else:  # stopped after its bundle was saved (metrics.json, written last): finished
                done = status == "interrupted" and (path / "metrics.json").is_file()
                _quietly(lambda p=path, done=done: _runs().record_end(p, "finished" if done else status,
                                                                      error=error))
        raise
    finally:
        _SESSION.reset(token)


def ending_by_sigterm() -> None:
    """A SIGTERM is about to end the process outright (outside the epochs, once the run folder holds
    files: ``training.run.removing_empty_runs``): record the runs of the current block ``interrupted``.
    During the epochs Lightning stops after the batch instead and the run ends as ``TrainingInterrupted``."""
    session = _SESSION.get()
    if session is None:
        return
    for path in session.paths:
        _quietly(lambda p=path: _runs().record_end(p, "interrupted"))
    session.paths.clear()


def _status_of(exc: BaseException) -> str:
    from meddx.training.fit import TrainingInterrupted

    if isinstance(exc, (KeyboardInterrupt, TrainingInterrupted)):
        return "interrupted"
    if isinstance(exc, SystemExit) and exc.code in (130, 143):
        return "interrupted"
    return "failed"


def created(path: Path, name: str) -> None:
    """``new_run_dir`` made ``path`` for run ``name``: a ``running`` row, inside a recording block."""
    session = _SESSION.get()
    if session is None or not _owner():
        return
    session.paths.append(Path(path))
    _quietly(lambda: _runs().record_start(path, name, data=_text(session.data), seed=session.seed,
                                          resumable=not session.fold,
                                          note="cross-validation fold" if session.fold else None))


def resumed(path: Path) -> None:
    """``resume_config`` accepted ``path`` for resuming: its row is ``running`` again."""
    session = _SESSION.get()
    if session is None or not _owner():
        return
    session.paths.append(Path(path))
    _quietly(lambda: _runs().record_resume(path))


def _text(data: Any) -> str | None:
    return None if data is None else str(data)
