"""Each network of an ensemble (``--ensemble K``) plans, re-plans and records its own epochs.

Network 1 trains in the run folder and follows the run's ``plan.json``; network m+1 trains in
``members/<m>`` and follows ``members/<m>/plan.json``, written when the run starts as a copy of the
starting plan (its share of the time budget). A time-budget re-plan
(:class:`meddx.training.budget.BudgetReplan`) then changes only that network's plan object and
file. Before, all K networks shared one plan object: network 2 started from network 1's
re-planned epochs instead of its own share, the bundle recorded only the last network's epochs,
and a resumed network 2 followed the run's ``plan.json`` (network 1's re-plans).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meddx.training.run import member_dir, read_json, trainer_record


def write_member_plans(run_dir: Path, plan: Any) -> None:
    """Give networks 2..K of a new run their own ``members/<m>/plan.json``: the starting plan,
    so a resume after network 1 re-planned still starts network m from its planned share."""
    for member in range(1, plan.ensemble):
        plan.write(member_dir(run_dir, member) / "plan.json")


def member_plans(run_dir: Path, plan: Any) -> list[Any]:
    """One plan object per network (``plan.ensemble`` of them), none shared: network 1's is
    ``plan`` (the run's ``plan.json``), network m+1's is read from ``members/<m>/plan.json`` (its own
    re-plans included), else a copy of ``plan`` taken now, before network 1 trains (a run started
    before the member plans were written)."""
    plans = [plan]
    for member in range(1, plan.ensemble):
        path = run_dir / "members" / str(member) / "plan.json"
        own = _read_member_plan(path, type(plan)) if path.is_file() else plan.model_copy(deep=True)
        plans.append(own.model_copy(update={"ensemble": plan.ensemble}))  # the run's plan.json decides K
    return plans


def budget_share(run_dir: Path) -> int | None:
    """The epochs each network of a ``--time-budget`` ensemble started from (its share of the
    budget; every ``members/<m>/plan.json`` is written as a copy of that plan): network 1's first
    re-plan's starting epochs, else the epochs its re-planner kept, from its ``last.ckpt``. ``None``
    when that checkpoint holds no re-planner's record (no budget planned the epochs, or written
    before the record). A network that had not started when the run was resumed compares its own
    ``plan.json`` with it: a hand edit there is then followed (``BudgetReplan.planned``) and noted."""
    import torch

    last = Path(run_dir) / "checkpoints" / "last.ckpt"
    if not last.is_file():
        return None
    try:
        saved = torch.load(last, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # noqa: BLE001 - unreadable: network 1's own resume reports it
        return None
    state = next((v for k, v in (saved.get("callbacks") or {}).items() if "BudgetReplan" in str(k)), None)
    if not isinstance(state, dict):
        return None
    history = state.get("history") or []
    first = history[0].get("from") if history and isinstance(history[0], dict) else state.get("budget_epochs")
    return first if isinstance(first, int) and first > 0 else None


LIMIT_REASON = "time_limit"  # the plan's reasons key that records an ensemble network's share


def share_note(budget_minutes: float, networks: int) -> str:
    """What ``reasons.time_limit`` records of an ensemble network whose epochs no budget planned
    (``--epochs``, or a plan file's); a resume finds it there (:func:`network_time_limit`)."""
    return (f"the {budget_minutes:g} min --time-budget is shared by {networks} networks: this one stops at 1.25x "
            f"its {budget_minutes / networks:.3g} min share")


def network_time_limit(config: Any, plan: Any, plan_path: Path, resuming: bool) -> float | None:
    """Minutes of ``--time-budget`` whose 1.25x stops one network whose epochs the budget did not plan
    (``--epochs`` with ``--time-budget``, or a plan file's epochs): an ensemble of K networks gives each
    ``time_budget / K``, the share a budget-only ensemble plans each network's epochs for, recorded in
    its ``plan.json`` (``reasons.time_limit``) before it trains. Before, every network got the whole
    budget's limit, so K networks could take K times the budget (K = 2, 2 min: 5 min of training).

    ``resuming`` (the network has a checkpoint): it keeps the limit it started with; one started before
    this record (no note in its plan) had the whole budget, and keeps it rather than stopping at once.
    A separate reasons key: ``reasons.epochs`` "overridden by the given plan file" is matched whole."""
    budget, k = config.time_budget, int(getattr(plan, "ensemble", 1) or 1)
    if not budget or k <= 1:
        return budget
    note = share_note(budget, k)
    if plan.reasons.get(LIMIT_REASON) == note:
        return budget / k
    if resuming:
        return budget
    plan.reasons[LIMIT_REASON] = note
    plan.write(plan_path)  # one process: ensembles train in one (seg_fit and text_fit refuse several)
    return budget / k


def limit_words(config: Any, limit_minutes: float) -> str:
    """How a note names the minutes a network's time limit is 1.25x of: "the budget", or an ensemble
    network's "its 1 min share of the 2 min budget" (a raise's note said "1.25x the budget x 4/2" of a
    limit that was 1.25x the share x 4/2)."""
    budget = config.time_budget
    if not budget or abs(limit_minutes - budget) <= 1e-9 * budget:
        return "the budget"
    return f"its {limit_minutes:.3g} min share of the {budget:g} min budget"


def replanned(reasons: Any) -> bool:
    """Whether a plan's ``reasons.epochs`` records a re-plan: a network interrupted between its first
    re-plan (written to its ``plan.json``) and its first checkpoint has no checkpoint but epochs away
    from its share that no hand set (it starts again from them and re-plans, as before)."""
    return "re-planned after epoch" in str((reasons or {}).get("epochs", ""))


def _read_member_plan(path: Path, schema: Any) -> Any:
    """A network's own ``plan.json`` as ``schema``; a hand edit it cannot hold ("epochs": 6.5, an unknown
    field) is a one-line ``ConfigError`` naming the file and the field, not a validation traceback."""
    from pydantic import ValidationError

    from meddx.core.errors import ConfigError

    data = read_json(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object of plan fields (as written when the run started), "
                          f"got {type(data).__name__}")
    try:
        return schema(**data)
    except (ValidationError, TypeError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else [{"loc": ("?",), "msg": str(exc)}]
        first = errors[0]
        field = ".".join(str(x) for x in first.get("loc", ())) or "?"
        raise ConfigError(f"{path}: field {field!r}: {first.get('msg')}; fix it (raise \"epochs\" only, as a whole "
                          "number, to train this network longer) and resume") from None


def network_folders(run_dir: Path, k: int | None = None) -> list[Path]:
    """The folders of a run's networks in order: the run folder, then ``members/1``, ``members/2``,
    ... (``k`` of them, or every ``members/<m>`` present)."""
    root = Path(run_dir)
    if k is None:
        k = 1 + sum(1 for p in (root / "members").glob("*") if p.name.isdigit())
    return [root if m == 0 else root / "members" / str(m) for m in range(k)]


def cut_networks(run_dir: Path) -> list[tuple[int, int, dict[str, Any]]]:
    """``(network, networks, cut)`` for each network (counted from 1, of ``networks``) whose
    ``trainer.json`` records a ``cut_epoch``: an epoch the time limit stopped before its last batch."""
    folders = network_folders(run_dir)
    found = []
    for number, folder in enumerate(folders, start=1):
        cut = trainer_record(folder).get("cut_epoch")
        if isinstance(cut, dict):
            found.append((number, len(folders), cut))
    return found
