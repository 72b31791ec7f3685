"""Counts read as English: the demo's plan line said "1 epochs", ``meddx explain`` "written: 1 files"
(found by the README walk)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace


def test_the_demo_plan_line_says_1_epoch_and_3_epochs() -> None:
    from meddx.cli.demo import plan_line

    plan = SimpleNamespace(model="resnet18", model_args={"width": 16}, epochs=1, augment="light", checkpoint="best")
    assert plan_line(plan, Path("runs/r")) == (f"plan: resnet18 (width 16), 1 epoch, augmentation 'light', kept the "
                                               f"best epoch (reasons in {Path('runs/r') / 'plan.json'})")
    plan.epochs, plan.model_args = 3, {}
    assert plan_line(plan, Path("runs/r")).startswith("plan: resnet18, 3 epochs, augmentation")


def test_explain_says_1_file_and_2_files() -> None:
    from meddx.cli.explain import written_line

    assert written_line(1, Path("out")) == f"written: 1 file in {Path('out')}"
    assert written_line(2, Path("out")) == f"written: 2 files in {Path('out')}"
