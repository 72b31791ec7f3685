"""The training run of a fold that ``meddx cv`` was interrupted in, found again so that ``meddx cv
--resume`` goes on from its last finished epoch instead of retraining the fold from its first.

Each fold trains as ``meddx train`` does (``training.fit`` with a prepared source), into a run folder
``MEDDX_HOME/runs/NAME-foldK-TIME`` that keeps ``checkpoints/last.ckpt`` after every epoch; its
``config.json`` names the fold's bundle folder (``output``: ``FOLDER/foldK``). A resume takes the
newest such run of fold ``K`` of this cross-validation and continues it through training's own resume
(``fit(None, resume=RUN, source=FOLD)``: the run's config and plan, its random states, ``data.json``
checked against the fold's data) when:

- it has a ``last.ckpt`` and no ``metrics.json`` (its bundle was not saved); a run that saved the
  bundle still beside the record (``FOLDER/foldK``, its ``training.run_dir`` this run) but was
  interrupted before cv wrote its ``cv_folds`` record is not trained again: the bundle is reused and
  the fold's held-out part predicted again from it (``saved``; the same bits training computed:
  the same predictor code on the same weights);
- every checkpoint reads whole (``training.checkpoint.checkpoint_problem``; an ensemble's
  ``members/<m>`` too);
- it started no earlier than this cross-validation (``cv_plan.json``'s ``started``: a run left by an earlier
  cross-validation into the same folder is not this one's, whatever it holds) and is not one of the runs
  into the folder that existed when it started (``earlier_runs``: started in the same second, which the time
  alone does not tell apart; plans written before the list have only the time);
- its ``output`` is ``FOLDER/foldK``, or, when the cross-validation folder was moved since it started
  (``cv_plan.json``'s ``folder``), ``OLD/foldK``: the run is then taken up with its ``output`` set to the
  new folder (``retarget``), unless ``OLD`` still holds a cross-validation (a copy: the original's run);
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
    saved: Path | None = None  # the bundle it saved (FOLDER/foldK) before cv recorded the fold: reused
    moved_from: Path | None = None  # the cv folder it writes into, which has moved to this one since
    networks: tuple[Any, ...] = ()  # an ensemble's cv_networks.NetworkState, one per network (its resume line)

    def line(self, k: int) -> str:
        """``fold 2: resumed from epoch 3 of 6 (RUN)``: what the resume does with fold ``k``."""
        if self.saved is not None:
            return (f"  fold {k}: reused ({self.saved}; saved before the interrupt, its record was not: its held-out "
                    f"part is predicted again from it)")
        moved = f"; its bundle goes to this folder, not to {self.moved_from}" if self.moved_from else ""
        return self._line(k)[:-1] + moved + ")"

    def _line(self, k: int) -> str:
        if self.ensemble and self.networks:  # what each network saved and has left, as the Ctrl-C line counts
            from meddx.evaluation.cv_networks import ensemble_line

            return ensemble_line(k, self.networks, self.path, budget=bool(self.time_budget))
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
    it so; or into the folder the cross-validation started in, when it was moved since: :func:`moved_from`)
    and that started no earlier than the cross-validation in ``out_dir`` (its ``cv_plan.json``'s
    ``started``, when recorded), less the ``earlier_runs`` it recorded, or ``None``."""
    from meddx.core.paths import runs_dir
    from meddx.registry.run_folders import read_json_quietly, started_at

    plan = _plan(out_dir)
    targets = {(folder / f"fold{k}").resolve() for folder in (Path(out_dir), _started_in(out_dir, plan)) if folder}
    since, earlier = cv_started(out_dir), set(plan.get("earlier_runs") or [])
    found = []
    for folder in Path(runs or runs_dir()).glob(f"*-fold{k}-*"):
        if folder.name in earlier or (since is not None and started_at(folder) < since):
            continue
        output = read_json_quietly(folder / "config.json").get("output")
        if isinstance(output, str) and Path(output).resolve() in targets:
            found.append(folder)
    return max(found, key=lambda p: (started_at(p), p.name), default=None)


def cv_started(out_dir: Path) -> float | None:
    """When the cross-validation in ``out_dir`` started (``cv_plan.json``'s ``started``, UTC to the
    second, as run folder names), or ``None`` when not recorded (plans written before it was)."""
    return _seconds(_plan(out_dir).get("started"))


def _seconds(started: Any) -> float | None:
    import calendar
    import time

    try:
        return float(calendar.timegm(time.strptime(started, "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError, OverflowError):
        return None


def _plan(out_dir: Path) -> dict[str, Any]:
    from meddx.evaluation.cv_plan import PLAN_FILE
    from meddx.registry.run_folders import read_json_quietly

    return read_json_quietly(Path(out_dir) / PLAN_FILE)


def _started_in(out_dir: Path, plan: dict[str, Any]) -> Path | None:
    """The folder the cross-validation in ``out_dir`` started in (``cv_plan.json``'s ``folder``) when it is
    not ``out_dir`` (the folder was moved or copied since), else ``None`` (also for plans without it)."""
    folder = plan.get("folder")
    if not isinstance(folder, str) or Path(folder).resolve() == Path(out_dir).resolve():
        return None
    return Path(folder)


def moved_from(out_dir: Path, run: Path) -> Path | None:
    """The folder ``run`` writes its fold bundle into when that is the one the cross-validation in
    ``out_dir`` started in, not ``out_dir`` (moved since); ``None`` when it writes into ``out_dir``."""
    from meddx.registry.run_folders import read_json_quietly

    before = _started_in(out_dir, _plan(out_dir))
    output = read_json_quietly(run / "config.json").get("output")
    if before is None or not isinstance(output, str):
        return None
    return before if Path(output).resolve().parent == before.resolve() else None


def earlier_runs(out_dir: Path, started: str) -> list[str]:
    """The names of the fold runs under ``MEDDX_HOME/runs`` that already write into ``out_dir`` when a
    cross-validation starts there at ``started`` (``cv_plan.json``'s), in its second or later: left by an
    earlier cross-validation into the same folder, they are never its own (``cv_plan.json``'s
    ``earlier_runs``); the older ones its ``started`` tells apart."""
    from meddx.core.paths import meddx_home
    from meddx.registry.run_folders import read_json_quietly, started_at

    since, target = _seconds(started), Path(out_dir).resolve()
    runs = meddx_home() / "runs"  # not runs_dir(): that creates the folder
    if since is None or not runs.is_dir():
        return []
    found = []
    for folder in runs.glob("*-fold*-*"):
        if started_at(folder) >= since:
            output = read_json_quietly(folder / "config.json").get("output")
            if isinstance(output, str) and Path(output).resolve().parent == target:
                found.append(folder.name)
    return sorted(found)


def retarget(run: Path, out_dir: Path, k: int) -> None:
    """Point ``run``'s ``config.json`` ``output`` at fold ``k``'s bundle folder in ``out_dir`` (a moved
    cross-validation: training's resume honours an ``output`` edit, with a note), so the bundle is saved
    into the folder the cross-validation is in now, not the one it was moved from."""
    from meddx.core.files import write_json_atomic

    config = json.loads((run / "config.json").read_text())
    config["output"] = str((Path(out_dir) / f"fold{k}").absolute())
    write_json_atomic(run / "config.json", config)


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
    from meddx.evaluation.cv_networks import network_states
    from meddx.evaluation.cv_plan import UNCOMPARED
    from meddx.registry.run_folders import read_json_quietly
    from meddx.training.checkpoint import checkpoint_problem
    from meddx.training.run import trainer_record

    run = latest_fold_run(out_dir, k)
    if run is None:
        return None, _under_other_home(out_dir, k, runs_then) or _moved_unrecorded(out_dir, k)
    last, bundle = run / "checkpoints" / "last.ckpt", saved_bundle(out_dir, k, run)
    if (run / "metrics.json").is_file() and bundle is None:
        return None, f"its run {run} saved its bundle but the cross-validation did not record it"
    moved = moved_from(out_dir, run)
    if bundle is None:  # a run to go on training (a saved bundle is only read, whichever folder holds it)
        if not last.is_file():
            return None, f"its run {run} had finished no epoch"
        if moved is not None and (moved / "cv_plan.json").is_file():
            return None, (f"its run {run} saves into {moved}, where this cross-validation started and which still "
                          "holds one (a copy does not go on from its original's runs: resume that one with meddx cv "
                          f"--resume {moved})")
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
    budget, ensemble = recorded.get("time_budget"), (run / "members").is_dir()
    return FoldRun(run, saved, planned if isinstance(planned, int) else None, ensemble=ensemble,
                   stopped_by=ended_by(record, saved),
                   time_budget=float(budget) if isinstance(budget, (int, float)) else None,
                   saved=bundle, moved_from=None if bundle else moved,
                   networks=network_states(run) if ensemble and bundle is None else ()), None


def saved_bundle(out_dir: Path, k: int, run: Path) -> Path | None:
    """Fold ``k``'s bundle folder in ``out_dir`` when ``run`` saved it (its ``metrics.json`` is written, and
    the bundle's ``config.json`` names ``run`` as its ``training.run_dir``), else ``None``."""
    from meddx.registry.run_folders import read_json_quietly

    bundle = Path(out_dir) / f"fold{k}"
    made_by = (read_json_quietly(bundle / "config.json").get("training") or {}).get("run_dir")
    if not (run / "metrics.json").is_file() or not (bundle / "metrics.json").is_file() or not isinstance(made_by, str):
        return None
    return bundle if Path(made_by).resolve() == Path(run).resolve() else None


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


def _moved_unrecorded(out_dir: Path, k: int) -> str | None:
    """Why fold ``k`` has no run to go on from when its cv folder was moved and its ``cv_plan.json`` (written
    before plans recorded their ``folder``) cannot say from where: the newest run since the cross-validation
    started that saves a ``foldK`` into a folder no longer there is named; else ``None``."""
    from meddx.core.paths import runs_dir
    from meddx.registry.run_folders import read_json_quietly, started_at

    plan, since = _plan(out_dir), cv_started(out_dir)
    if "folder" in plan or since is None:
        return None
    found = []
    for folder in Path(runs_dir()).glob(f"*-fold{k}-*"):
        output = read_json_quietly(folder / "config.json").get("output")
        if (started_at(folder) >= since and isinstance(output, str) and Path(output).name == f"fold{k}"
                and not Path(output).parent.exists() and (folder / "checkpoints" / "last.ckpt").is_file()):
            found.append((started_at(folder), folder.name, folder, output))
    if not found:
        return None
    _, _, run, output = max(found)
    return (f"its run {run} may be this fold's but saves into {output}, a folder no longer there (this one was moved "
            "since?); its cv_plan.json, written by an older meddx, does not record the folder it started in, so the "
            "run is not taken up")


def interrupted_fold_note(out_dir: Path, k: int) -> str | None:
    """For the Ctrl-C line: ``fold K's N finished epoch(s) in RUN/checkpoints/last.ckpt`` when fold
    ``k``'s run kept any (a resume goes on from them); for an ensemble, each network's; ``fold K's bundle
    FOLDER/foldK`` when its run saved it (a resume reuses it); else ``None`` (also for a run that saved a
    bundle no longer there: a resume does not go on from it)."""
    run = latest_fold_run(out_dir, k)
    if run is None:
        return None
    if (run / "metrics.json").is_file():
        bundle = saved_bundle(out_dir, k, run)
        return None if bundle is None else f"fold {k}'s bundle {bundle}, saved before its record (a resume reuses it)"
    networks = network_epochs(run)
    if len(networks) > 1:
        if not any(saved for _, _, saved in networks):
            return None
        kept = [f"network {n}'s {_epochs(saved)} in {last}" if saved else f"network {n}: none yet"
                for n, last, saved in networks]
        return f"fold {k}'s ensemble of {len(networks)} networks: {', '.join(kept)}"
    saved = saved_epochs(run)
    return f"fold {k}'s {_epochs(saved)} in {run / 'checkpoints' / 'last.ckpt'}" if saved else None


def network_epochs(run: Path) -> list[tuple[int, Path, int]]:
    """``(network, its last.ckpt, finished epochs it holds)`` for each network of ``run`` (counted from 1; one
    for a run that is no ensemble): network 1 trains in the run folder, network m+1 in ``members/<m>``."""
    from meddx.registry.run_folders import read_json_quietly
    from meddx.training.members import network_folders

    ensemble = read_json_quietly(run / "config.json").get("ensemble")
    count = ensemble if isinstance(ensemble, int) and ensemble > 1 else None  # None: the members/<m> present
    return [(n, folder / "checkpoints" / "last.ckpt", saved_epochs(folder))
            for n, folder in enumerate(network_folders(run, count), start=1)]


def ended_by(record: dict[str, Any], saved: int) -> str | None:
    """What ended a run's training early (``"early stopping"``, ``"the time limit"``), from its
    ``trainer.json`` ``record``, when that record is of the ``saved`` epochs its ``last.ckpt`` holds
    (written when its training ended); ``None`` otherwise."""
    stopped = record.get("stopped_by")
    return stopped if record.get("epochs_run") == saved and isinstance(stopped, str) else None


def _epochs(n: int) -> str:
    return f"{n} finished epoch{'s' if n != 1 else ''}"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)

