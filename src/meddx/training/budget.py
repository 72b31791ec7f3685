"""Keep a ``--time-budget`` run inside its budget when the machine's speed changes.

The planner sets the epochs from a speed probe taken before training. A probe taken while
another job loaded the CPU once measured 98.8 ms per sample instead of 5.6 and planned a single
epoch; a probe on an idle machine followed by contention overruns the budget (Lightning's
``max_time`` then cuts the run with the learning rate still high). This callback measures the
real first and second epochs (training + validation) and, when the epochs that fit the rest of
the budget differ by more than 15% from the plan, changes ``max_epochs``, moves the end of the
cosine schedule to the new last step and records the change in ``plan.json``. It checks once
more after a quarter of the planned epochs, from the mean of the epochs since the second: an
HC18 run whose first two epochs shared the CPU with a test run planned 17 epochs at 36 s, ran
them at 19 s, and used 5.5 of its 10.8 training minutes.
Lightning has no callback for this (``Timer``/``max_time`` only stops), hence our own. Like
Lightning's timer, it saves its state in every checkpoint: a resumed run goes on spending the
same budget and makes the re-plans still due. With several processes (DDP) every process runs it
on rank 0's clock (broadcast, as Lightning's timer does): the processes must agree on
``max_epochs`` or the one that stops first leaves the others waiting in a gradient all-reduce.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback

SHARE_FOR_TRAINING = 0.9  # as the planners: 10% of the budget is left for evaluation and saving
MAX_EPOCHS = 1000
LATE_FRACTION = 0.25  # the last check: after this share of the planned epochs (and at least one more epoch)


class BudgetReplan(Callback):
    """Re-fit the number of epochs to ``budget_minutes`` after epochs 1 and 2, and once more after
    a quarter of the planned epochs (every process of a multi-process run alike, on rank 0's clock)."""

    def __init__(self, budget_minutes: float, plan: Any, plan_path: Path | None, tolerance: float = 0.15,
                 replan_after: tuple[int, ...] = (0, 1), late_fraction: float | None = LATE_FRACTION,
                 planned: int | None = None, budget: str = "the budget") -> None:
        self.budget_s = float(budget_minutes) * 60
        self.budget = budget  # what a raise's note calls budget_minutes (an ensemble network's: its share of it)
        # the epochs the budget planned for a network that starts now (its share, when known): a plan
        # edited by hand away from them before it started trains to the user's epochs (_follow_edit)
        self.planned = planned
        self.plan = plan
        self.plan_path = plan_path
        self.tolerance = tolerance
        self.replan_after = replan_after
        self.late_fraction = late_fraction
        self.history: list[dict[str, Any]] = []
        self._start = self._epoch_start = 0.0
        # training seconds before this process started (a resumed run), and at the last epoch's end
        self._offset = self._elapsed = 0.0
        # (time, epoch) where the late check's mean starts; None before epoch 2 and after the check
        self._late_from: tuple[float, int] | None = None
        # the epochs this budget planned (the plan's at the start, then each re-plan's): a plan.json
        # raised above them by hand before a resume trains to the user's epochs (see _follow_raise)
        self._budget_epochs: int | None = None
        # epochs the resumed checkpoint had run (its "epoch" + 1); None on a new run
        self._done: int | None = None

    def state_dict(self) -> dict[str, Any]:
        """Saved in every checkpoint, so a resumed run goes on spending the same budget and makes
        the re-plans still due (the budget's training seconds so far, the late check's start)."""
        return {"elapsed": self._elapsed, "late_from": list(self._late_from) if self._late_from else None,
                "history": list(self.history), "budget_epochs": self._budget_epochs}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._offset = self._elapsed = float(state_dict.get("elapsed", 0.0))
        late = state_dict.get("late_from")
        self._late_from = (float(late[0]), int(late[1])) if late else None
        self.history = list(state_dict.get("history") or [])
        planned = state_dict.get("budget_epochs")  # absent before this record: the last re-plan's, if any
        self._budget_epochs = int(planned) if planned else (int(self.history[-1]["to"]) if self.history else None)

    def on_load_checkpoint(self, trainer: Any, pl_module: Any, checkpoint: dict[str, Any]) -> None:
        # last.ckpt is written at an epoch's end, before Lightning counts it: "epoch" is its index
        epoch = checkpoint.get("epoch")
        self._done = int(epoch) + 1 if isinstance(epoch, int) and epoch >= 0 else None

    def _clock(self) -> float:
        """Training seconds of this run: before the resume (if any) plus since this process started."""
        return self._offset + time.perf_counter() - self._start

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        # After a resume's checkpoint restored this state, and before Lightning's Timer (which runs
        # after meddx's callbacks) checks its restored clock: a spent clock stops the run at once.
        if self._budget_epochs is None and self.planned and int(self.plan.epochs) != int(self.planned):
            self._budget_epochs = int(self.planned)
            self._follow_edit(trainer)
        elif self._budget_epochs is None:  # a new run (a resumed one restored it with the checkpoint)
            self._budget_epochs = int(self.plan.epochs)
        elif int(self.plan.epochs) > self._budget_epochs:
            self._follow_raise(trainer)
        elif int(self.plan.epochs) < self._budget_epochs:  # lowered by hand before it started (_follow_edit):
            # a resume cannot lower epochs, so only that edit leaves them under the budget's; re-plans stay off
            # (before, a network interrupted after its first epoch re-planned them back to its share)
            self.replan_after, self.late_fraction = (), None

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._start = time.perf_counter()

    def _follow_edit(self, trainer: Any) -> None:
        """An ensemble network that had not started when the run was resumed, whose
        ``members/<m>/plan.json`` ``epochs`` was edited by hand away from its share of the budget
        (``planned``): the user chose them, so it trains to them, without re-plans. Before, it
        re-planned them back to its share after its first epoch, with no word of the edit."""
        if int(self.plan.epochs) > int(self.planned or 0):
            self._follow_raise(trainer)
            return
        self.replan_after, self.late_fraction = (), None
        note_in_plan(trainer, self.plan, self.plan_path, (
            f"set to {int(self.plan.epochs)} by hand before this network started (its share of the budget planned "
            f"{self.planned}): no re-plans"))

    def _follow_raise(self, trainer: Any) -> None:
        """A resume of a run whose ``plan.json`` ``epochs`` was raised by hand above the epochs this
        budget planned: the user chose the epochs, so no re-plan takes them back, and Lightning's
        ``max_time`` (1.25x the budget, its clock restored from the checkpoint) grows with them.
        Before, the re-planner and the restored clock ended the resumed run at about the budget: a
        run raised from 1 to 6 epochs stopped after epoch 2, though the resume's note said
        "training goes on to epoch 6". Every process of a multi-process run decides alike (the same
        plan and checkpoint), so they agree on ``max_epochs``."""
        raised, planned = int(self.plan.epochs), int(self._budget_epochs or 1)
        self.replan_after, self.late_fraction = (), None
        note = (f"raised to {raised} by hand at a resume: no more re-plans, and the time limit is "
                f"1.25x {self.budget} x {raised}/{planned}, or 1.25x the time the epochs left take at the "
                "run's pace if longer")
        grow_time_limit(trainer, self.budget_s, raised, planned, self._done)
        note_in_plan(trainer, self.plan, self.plan_path, note)

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._epoch_start = self._clock()

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        # Runs after this epoch's validation, so the measured time is a whole epoch.
        epoch = trainer.current_epoch
        now = self._elapsed = self._clock()
        if trainer.should_stop:
            return
        if epoch in self.replan_after:
            self._replan(trainer, epoch, now - self._epoch_start, now)
            if epoch == max(self.replan_after):
                self._late_from = (now, epoch + 1)
            return
        if self._late_from is None or self.late_fraction is None:
            return
        since, first = self._late_from
        planned = int(trainer.fit_loop.max_epochs)
        if epoch + 1 < math.ceil(self.late_fraction * planned) or epoch + 1 >= planned:
            return  # too early, or the last epoch (extending it would restart a finished schedule)
        self._late_from = None
        span = f"epoch {epoch + 1}" if epoch == first else f"mean of epochs {first + 1}-{epoch + 1}"
        self._replan(trainer, epoch, (now - since) / (epoch + 1 - first), now, f" ({span})")

    def _replan(self, trainer: Any, epoch: int, took: float, now: float, span: str = "") -> None:
        """Set the epochs that fit the rest of the budget at ``took`` seconds each (measured over
        ``span``), when they differ from the plan by more than the tolerance."""
        old = own = int(trainer.fit_loop.max_epochs)
        if int(getattr(trainer, "world_size", 1)) > 1:
            # every process takes rank 0's decision, from rank 0's clock and epochs: they must agree
            took, now, old = trainer.strategy.broadcast((float(took), float(now), own), src=0)
        took = max(took, 1e-6)
        remaining = self.budget_s * SHARE_FOR_TRAINING - now
        new = int(min(MAX_EPOCHS, epoch + 1 + max(0, int(remaining // took))))
        if abs(new - old) <= max(1.0, self.tolerance * old):
            new = old  # within the tolerance: rank 0's epochs stay (and another process's plan follows them)
        if new == own:
            return
        trainer.fit_loop.max_epochs = new
        _retarget_schedules(trainer, int(trainer.num_training_batches) * new)
        self.history.append({"after_epoch": epoch + 1, "seconds_per_epoch": round(took, 3), "from": old, "to": new})
        self.plan.epochs = self._budget_epochs = new
        reason = (f"re-planned after epoch {epoch + 1}: {took:.1f} s{span} per epoch measured, "
                  f"{old} -> {new} epochs to fit the budget")
        self.plan.reasons["epochs"] = f"{self.plan.reasons.get('epochs', '')}; {reason}".lstrip("; ")
        if self.plan_path is not None and getattr(trainer, "is_global_zero", True):  # one writer of plan.json
            self.plan.write(self.plan_path)


class RaisedEpochsTimeLimit(Callback):
    """A resumed run with both ``--epochs`` and ``--time-budget`` (no re-planner: the budget only
    stops it, at 1.25x) whose ``plan.json`` ``epochs`` was raised by hand: the time limit grows with
    the raise as :meth:`BudgetReplan._follow_raise` grows it. Before, the checkpoint restored
    Lightning's clock and the raised epochs were cut at about 1.25x the budget, though the resume's
    note said "training goes on to epoch N"."""

    def __init__(self, budget_minutes: float, plan: Any, plan_path: Path | None, budget: str = "the budget") -> None:
        self.budget_s, self.plan, self.plan_path = float(budget_minutes) * 60, plan, plan_path
        self.budget = budget  # what the note calls budget_minutes (an ensemble network's: its share of the budget)
        self._done: int | None = None  # epochs the checkpoint had run
        self._planned: int | None = None  # the epochs of the plan it was training under
        # the epochs the budget's time limit was set for (before any raise), kept in the checkpoints this
        # callback's resume writes: the checkpoint's plan record holds the raised epochs then, and Lightning's
        # Timer restores its clock but not its grown limit, so a raised run interrupted again and resumed
        # stopped at once at the base 1.25x the budget (a 2-epoch run raised to 6 ended at 4 epochs)
        self._first: int | None = None

    def state_dict(self) -> dict[str, Any]:
        return {"planned": self._first}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        first = state_dict.get("planned")
        self._first = first if isinstance(first, int) and first > 0 else None

    def on_load_checkpoint(self, trainer: Any, pl_module: Any, checkpoint: dict[str, Any]) -> None:
        from meddx.training.resume_edits import PLAN_KEY

        epoch, planned = checkpoint.get("epoch"), (checkpoint.get(PLAN_KEY) or {}).get("epochs")
        self._done = int(epoch) + 1 if isinstance(epoch, int) and epoch >= 0 else None
        self._planned = planned if isinstance(planned, int) and planned > 0 else None  # None: written before

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:  # before Lightning's Timer checks its clock
        if self._first is None:  # the first resume: the plan the checkpoint trained under, before the raise
            self._first = self._planned
        self._planned = self._first
        raised = int(self.plan.epochs)
        if self._planned is None or raised <= self._planned:
            return
        limit = grow_time_limit(trainer, self.budget_s, raised, self._planned, self._done)
        note_in_plan(trainer, self.plan, self.plan_path, (
            f"raised to {raised} by hand at a resume: the --time-budget's time limit grows with it, to "
            f"{limit / 60:.3g} min of training (1.25x {self.budget} x {raised}/{self._planned}, or 1.25x the time the "
            "epochs left take at the run's pace if longer)"))


def grow_time_limit(trainer: Any, budget_s: float, raised: int, planned: int, done: int | None) -> float:
    """Give Lightning's ``max_time`` (its clock restored from the checkpoint) room for epochs raised
    from ``planned`` to ``raised``: 1.25x the budget x raised / planned, or, when longer, the time
    spent plus 1.25x the epochs left at the run's own pace (``done`` epochs in that time). A run
    that overran its budget (the time limit cut an epoch) ran slower than the budget planned:
    raised from 10 to 11 epochs after 8 had taken 75 s, the scale alone left it 7.5 s, less than one
    of its 9.4 s epochs, and the time limit cut it again at epoch 9. Returns the new limit (s)."""
    from lightning.pytorch.callbacks import Timer

    limit = budget_s * 1.25 * raised / max(1, planned)
    for callback in getattr(trainer, "callbacks", []):
        if isinstance(callback, Timer) and callback._duration:  # Lightning keeps no public setter
            elapsed = callback.time_elapsed()
            if done and raised > done:
                limit = max(limit, elapsed + 1.25 * (raised - done) * elapsed / done)
            callback._duration = limit
    return limit


def note_in_plan(trainer: Any, plan: Any, plan_path: Path | None, note: str) -> None:
    """Append ``note`` to ``reasons.epochs`` (once) and write ``plan.json`` from rank 0."""
    if note not in plan.reasons.get("epochs", ""):
        plan.reasons["epochs"] = f"{plan.reasons.get('epochs', '')}; {note}".lstrip("; ")
        if plan_path is not None and getattr(trainer, "is_global_zero", True):  # one writer of plan.json
            plan.write(plan_path)


class ScheduleToPlan(Callback):
    """On a resumed run, end the cosine schedule at the plan's last step.

    The checkpoint restores the schedule it was saved with. After ``plan.json`` was edited to
    train longer, that schedule had already reached rate 0, so the extra epochs ran without
    changing a weight. This moves its end to the plan's epochs (a smaller warm restart, then
    the cosine down to 0 again) before the first resumed step; an unchanged plan is untouched.
    """

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        total = int(trainer.estimated_stepping_batches)
        if any(getattr(fn, "total", total) != total for config in trainer.lr_scheduler_configs
               for fn in getattr(config.scheduler, "lr_lambdas", [])):
            _retarget_schedules(trainer, total)


def _retarget_schedules(trainer: Any, total_steps: int) -> None:
    """Move the end of every ``WarmupCosine`` schedule to ``total_steps`` and set the rate of the
    next step from it (the scheduler already computed that rate from the old end)."""
    for config in trainer.lr_scheduler_configs:
        scheduler = config.scheduler
        lambdas = getattr(scheduler, "lr_lambdas", [])
        if not any(hasattr(fn, "retarget") for fn in lambdas):
            continue
        for fn in lambdas:
            if hasattr(fn, "retarget"):
                fn.retarget(total_steps)
        for group, base, fn in zip(scheduler.optimizer.param_groups, scheduler.base_lrs, lambdas):
            group["lr"] = base * fn(scheduler.last_epoch)
        scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]
