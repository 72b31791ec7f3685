"""A run folder: resolved config, plan, data fingerprint, environment, checkpoints, logs.

Everything needed to understand (or resume) a run sits next to its outputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import signal
import threading
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np

from meddx.core.errors import ConfigError
from meddx.core.paths import runs_dir
from meddx.data.base import ImageSource

RUN_DIR_ENV = "MEDDX_RUN_DIR"  # lets the extra processes of a multi-process run find the run
_CREATED: list[Path] = []  # run folders made by new_run_dir, for removing_empty_runs
PACKAGES = ("torch", "monai", "lightning", "torchmetrics", "scikit-learn", "numpy", "pydicom", "nibabel", "meddx")


def new_run_dir(name: str) -> Path:
    """``MEDDX_HOME/runs/<name>-<UTC time>``, or the folder a parent process already chose."""
    inherited = os.environ.get(RUN_DIR_ENV)
    if inherited:
        return Path(inherited)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = runs_dir() / f"{name}-{stamp}"
    suffix = 1
    while path.exists():
        suffix += 1
        path = runs_dir() / f"{name}-{stamp}-{suffix}"
    path.mkdir(parents=True)
    _CREATED.append(path)
    from meddx.registry.run_log import created

    created(path, name)  # a "running" row in the registry, when a training run records itself
    return path


@contextlib.contextmanager
def removing_empty_runs() -> Iterator[None]:
    """Remove the run folders made inside the block that are still empty when it fails.

    A run refused before its first file (a bad option found while planning) then leaves no
    empty ``runs/<name>-<time>`` behind; a folder holding anything (a plan, checkpoints to
    resume from) is kept. A SIGTERM (a scheduler, ``kill``, a closed terminal's job) ended the
    process at once and left the empty folder: while one is empty it is turned into a
    ``KeyboardInterrupt`` here, as Ctrl-C (see :func:`_terminating_as_interrupt`).
    """
    start = len(_CREATED)
    try:
        with _terminating_as_interrupt(lambda: any(_is_empty(path) for path in _CREATED[start:])):
            yield
    except BaseException:
        for path in _CREATED[start:]:
            with contextlib.suppress(OSError):
                path.rmdir()  # fails, and keeps the folder, unless it is empty
        raise
    finally:
        del _CREATED[start:]


def _is_empty(path: Path) -> bool:
    with contextlib.suppress(OSError):
        return not any(path.iterdir())
    return False


@contextlib.contextmanager
def _terminating_as_interrupt(pending: Callable[[], bool]) -> Iterator[None]:
    """Within the block, a SIGTERM raises ``KeyboardInterrupt`` while ``pending()`` (a run folder is
    still empty), so the cleanup and the one-line message of Ctrl-C run; otherwise it does what the
    handler before did (by default: record the run interrupted in the registry and end the process,
    exit status 143, as before). Lightning installs its own SIGTERM handler during ``Trainer.fit``
    (stop after the batch) and calls the one it found, this one, after it: called that way it does
    nothing more, so training stops as Lightning does.
    Only the main thread can set handlers; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum: int, frame: Any) -> None:
        installed = signal.getsignal(signal.SIGTERM) is handler
        if installed and pending():
            raise KeyboardInterrupt
        if callable(previous):
            previous(signum, frame)
        elif installed and previous in (signal.SIG_DFL, None):
            from meddx.registry.run_log import ending_by_sigterm

            ending_by_sigterm()  # the registry's row says interrupted, not crashed
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def member_dir(run_dir: Path, member: int) -> Path:
    """Where network ``member`` of an ensemble trains (created): the run folder itself for the
    first, ``members/<member>`` for the others, each with its own checkpoints and ``trainer.json``."""
    path = run_dir if member == 0 else run_dir / "members" / str(member)
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_json(path: Path) -> Any:
    """Read a JSON file of the run folder, with a clear error when it is missing."""
    if not path.is_file():
        raise ConfigError(f"{path}: missing; is {path.parent} a meddx run folder?")
    try:
        return json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:  # truncated or edited by hand
        raise ConfigError(f"{path}: not valid JSON ({exc}); restore it, or start a new run") from None


def environment() -> dict[str, Any]:
    """Package versions, Python and machine: what a reader needs to reproduce the run."""
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "packages": versions,
    }


def carving_of(run_dir: Path) -> bool | dict[str, Any]:
    """``near_copies`` for re-reading the data of a run being resumed, so that its validation is
    re-carved as it started even after :data:`meddx.data.carve_groups.NEAR_COPY_SETTINGS` changed
    (a run resumed on other settings could get another split and was refused as "not the data run
    started on"): the settings its ``data.json`` records (``val_near_copies``; ``False``: carved
    without near-copy grouping), else, for a ``data.json`` written before they were recorded,
    those its carving note shows (``data.carve_groups.carving_from_notes``). ``True`` (the
    current settings) when nothing was carved or there is no ``data.json``. With the membership recorded
    (``val_membership``), settings carrying it (``data.carve_record``): the resume reads that val back."""
    from meddx.data.carve_groups import NEAR_COPIES_KEY, carving_from_notes
    from meddx.data.carve_record import MEMBERSHIP_KEY, with_membership

    path = run_dir / "data.json"
    if not path.is_file():
        return True
    data = read_json(path)
    if NEAR_COPIES_KEY in data:
        recorded = data[NEAR_COPIES_KEY]
        settings = recorded if isinstance(recorded, dict) or recorded is False else True
        return with_membership(settings, data.get(MEMBERSHIP_KEY))
    return carving_from_notes(data.get("notes") or [])


def carved_settings(run_dir: Path) -> dict[str, Any] | bool:
    """The near-copy settings a run's validation was carved with, as its bundle records them
    (``training.val_near_copies``, which ``meddx evaluate --split val`` re-carves with): those of
    :func:`carving_of` over the defaults, ``False`` for a carving without near-copy grouping."""
    from meddx.data.carve_groups import near_copy_settings

    return near_copy_settings(carving_of(Path(run_dir))) or False


def carved_membership(run_dir: Path) -> dict[str, Any] | None:
    """The validation membership a run's ``data.json`` records (``val_membership``), or ``None``."""
    from meddx.data.carve_record import split_membership

    return split_membership(carving_of(Path(run_dir)))[1]


def check_same_data(run_dir: Path, source: Any, now: dict[str, Any] | None = None) -> None:
    """Refuse to resume ``run_dir`` on data other than it started on: the samples or labels of a
    split differ from its ``data.json`` (another file at the recorded path, an edited file); the
    plan's normalisation and class weights were fitted on the first. ``now`` is the source's
    fingerprint (default :func:`data_fingerprint`; segmentation passes its own, which hashes the
    masks). A ``data.json`` written before the hashes were recorded is not compared."""
    path = run_dir / "data.json"
    if not path.is_file():
        return
    data = read_json(path)
    recorded = data.get("splits") or {}
    if not any(isinstance(v, dict) and "sha256_ids_labels" in v for v in recorded.values()):
        return
    fingerprint = now or data_fingerprint(source)
    now = fingerprint["splits"]
    changed = sorted(s for s in set(recorded) | set(now)
                     if (recorded.get(s) or {}).get("sha256_ids_labels") != (now.get(s) or {}).get("sha256_ids_labels"))
    if changed and set(changed) <= {"train", "val"} and data.get(CARVED_FROM) \
            and data.get(CARVED_FROM) == fingerprint.get(CARVED_FROM):  # the same samples, divided otherwise
        raise ConfigError(f"{source.origin}: the validation split carved now is not the one run {run_dir.name} "
                          "started on, from the same train and val samples: the carving changed (the near-copy search, "
                          "the image decoding or the patient ids, e.g. DICOM PatientID, of another meddx version), "
                          "not the data; resume with the meddx "
                          "version the run started with, or start a new run")
    if changed:
        raise ConfigError(f"{source.origin}: not the data run {run_dir.name} started on: the samples or labels of "
                          f"split(s) {', '.join(changed)} differ from its data.json; restore that data, or start a "
                          "new run")
    from meddx.training.data_content import check_same_content

    check_same_content(run_dir, source.origin, recorded, now)


CARVED_FROM = "sha256_carved_from"
"""The ``data.json`` field holding a hash of the (id, label) pairs of train and val together, in
sorted order, when val was carved: :func:`check_same_data` tells a carving that changed (the same
samples divided otherwise) from data that changed."""


def data_fingerprint(source: ImageSource) -> dict[str, Any]:
    """Counts per split and class, reader notes, a hash of every (id, label) pair and of the contents."""
    from meddx.training.data_content import CONTENT_KEY, content_digest

    splits = {}
    for name, split in source.splits.items():
        digest = hashlib.sha256()
        for sid, label in zip(split.ids, split.labels):
            digest.update(f"{sid}\t{np.asarray(label).tolist()}\n".encode())
        labels = np.asarray(split.labels)
        counts = labels.sum(axis=0) if labels.ndim == 2 else np.bincount(labels, minlength=source.num_classes)
        splits[name] = {
            "n": len(split),
            "per_class": {n: int(c) for n, c in zip(source.label_names, counts)},
            "patients": len(set(split.patient_ids)) if split.patient_ids else None,
            "sha256_ids_labels": digest.hexdigest(),
            CONTENT_KEY: content_digest(split),  # a file edited in place: a resume refuses it
        }
    return {
        "name": source.name,
        "origin": source.origin,
        "task": source.task,
        "label_names": source.label_names,
        "spatial_dims": source.spatial_dims,
        "splits": splits,
        "notes": source.notes,
        **_carving_record(source),
    }


def _carving_record(source: ImageSource) -> dict[str, Any]:
    """``{"val_near_copies": settings, "sha256_carved_from": ...}`` for a source whose validation was
    carved (``False``: without near-copy grouping; ``data.splits.record_carving``): the settings
    :func:`carving_of` re-carves a resume with, :data:`CARVED_FROM` and ``val_membership`` (``data.carve_record``);
    nothing for one that carved nothing, or whose record a copy lost (its notes then speak)."""
    from meddx.data.carve_groups import NEAR_COPIES_KEY
    from meddx.data.carve_record import MEMBERSHIP_KEY

    settings = getattr(source, NEAR_COPIES_KEY, None)
    if not (isinstance(settings, dict) or settings is False) or not {"train", "val"} <= set(source.splits):
        return {}
    pairs = sorted(f"{sid}\t{np.asarray(label).tolist()}\n" for name in ("train", "val")
                   for sid, label in zip(source.splits[name].ids, source.splits[name].labels))
    membership = getattr(source, MEMBERSHIP_KEY, None)
    return {NEAR_COPIES_KEY: settings, CARVED_FROM: hashlib.sha256("".join(pairs).encode()).hexdigest(),
            **({MEMBERSHIP_KEY: membership} if isinstance(membership, dict) else {})}


def resume_config(run_dir: Path) -> tuple[Any, Path]:
    """The run's own config, checked: a readable last checkpoint, a meddx config, an unfinished plan;
    and the folder to resume from (under torchrun, a private copy of rank 0's where this node lacks it)."""
    from meddx.registry.run_log import resumed
    from meddx.training.resume_transfer import resumed_run

    config, folder = resumed_run(run_dir, _checked_config)
    resumed(folder)  # its registry row is "running" again (rank 0 only)
    return config, folder


def _checked_config(run_dir: Path) -> Any:
    from meddx.training.config import validated_config

    last = run_dir / "checkpoints" / "last.ckpt"
    from meddx.training.checkpoint import checkpoint_problem, nothing_to_resume, unreadable_fallback

    if not last.is_file():
        raise ConfigError(nothing_to_resume(run_dir))

    # an ensemble's later networks too (members/<m>): a damaged one gave a torch traceback, or resumed
    for ckpt in [last, *sorted((run_dir / "members").glob("*/checkpoints/last.ckpt"))]:
        problem = checkpoint_problem(ckpt)
        if problem:
            raise ConfigError(f"{ckpt}: not a readable checkpoint ({problem}); {unreadable_fallback(ckpt)}")
    data = read_json(run_dir / "config.json")
    if not isinstance(data, dict) or "data" not in data:
        raise ConfigError(f"{run_dir / 'config.json'}: not a meddx run config (no 'data' field); start a new run")
    _check_unfinished(run_dir)
    config = validated_config(data, run_dir / "config.json")
    from meddx.training.resume_edits import check_config_edits

    plan = read_json(run_dir / "plan.json") if (run_dir / "plan.json").is_file() else None
    check_config_edits(run_dir, config, last, plan if isinstance(plan, dict) else None)
    return config


# what a resume cannot change (the checkpoint's network and optimiser state hold them), and where it is set
FIXED_AT_START = {"model_name": "plan.json model", "model_args": "plan.json model_args", "lr": "config.json lr",
                  "weight_decay": "config.json weight_decay", "warmup_epochs": "the warm-up"}


def check_resumable(checkpoint: Path, task: Any) -> None:
    """Refuse to resume from ``checkpoint`` a task built otherwise than the one it saved: another
    network (``plan.json`` model or model_args edited: the weights do not fit it; this was a
    state-dict traceback) or another learning rate or weight decay (``config.json`` edited: the
    restored optimiser state kept the old ones while the bundle recorded the new)."""
    import torch

    saved = torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True).get("hyper_parameters") or {}
    now = dict(getattr(task, "hparams", {}) or {})
    same = lambda v: json.loads(json.dumps(v, default=str))  # noqa: E731 (lists and tuples alike)
    changed = [f"{where} {same(now[k])!r} (the run started with {same(saved[k])!r})"
               for k, where in FIXED_AT_START.items() if k in saved and k in now and same(saved[k]) != same(now[k])]
    if changed:
        raise ConfigError(f"{checkpoint.parent.parent}: cannot resume with {'; '.join(changed)}: the checkpoint's "
                          "network and optimiser were made for the first; restore the run's value, or start a new "
                          "run (pass the edited plan.json with --plan)")


def check_planned_input(plan: Any, path: Path) -> None:
    """Refuse a run's ``plan.json`` whose ``image_size`` or ``channels`` no longer match the
    preprocessing it fitted (``normalization``): a resume rebuilds the inputs from the fitted
    preprocessing, so an edited size was ignored while the bundle recorded it."""
    fitted = getattr(plan, "normalization", None) or {}
    for field, key in (("image_size", "spatial_size"), ("channels", "channels")):
        if key in fitted and getattr(plan, field, None) is not None and fitted[key] != getattr(plan, field):
            raise ConfigError(f"{path}: {field} {getattr(plan, field)!r} differs from the {fitted[key]!r} the run "
                              "was trained at (its normalization); a resume keeps the input it started with: "
                              "restore it, or start a new run with this plan.json as --plan")


def trainer_record(folder: Path) -> dict[str, Any]:
    """A run's (or an ensemble member's) ``trainer.json``: empty for models fitted without epochs
    (scikit-learn), and for runs from before the record existed or not yet trained."""
    try:
        record = read_json(folder / "trainer.json")
    except (ConfigError, OSError):  # missing or damaged
        return {}
    return record if isinstance(record, dict) else {}


def cut_epoch_text(cut: Any, limit: str = "the time limit") -> str | None:
    """``"the time limit stopped epoch 2 after 8 of its 37 batches"`` for a ``cut_epoch`` record
    (``trainer.json``, a bundle's ``training``), ``None`` when no epoch was cut."""
    if not isinstance(cut, dict) or not {"epoch", "batches", "of"} <= set(cut):
        return None
    return f"{limit} stopped epoch {cut['epoch'] + 1} after {cut['batches']} of its {cut['of']} batches"


def _check_unfinished(run_dir: Path) -> None:
    """Refuse to resume a run that finished: its bundle was saved (``metrics.json``, written last)
    and its plan's epochs were all run (``trainer.json``). It would train nothing, or one epoch
    that early stopping ends again, and register a second bundle. Raising ``epochs`` in its
    plan.json is the documented way to train longer. An ensemble interrupted after its first
    network (whose ``trainer.json`` is complete) has no ``metrics.json`` yet and resumes."""
    if not all((run_dir / f).is_file() for f in ("metrics.json", "trainer.json", "plan.json")):
        return
    if any(_raised(folder) for folder in (run_dir / "members").glob("*")):
        return  # an ensemble network's own plan.json (members/<m>) raised to train longer
    done, planned = read_json(run_dir / "trainer.json"), read_json(run_dir / "plan.json").get("epochs")
    before = done.get("epochs_planned", done.get("epochs_run"))
    if isinstance(planned, int) and isinstance(before, int) and planned <= before:
        stopped = ""
        if done.get("epochs_run", before) < before:  # trainer.json written before "stopped_by": early stopping
            cause = done["stopped_by"] if "stopped_by" in done else "early stopping"
            stopped = f" ({cause or 'stopped before its planned epochs'})"
        cut = cut_epoch_text(done.get("cut_epoch"))
        if cut:  # the time limit ended it mid-epoch
            stopped = f" ({cut}; the best validation epoch was kept)"
        others = " (an ensemble's other networks: in members/<m>/plan.json)" if (run_dir / "members").is_dir() else ""
        raise ConfigError(f"{run_dir}: this run finished: {done.get('epochs_run')} of {before} planned epochs "
                          f"run{stopped}, bundle saved; to train it longer raise \"epochs\" in its plan.json above "
                          f"{before}{others} and resume, to change anything else start a new run")


def _raised(folder: Path) -> bool:
    """Whether an ensemble network's ``plan.json`` in ``folder`` plans more epochs than its
    ``trainer.json`` says it was trained for (raised by hand: a resume trains it longer)."""
    done = trainer_record(folder)
    planned = done.get("epochs_planned", done.get("epochs_run"))
    try:
        plan = read_json(folder / "plan.json") if (folder / "plan.json").is_file() else None
    except ConfigError:  # damaged: the network's own resume reports it
        return True
    epochs = plan.get("epochs") if isinstance(plan, dict) else None
    return isinstance(epochs, int) and isinstance(planned, int) and epochs > planned
