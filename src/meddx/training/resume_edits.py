"""What ``--resume`` does with a run's edited ``config.json`` and ``plan.json``.

A resume reads the run's own ``config.json``. Before, only ``lr`` and ``weight_decay`` edits were
refused (the restored optimiser keeps the first; ``run.check_resumable``); any other edit went
through without a word: ``batch_size``, ``augment``, ``class_weights`` or ``epochs`` were ignored
(the run's ``plan.json`` decides them), ``seed``, ``precision`` or ``label_smoothing`` changed the
remaining epochs while the bundle recorded the edit as if it had held from the start.

Every checkpoint now carries the config the run trained with (:class:`ConfigRecord`), and
:func:`check_config_edits` compares ``config.json`` with it before anything is read or trained:

- fields that act only after training (the operating point, calibration, confidence intervals,
  the model card's text, the bundle's name and place, test evaluation, registration, thread
  count) are honoured, and a note names each edit: choosing them again is what a resume is for;
- fields the run's ``plan.json`` resolved (model, size, epochs, batch size, augmentation, class
  weights, ...) are refused: a resume follows ``plan.json``, where ``epochs`` can be raised;
- every other field shaped the epochs already trained (data reading, seed, precision, loss,
  privacy, processes, budget) and is refused: the bundle would misdescribe the run.

A checkpoint from before the record (no ``meddx_config``) is resumed as before, unchecked.

``plan.json`` is held to the same policy (:func:`check_plan_edits`; before, any edit of it went
through, so ``batch_size``, ``augment`` or ``class_weights`` changed half-way through a run that
the bundle described as trained under the new plan): every checkpoint also records the plan the
run was training under at that epoch (``meddx_plan``, the time-budget re-plans included), a raised
``epochs`` is honoured with a note (the run trains longer), the series ``baseline`` (fitted after
training) is honoured with a note, and every other edit is refused naming the field and why.
Checkpoints from before this record resume with ``plan.json`` unchecked.
An ensemble's later networks follow their own ``members/<m>/plan.json``: each is checked against
that network's own last checkpoint the same way, and one that has not trained yet against the
run's ``plan.json`` (its epochs apart).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

from lightning.pytorch.callbacks import Callback

from meddx.core.errors import ConfigError

KEY = "meddx_config"  # where checkpoints hold the config the run trained with
PLAN_KEY = "meddx_plan"  # ... and the plan it was training under

# act after the last epoch (or only on speed): a resume honours an edit, with a note
AFTER_TRAINING = frozenset({
    "name", "output", "add_to_registry", "threshold_rule", "per_class_thresholds", "calibrate", "ci_resamples",
    "verify", "attributes", "intended_use", "outcome", "tta", "evaluate_test", "largest_component", "num_threads",
    "seg_tta",
})
# resolved into plan.json when the run started; a resume follows plan.json
PLANNED = frozenset({
    "model", "model_args", "image_size", "channels", "augment", "epochs", "batch_size", "class_weights",
    "early_stopping_patience", "checkpoint", "patch_size", "target_spacing", "ensemble", "tokenizer", "vocab_size",
    "max_length", "embedding_init", "resample",
})
# plan.json fields never compared: the planner's explanations and measurements
PLAN_UNCOMPARED = frozenset({"reasons", "seconds_per_sample"})
# plan.json fields acting after the last epoch (the series baseline is fitted after the network)
PLAN_AFTER_TRAINING = frozenset({"baseline"})


class ConfigRecord(Callback):
    """Put the run's config (as its ``config.json`` held it when training started) in every checkpoint,
    and the plan as it stands at that epoch (``plan`` is read at each save: a time-budget re-plan
    changes its ``epochs`` while training, and writes ``plan.json`` before the epoch's checkpoint)."""

    def __init__(self, config: dict[str, Any], plan: Any = None) -> None:
        self.config = json.loads(json.dumps(config, default=str))  # plain JSON values: loads with weights_only
        self.plan = plan

    def on_save_checkpoint(self, trainer: Any, pl_module: Any, checkpoint: dict[str, Any]) -> None:
        checkpoint[KEY] = self.config
        if hasattr(self.plan, "model_dump"):  # as plan.write puts it in plan.json
            from meddx.core.files import to_json

            checkpoint[PLAN_KEY] = json.loads(to_json(self.plan.model_dump()))


def check_config_edits(run_dir: Path, config: Any, checkpoint: Path, plan: dict[str, Any] | None = None) -> None:
    """Refuse ``config.json`` and ``plan.json`` edits a resume cannot honour; print a note for those it honours.

    ``config``: the validated ``config.json``; ``plan``: the run's ``plan.json`` (an ``epochs``
    edit made in both files alike is honoured, since the plan carries it), compared with the
    checkpoint's plan record by :func:`check_plan_edits`."""
    import torch

    saved = torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True)
    _check_config(run_dir, config, saved.get(KEY), plan)
    if isinstance(plan, dict) and isinstance(saved.get(PLAN_KEY), dict):  # else written before the plan record
        check_plan_edits(run_dir, plan, saved[PLAN_KEY])
    _check_member_plans(run_dir, plan)


def _check_member_plans(run_dir: Path, run_plan: dict[str, Any] | None = None) -> None:
    """:func:`check_plan_edits` for each later network of an ensemble that has trained: its own
    ``members/<m>/plan.json`` (``training.members``) against the plan its last checkpoint recorded,
    so an edit there is held to the run's policy (raised ``epochs`` honoured, the rest refused).
    A network that has not trained yet is held to the run's ``plan.json`` (``run_plan``) instead."""
    import torch

    from meddx.training.run import read_json

    members = run_dir / "members"
    for folder in sorted(members.glob("*"), key=lambda p: int(p.name) if p.name.isdigit() else -1):
        last, path = folder / "checkpoints" / "last.ckpt", folder / "plan.json"
        if folder.name.isdigit() and path.is_file() and not last.is_file() and isinstance(run_plan, dict):
            from meddx.training.members import budget_share, replanned

            plan = read_json(path)
            by_hand = isinstance(plan, dict) and not replanned(plan.get("reasons"))
            _check_untrained_member(path, plan, run_plan, budget_share(run_dir) if by_hand else None)
            continue
        if not (folder.name.isdigit() and last.is_file() and path.is_file()):
            continue  # not a network folder
        try:
            started = torch.load(last, map_location="cpu", weights_only=True, mmap=True).get(PLAN_KEY)
        except Exception:  # noqa: BLE001 - an unreadable checkpoint: the network's own resume reports it
            continue
        plan = read_json(path)
        if isinstance(started, dict) and isinstance(plan, dict):  # else written before the plan record
            check_plan_edits(folder, plan, started)


def _check_untrained_member(path: Path, plan: Any, run_plan: dict[str, Any], share: int | None = None) -> None:
    """Refuse an edit of a network that has not trained yet in its ``members/<m>/plan.json``, but
    for its ``epochs``: it was written as a copy of the run's plan when the run started, and the
    bundle records the run's plan (``training.plan``) for every network, with only each network's
    epochs (``training.networks``). Before, such an edit (``batch_size``, ``augment``, the model)
    went through unchecked: the network trained under it while the bundle described the run's.
    ``share``: the epochs the time budget planned for each network (``members.budget_share``); an
    ``epochs`` edited away from it is honoured with a note (the network trains to it, without re-plans)."""
    if not isinstance(plan, dict):
        return  # members.member_plans refuses it, naming the file
    absent = object()
    exempt = PLAN_UNCOMPARED | PLAN_AFTER_TRAINING | {"epochs", "ensemble"}  # its own share; the run's K
    edited = [k for k in {**run_plan, **plan} if k not in exempt and plan.get(k, absent) != run_plan.get(k, absent)]

    def shown(value: Any) -> str:
        return "absent" if value is absent else _shown(value)

    _refuse_or_note(path, edited, lambda k: (
        f"{k} {shown(plan.get(k, absent))} differs from the {shown(run_plan.get(k, absent))} of the run's plan.json "
        "(this network has not trained yet; an ensemble's networks share one plan, their epochs apart, and the "
        "bundle records it for all of them); restore it, or start a new run with this plan.json as --plan"),
        [f"epochs {plan['epochs']} (its share of the time budget planned {share}; this network trains "
         f"{plan['epochs']} epochs, without re-plans)"] if share and isinstance(plan.get("epochs"), int)
        and plan["epochs"] != share else [], "edits a resume honours")


def _check_config(run_dir: Path, config: Any, started: Any, plan: dict[str, Any] | None) -> None:
    """:func:`check_config_edits` for ``config.json`` against ``started``, the checkpoint's record."""
    if not isinstance(started, dict):
        return  # written before the record existed
    now = json.loads(json.dumps(config.model_dump(mode="json"), default=str))
    edits = {k: (started[k], now[k]) for k in now if k in started and started[k] != now[k] and k != "data"}
    if (plan or {}).get("epochs") is not None and edits.get("epochs", (None, None))[1] == plan["epochs"]:
        edits.pop("epochs")  # raised in plan.json too, the documented way: nothing is ignored
    refused = [k for k in edits if k not in AFTER_TRAINING]
    _refuse_or_note(run_dir / "config.json", refused,
                    lambda k: (f"{k} {_shown(edits[k][1])} differs from the {_shown(edits[k][0])} the run started "
                               f"with ({_why(k, plan or {})}); restore it, or start a new run"),
                    [f"{k} {_shown(new)} (was {_shown(old)})" for k, (old, new) in edits.items()],
                    "edits a resume honours (they act after training)")


def _refuse_or_note(path: Path, refused: list[str], refusal: Callable[[str], str], honoured: list[str],
                    heading: str) -> None:
    """The end both checks share: a one-line ``ConfigError`` for the first refused edit
    (``refusal(field)`` says why; the other refused fields are named after it), else a note on
    stderr listing the ``honoured`` edits under ``heading`` (written by rank 0 alone under torchrun);
    nothing when there is neither."""
    from meddx.training.distributed import elastic_rank
    from meddx.training.resume_transfer import shown_run

    path = shown_run(path.parent) / path.name  # under torchrun: rank 0's run, not this process's private copy
    if refused:
        raise ConfigError(f"{path}: {refusal(refused[0])}"
                          + (f" (also edited: {', '.join(refused[1:])})" if refused[1:] else ""))
    if honoured and not elastic_rank():  # every process reads the same files: rank 0's note says it once
        sys.stderr.write(f"meddx: note: {path}: {heading}: {', '.join(honoured)}\n")


def _shown(value: Any) -> str:
    """A config value as config.json spells it (``null``, ``true``, ``"light"``)."""
    return json.dumps(value)


def _why(field: str, plan: dict[str, Any]) -> str:
    """Why a resume cannot honour an edit of ``field``."""
    says = f", which says {_shown(plan[field])}" if field in plan else ""
    if field == "epochs":
        return f"a resume trains for the epochs of its plan.json{says}: to train longer raise \"epochs\" there"
    if field in PLANNED:
        return f"the run's plan.json resolved it when the run started{says}, and a resume follows plan.json"
    return "the epochs already trained used the first value, and the bundle would record the edit for all of them"


def check_plan_edits(run_dir: Path, plan: dict[str, Any], started: dict[str, Any]) -> None:
    """Refuse ``plan.json`` edits a resume cannot honour; print a note for those it honours.

    ``plan``: the run's ``plan.json`` now; ``started``: the plan the checkpoint's epochs trained
    under. A raised ``epochs`` trains longer (the documented edit) and the series ``baseline`` is
    fitted after training: both are honoured. Every other edit (``batch_size``, ``augment``,
    ``class_weights``, a lowered ``epochs``, ...) is refused: the epochs already trained followed the
    first plan, and the bundle would record the edit for all of them."""
    absent = object()  # a field deleted from plan.json: the schema's default would replace it
    edits = {k: (old, plan.get(k, absent)) for k, old in started.items()
             if k not in PLAN_UNCOMPARED and k not in _checked_later(plan) and plan.get(k, absent) != old}
    honoured = {k: v for k, v in edits.items() if k in PLAN_AFTER_TRAINING or _raised_epochs(k, *v)}
    refused = [k for k in edits if k not in honoured]

    def refusal(k: str) -> str:
        old, new = edits[k]
        now = "is absent" if new is absent else f"{_shown(new)} differs from the {_shown(old)} the run started with"
        return f"{k} {now} ({_plan_why(k, old)}); restore it, or start a new run with this plan.json as --plan"

    _refuse_or_note(run_dir / "plan.json", refused, refusal,
                    [f"{k} {_shown(new)} (was {_shown(old)}" + (f"; training goes on to epoch {new})"
                                                               if k == "epochs" else ")")
                     for k, (old, new) in honoured.items()],
                    "edits a resume honours")


def _checked_later(plan: dict[str, Any]) -> frozenset[str]:
    """Fields refused later with their own message: the network (``run.check_resumable`` compares
    it with the checkpoint's, for every task kind) and an image run's input size and channels
    (``run.check_planned_input`` compares them with the fitted ``normalization``)."""
    image = isinstance(plan.get("normalization"), dict) and "spatial_size" in plan["normalization"]
    return frozenset({"model", "model_args"} | ({"image_size", "channels"} if image else set()))


def _raised_epochs(field: str, old: Any, new: Any) -> bool:
    """Whether ``epochs`` went up: a resume then trains longer, its schedule stretched to the new end."""
    return field == "epochs" and isinstance(old, int) and isinstance(new, int) and new > old


def _plan_why(field: str, old: Any) -> str:
    """Why a resume cannot honour an edit of plan.json ``field``."""
    if field == "epochs":
        return (f"a resume can raise epochs to train longer, not lower them: the epochs already trained followed "
                f"a learning-rate schedule planned for {_shown(old)}")
    if field == "early_stopping_patience":
        return "the checkpoint's early stopping restores the first patience: the edit would be ignored"
    if field == "checkpoint":
        return "it also decides whether early stopping runs, and the epochs already trained ran under the first"
    if field == "largest_component":
        return "config.json largest_component decides the post-processing, and a resume honours an edit there"
    return "the epochs already trained used the first value, and the bundle would record the edit for all of them"
