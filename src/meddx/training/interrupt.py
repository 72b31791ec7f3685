"""Ctrl-C after the epochs: one line saying what was saved and how to go on.

Lightning reports a Ctrl-C during ``Trainer.fit`` (``train_and_restore`` turns it into
``TrainingInterrupted`` with the resume command). After the last epoch, while the kept epoch is
restored, the operating point chosen, the splits evaluated and the bundle saved and registered,
nothing caught it: Typer turned it into a silent exit 130, or a traceback from whatever library
code (a torch hook, a ``__del__``) was running. :func:`reporting_interrupts` wraps a whole
training run; the steps record how far they got (:func:`note`), so the message can say what is
on disk: the trained epochs (resume to finish), or the bundle (and whether it was registered).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

_PROGRESS: ContextVar[dict[str, Any] | None] = ContextVar("meddx_training_progress", default=None)


def note(**facts: Any) -> None:
    """Record how far the run got: ``resumable=RUN_DIR`` when a resume starts, ``trained=RUN_DIR``
    once the epochs are trained and saved, ``bundle=PATH`` once the bundle is written and
    ``registered=NAME:VERSION`` once it is indexed (``""``: not to be)."""
    progress = _PROGRESS.get()
    if progress is not None:
        progress.update(facts)


@contextlib.contextmanager
def reporting_interrupts() -> Iterator[None]:
    """Turn a ``KeyboardInterrupt`` raised inside the block into ``TrainingInterrupted`` (exit
    status 130) whose one line says what was saved, from the facts recorded by :func:`note`."""
    from meddx.training.fit import TrainingInterrupted

    outer = _PROGRESS.get()  # nested (the CLI around fit): one record for both
    progress: dict[str, Any] = outer if outer is not None else {}
    token = _PROGRESS.set(progress)
    try:
        yield
    except KeyboardInterrupt:
        raise TrainingInterrupted(interrupted_message(progress)) from None
    finally:
        _PROGRESS.reset(token)


def interrupted_message(progress: dict[str, Any]) -> str:
    """What an interruption after (or before) the epochs left, and what to do next."""
    bundle, run = progress.get("bundle"), progress.get("trained")
    if bundle and "registered" in progress:
        ref = progress["registered"]
        return (f"interrupted after the run finished; nothing is lost: the bundle {bundle} is saved"
                + (f" and registered as {ref}" if ref else ""))
    if bundle:
        return (f"interrupted after saving the bundle {bundle}, before it was registered; it predicts and serves "
                f"from that folder; to register it: meddx registry add {bundle}")
    if run:
        return (f"interrupted after training, before the bundle was saved; the trained epochs are in "
                f"{Path(run) / 'checkpoints'}; evaluate and save them with: meddx train --resume {run}")
    if progress.get("resumable"):
        run = progress["resumable"]
        return (f"interrupted before the resumed training went on; the epochs trained so far are in "
                f"{Path(run) / 'checkpoints'}; resume with: meddx train --resume {run}")
    return "training interrupted before its first epoch was saved; nothing to resume: start the run again"
