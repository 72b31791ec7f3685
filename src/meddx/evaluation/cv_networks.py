"""What ``meddx cv --resume`` says of an interrupted ensemble fold (``--ensemble K``), network by network.

Network 1 trains in the fold's run folder, network m+1 in ``members/<m>``, one after the other, each
with its own ``last.ckpt``, ``plan.json`` (its epochs, after its own time-budget re-plans) and
``trainer.json`` (written when its training ended). The Ctrl-C line counts each network's finished
epochs (``cv_fold_runs.interrupted_fold_note``); the resume line said only "each network of its
ensemble from its last finished epoch". It now says, per network and in the same words, what is
saved and what is left: ``network 1's 3 finished epochs, none left; network 2's 1 finished epoch,
2 left; network 3: none yet, 3 to train``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NetworkState:
    """One network of an interrupted ensemble run: its number (from 1), the finished epochs its
    ``last.ckpt`` holds, the epochs its plan asks for (``None`` when unknown) and what ended its
    training early (``"early stopping"``, ``"the time limit"``), if anything did."""

    number: int
    saved: int
    planned: int | None
    stopped_by: str | None = None

    @property
    def done(self) -> bool:
        """Its training ended: its planned epochs saved, or early stopping or the time limit ended it."""
        return bool(self.stopped_by) or (self.saved > 0 and self.planned is not None and self.saved >= self.planned)

    def text(self, budget: bool = False) -> str:
        """``network 2's 1 finished epoch, 2 left``; ``budget``: the epochs are a --time-budget's upper
        bound (its time limit may end the network sooner), so ``up to 2 left``."""
        from meddx.evaluation.cv_fold_runs import _epochs as epochs_text  # the Ctrl-C line's words

        up_to = "up to " if budget else ""
        if not self.saved:
            return f"network {self.number}: none yet" + (
                f", {up_to}{self.planned} to train" if self.planned is not None else "")
        head = f"network {self.number}'s {epochs_text(self.saved)}"
        if self.stopped_by:
            return f"{head}, none left ({self.stopped_by} ended its training)"
        if self.planned is None:
            return head
        left = self.planned - self.saved
        return f"{head}, none left" if left <= 0 else f"{head}, {up_to}{left} left"


def network_states(run: Path) -> tuple[NetworkState, ...]:
    """Each network of ``run`` (one for a run that is no ensemble): finished epochs, planned epochs
    (its own ``plan.json``; a member without one follows the run's, as training's ``member_plans``),
    and the cause that ended it when its ``trainer.json`` records one for the epochs it holds."""
    from meddx.evaluation.cv_fold_runs import ended_by, network_epochs
    from meddx.registry.run_folders import read_json_quietly
    from meddx.training.run import trainer_record

    run_planned = read_json_quietly(Path(run) / "plan.json").get("epochs")
    states = []
    for number, last, saved in network_epochs(run):
        folder = last.parent.parent
        own = read_json_quietly(folder / "plan.json").get("epochs") if number > 1 else run_planned
        planned = own if isinstance(own, int) else run_planned
        record = trainer_record(folder)
        states.append(NetworkState(number, saved, planned if isinstance(planned, int) else None,
                                   ended_by(record, saved) if saved > 0 else None))
    return tuple(states)


def ensemble_line(k: int, states: tuple[NetworkState, ...], run: Path, budget: bool = False) -> str:
    """``  fold 1: resumed, its ensemble of 3 networks each from its last finished epoch: network 1's ...
    (RUN)``: the resume line of ensemble fold ``k`` (``resumed after the last epoch of each network ...,
    to be evaluated and saved`` when every network's training had ended)."""
    parts = "; ".join(state.text(budget) for state in states)
    if states and all(state.done for state in states):  # interrupted while evaluated or saved
        return (f"  fold {k}: resumed after the last epoch of each network of its ensemble of {len(states)} "
                f"({parts}), to be evaluated and saved ({run})")
    return (f"  fold {k}: resumed, its ensemble of {len(states)} networks each from its last finished epoch: "
            f"{parts} ({run})")
