"""An ensemble network's epochs lowered by hand before it started stay the user's after a resume.

Found by a review: ``BudgetReplan._follow_edit`` turned the re-plans off for the network's first
leg only; its checkpoint kept the budget's epochs (its share) but not that choice, so the network,
interrupted after its first epoch and resumed, re-planned at epoch 2 back towards its share.
"""

from __future__ import annotations

from types import SimpleNamespace

from meddx.training.budget import BudgetReplan


def _trainer() -> SimpleNamespace:
    return SimpleNamespace(callbacks=[], is_global_zero=True)


def test_a_lowered_edit_keeps_re_plans_off_after_a_resume() -> None:
    plan = SimpleNamespace(epochs=3, reasons={"epochs": "default"})
    first = BudgetReplan(1.0, plan, None, planned=6)  # its share of the budget planned 6; edited to 3
    first.on_fit_start(_trainer(), None)
    assert first.replan_after == () and "set to 3 by hand" in plan.reasons["epochs"]

    resumed = BudgetReplan(1.0, plan, None)  # the resume: the network has a checkpoint, no share is passed
    resumed.load_state_dict(first.state_dict())
    resumed.on_fit_start(_trainer(), None)
    assert resumed.replan_after == () and resumed.late_fraction is None


def test_a_plan_at_its_share_still_re_plans() -> None:  # a guard: the budget's own epochs are re-planned
    plan = SimpleNamespace(epochs=6, reasons={"epochs": "default"})
    first = BudgetReplan(1.0, plan, None, planned=6)
    first.on_fit_start(_trainer(), None)
    resumed = BudgetReplan(1.0, plan, None)
    resumed.load_state_dict(first.state_dict())
    resumed.on_fit_start(_trainer(), None)
    assert resumed.replan_after == (0, 1)
