"""A ``--time-budget`` too small for even one epoch of an image classifier or segmenter: said on stderr and in
``plan.json``.

The planner fits whole epochs into the budget (``plan.plan_epochs``) and plans at least one. With a
budget under one epoch (``--time-budget 0.0001``), one epoch was planned and trained without a word:
an epoch of one batch whole (far over the budget), a longer one cut by the time limit after its first
batches (the warning after training said so, but not why). The plan's ``reasons.epochs`` now records
the shortfall and a note says it before training: the share of an epoch the budget allows, roughly how
long an epoch takes at the measured speed, what is trained, and the budget that fits a whole epoch.
Documents train the batches that fit instead (``text_plan``'s ``train_batches``), with a note of their own.
Segmentation (``seg_fit``) plans one epoch the same way and says so the same way (:func:`seg_short_budget`).
"""

from __future__ import annotations

import math
import sys
from typing import Any


def short_budget(plan: Any, n_train: int, budget_minutes: float, processes: int = 1) -> Any:
    """``plan`` (epochs fitted to ``budget_minutes`` on ``n_train`` samples by ``plan_epochs``, its
    ``seconds_per_sample`` measured) with the shortfall added to ``reasons.epochs`` and said on stderr
    when less than one epoch fits the budget; unchanged otherwise."""
    from meddx.training.budget_words import duration_words
    from meddx.training.plan import epochs_in_budget

    if not plan.seconds_per_sample or not budget_minutes:
        return plan
    processes = max(1, int(processes))
    fraction = epochs_in_budget(n_train, budget_minutes, plan.seconds_per_sample, processes)
    if fraction >= 1:
        return plan
    one_epoch = budget_minutes / max(fraction, 1e-12)  # minutes of budget one epoch needs
    batches = math.ceil(math.ceil(n_train / processes) / plan.batch_size)
    took = f"about {duration_words(one_epoch)} at {plan.seconds_per_sample * 1000:.1f} ms measured per sample"
    return _said(plan, f"{budget_minutes:g} min", fraction, one_epoch, batches, took)


def seg_short_budget(plan: Any, n_patches: int, budget_minutes: float, val_seconds: float) -> Any:
    """The same for a segmentation ``plan`` whose epochs ``seg_plan.epochs_for_budget`` fitted to
    ``budget_minutes`` (the whole ``--time-budget``; each of ``plan.ensemble`` networks trains on its share):
    an epoch is ``n_patches`` training patches at the measured ``seconds_per_sample`` and a validation pass
    of ``val_seconds``, with the 10% that planner keeps back. The epoch is cut as an image classifier's is (the
    time limit, 1.25x the share, after the batches that fit); the budget suggested covers every network."""
    from meddx.training.budget_words import duration_words

    networks = max(1, int(getattr(plan, "ensemble", 1) or 1))
    if not plan.seconds_per_sample or not budget_minutes:
        return plan
    share = budget_minutes / networks
    per_epoch = n_patches * plan.seconds_per_sample + val_seconds
    fraction = share * 60 * 0.9 / max(per_epoch, 1e-9)
    if fraction >= 1:
        return plan
    one_epoch = share / max(fraction, 1e-12)
    batches = math.ceil(n_patches / plan.batch_size)
    took = (f"about {duration_words(one_epoch)} at {plan.seconds_per_sample * 1000:.1f} ms measured per patch and "
            f"{val_seconds:.2g} s of validation")
    budget = f"{budget_minutes:g} min" + (f" ({share:.2g} min for each of {networks} networks)" if networks > 1 else "")
    return _said(plan, budget, fraction, one_epoch * networks, batches, took)


def _said(plan: Any, budget: str, fraction: float, whole: float, batches: int, took: str) -> Any:
    """``plan`` with the shortfall in ``reasons.epochs``, said on stderr: ``budget`` as given (``"0.01 min"``),
    the ``fraction`` of an epoch it allows, ``whole``: the minutes of ``--time-budget`` a whole epoch needs."""
    from meddx.training.budget_words import budget_for

    trained = ("its one batch is trained whole, over the budget" if batches == 1 else
               f"the time limit (1.25x the budget) cuts it after the batches that fit (at least 1 of its {batches})")
    reason = f"the {budget} budget is {fraction:.2%} of one epoch ({took}): 1 epoch planned; {trained}"
    data = plan.model_dump()
    data["reasons"]["epochs"] = f"{data['reasons'].get('epochs', '')}; {reason}".lstrip("; ")
    sys.stderr.write(f"meddx: note: --time-budget {budget} is shorter than one epoch ({took}): one "
                     f"epoch is planned: {trained}; give --time-budget {budget_for(whole):g} or more for a "
                     "whole epoch (plan.json: reasons.epochs)\n")
    return type(plan)(**data)
