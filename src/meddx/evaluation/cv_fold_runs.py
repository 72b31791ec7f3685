"""The training run of a fold that ``meddx cv`` was interrupted in, found again so that ``meddx cv
--resume`` goes on from its last finished epoch instead of retraining the fold from its first.

Each fold trains as ``meddx train`` does (``training.fit`` with a prepared source), into a run folder
``MEDDX_HOME/runs/NAME-foldK-TIME`` that keeps ``checkpoints/last.ckpt`` after every epoch; its
``config.json`` names the fold's bundle folder (``output``: ``FOLDER/foldK``). A resume takes the
newest such run of fold ``K`` of this cross-validation and continues it through training's own resume
(``fit(None, resume=RUN, source=FOLD)``: the run's config and plan, its random states, ``data.json``
checked against the fold's data) when:

- it has a ``last.ckpt`` and no ``metrics.json`` (its bundle was not saved: one saved without its
  ``cv_folds`` record is trained again, as before);
- every checkpoint reads whole (``training.checkpoint.checkpoint_problem``; an ensemble's
  ``members/<m>`` too);
- it started no earlier than this cross-validation (``cv_plan.json``'s ``started``: a run left by an earlier
  cross-validation into the same folder is not this one's, whatever it holds);
- its ``config.json`` holds the cross-validation's recorded settings;
- its ``data.json`` matches the fold's train, val and test samples (checked by the caller, which
  holds the fold).

Otherwise the fold trains from its first epoch, and the line printed says why (its run had finished
no epoch; its run is under the ``runs`` folder of another ``MEDDX_HOME``, the one ``cv_plan.json``
recorded; ...). A run whose training had ended (its planned epochs, early stopping or the time limit:
``trainer.json``) before the interrupt is only evaluated and saved, and its line says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# config.json fields a fold's run sets or resolves itself (training.fit): not the cross-validation's settings
FOLD_OWN = frozenset({"name", "precision"})


@dataclass
class FoldRun:
    """An interrupted fold's run a resume can continue: its folder, the epochs ``last.ckpt`` holds
    (counted from 1), the epochs its plan asks for (``None`` when unknown) and whether it is an ensemble."""

    path: Path
    epochs_saved: int
    epochs_planned: int | None
    ensemble: bool = False
    stopped_by: str | None = None  # "early stopping" or "the time limit" when that ended its training
    time_budget: float | None = None  # its --time-budget (minutes): the time limit may end it before its epochs

    def line(self, k: int) -> str:
        """``fold 2: resumed from epoch 3 of 6 (RUN)``: what the resume does with fold ``k``."""
        if self.ensemble:
            return f"  fold {k}: resumed, each network of its ensemble from its last finished epoch ({self.path})"
        of = f" of {self.epochs_planned}" if self.epochs_planned is not None else ""
        if self.stopped_by or (self.epochs_planned is not None and self.epochs_saved >= self.epochs_planned):
            why = f"; {self.stopped_by} ended its training" if self.stopped_by else ""
            return (f"  fold {k}: resumed after its last epoch ({self.epochs_saved}{of}{why}), "
                    f"to be evaluated and saved ({self.path})")
        if self.time_budget and self.epochs_planned is not None:  # the time limit counts both legs' time
            of = f" (of up to {self.epochs_planned}, as its {self.time_budget:g}-minute --time-budget allows)"
        return f"  fold {k}: resumed from epoch {self.epochs_saved + 1}{of} ({self.path})"


def latest_fold_run(out_dir: Path, k: int, runs: Path | None = None) -> Path | None:
    """The newest run folder under ``runs`` (default ``MEDDX_HOME/runs``) whose ``config.json`` writes
    fold ``k``'s bundle into ``out_dir`` (``output``: ``out_dir/foldK``, absolute since fold runs record
    it so) and that started no earlier than the cross-validation in ``out_dir`` (its ``cv_plan.json``'s
    ``started``, when recorded), or ``None``."""
    from meddx.core.paths import runs_dir
    from meddx.registry.run_folders import read_json_quietly, started_at

    target = (Path(out_dir) / f"fold{k}").resolve()
    since = cv_started(out_dir)
    found = []
    for folder in Path(runs or runs_dir()).glob(f"*-fold{k}-*"):
        output = read_json_quietly(folder / "config.json").get("output")
        if (isinstance(output, str) and Path(output).resolve() == target
                and (since is None or started_at(folder) >= since)):
            found.append(folder)
    return max(found, key=lambda p: (started_at(p), p.name), default=None)


def cv_started(out_dir: Path) -> float | None:
    """When the cross-validation in ``out_dir`` started (``cv_plan.json``'s ``started``, UTC to the
    second, as run folder names), or ``None`` when not recorded (plans written before it was)."""
    import calendar
    import time

    from meddx.evaluation.cv_plan import PLAN_FILE
    from meddx.registry.run_folders import read_json_quietly

    started = read_json_quietly(Path(out_dir) / PLAN_FILE).get("started")
    try:
        return float(calendar.timegm(time.strptime(started, "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError, OverflowError):
        return None


def saved_epochs(run: Path) -> int:
    """The finished epochs ``run``'s ``last.ckpt`` holds (0 without one, or one that does not read)."""
    last = run / "checkpoints" / "last.ckpt"
    if not last.is_file():
        return 0
    import torch

    try:
        epoch = torch.load(last, map_location="cpu", weights_only=True, mmap=True).get("epoch")
    except Exception:  # noqa: BLE001 (damaged: the resume says why it is not taken up)
        return 0
    return int(epoch) + 1 if isinstance(epoch, int) and epoch >= 0 else 0


def resumable_fold_run(out_dir: Path, k: int, settings: dict[str, Any],
                       runs_then: str | None = None) -> tuple[FoldRun | None, str | None]:
    """Fold ``k``'s interrupted run to continue (see the module docstring), or ``None`` and why not
    (``None`` too when no run of it was left). ``settings``: the cross-validation's recorded config
    (``cv_plan.json``'s ``config``); ``runs_then``: its recorded ``runs`` folder (``MEDDX_HOME/runs``
    when it started)."""
    from meddx.evaluation.cv_plan import UNCOMPARED
    from meddx.registry.run_folders import read_json_quietly
    from meddx.training.checkpoint import checkpoint_problem
    from meddx.training.run import trainer_record

    run = latest_fold_run(out_dir, k)
    if run is None:
        return None, _under_other_home(out_dir, k, runs_then)
    last = run / "checkpoints" / "last.ckpt"
    if not last.is_file():
        return None, f"its run {run} had finished no epoch"
    if (run / "metrics.json").is_file():
        return None, f"its run {run} saved its bundle but the cross-validation did not record it"
    for ckpt in [last, *sorted((run / "members").glob("*/checkpoints/last.ckpt"))]:
        problem = checkpoint_problem(ckpt)  # type: ignore[arg-type]
        if problem:
            return None, f"{ckpt} is not a readable checkpoint ({problem})"
    recorded = read_json_quietly(run / "config.json")
    differ = sorted(key for key in set(settings) | set(recorded) if key not in UNCOMPARED | FOLD_OWN
                    and _json(settings.get(key)) != _json(recorded.get(key)))
    if differ:
        return None, f"its run {run} was started with other settings ({', '.join(differ[:4])})"
    planned = read_json_quietly(run / "plan.json").get("epochs")
    saved, record = saved_epochs(run), trainer_record(run)  # trainer.json: written when its training ended
    ended = record.get("epochs_run") == saved and isinstance(record.get("stopped_by"), str)
    budget = recorded.get("time_budget")
    return FoldRun(run, saved, planned if isinstance(planned, int) else None, ensemble=(run / "members").is_dir(),
                   stopped_by=record["stopped_by"] if ended else None,
                   time_budget=float(budget) if isinstance(budget, (int, float)) else None), None


def _under_other_home(out_dir: Path, k: int, runs_then: str | None) -> str | None:
    """Why fold ``k`` has no run to go on from when ``MEDDX_HOME`` changed since the cross-validation
    started and its run, with a checkpoint, is under the runs folder of then; else ``None``."""
    from meddx.core.paths import runs_dir

    now = Path(runs_dir()).resolve()
    if not runs_then or Path(runs_then) == now or not Path(runs_then).is_dir():
        return None
    run = latest_fold_run(out_dir, k, runs=Path(runs_then))
    if run is None or not (run / "checkpoints" / "last.ckpt").is_file():
        return None
    return (f"its run {run} is under {runs_then}, MEDDX_HOME's runs folder when the cross-validation started, not "
            f"under {now}; to go on from it instead, resume with that MEDDX_HOME")


def interrupted_fold_note(out_dir: Path, k: int) -> str | None:
    """For the Ctrl-C line: ``fold K's N finished epoch(s) in RUN/checkpoints/last.ckpt`` when fold
    ``k``'s run kept any (a resume goes on from them), else ``None`` (also for a run that saved its bundle:
    interrupted before its retraining made a new run, a resume does not go on from it)."""
    run = latest_fold_run(out_dir, k)
    saved = 0 if run is None or (run / "metrics.json").is_file() else saved_epochs(run)
    if not saved:
        return None
    return f"fold {k}'s {saved} finished epoch{'s' if saved != 1 else ''} in {run / 'checkpoints' / 'last.ckpt'}"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)

