"""``meddx train --time-budget 0.0001``: a budget too small for even one epoch trained one whole epoch without a
word. A note on stderr now says so before training (the share of an epoch the budget allows, about how long an
epoch takes, what is trained, the budget a whole epoch needs), and ``plan.json``'s ``reasons.epochs`` records it."""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path

from cli_helpers import run_cli

from meddx.data.synthetic import make_lesion_source, write_image_folder


def test_a_budget_under_one_epoch_is_said_and_recorded(tmp_path: Path, meddx_home: Path, capsys) -> None:
    root = write_image_folder(make_lesion_source(40, 10, 10, size=28, seed=6, contrast=2.0), tmp_path / "f")
    result = run_cli(["train", "--data", str(root), "--model", "seed-cnn", "--time-budget", "0.0001", "--name",
                      "short", "--no-progress"], capsys)
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if "shorter than one epoch" in line]
    assert len(notes) == 1, result.err  # once, though the planner may probe the speed more than once
    assert re.search(r"meddx: note: --time-budget 0.0001 min is shorter than one epoch \(about [\d.]+ m?s at "
                     r"[\d.]+ ms measured per sample\): one epoch is planned: its one batch is trained whole, over "
                     r"the budget; give --time-budget [\d.]+ or more for a whole epoch", notes[0]), notes[0]
    assert "shorter than one epoch" not in result.out  # a note: stderr only
    plan = json.loads(Path(glob.glob(str(meddx_home / "runs" / "short-*" / "plan.json"))[0]).read_text())
    assert plan["epochs"] == 1
    assert re.search(r"the 0.0001 min budget is [\d.]+% of one epoch \(about .*\): 1 epoch planned; its one batch "
                     r"is trained whole, over the budget", plan["reasons"]["epochs"]), plan["reasons"]["epochs"]


def test_a_budget_of_whole_epochs_says_nothing_of_it(tmp_path: Path) -> None:
    """The note and the reason only when less than one epoch fits (a unit check on a plan, nothing trained)."""
    from meddx.training.plan import Plan
    from meddx.training.short_budget import short_budget

    plan = Plan(model="seed-cnn", model_args={}, image_size=[28, 28], channels=1, batch_size=16, epochs=1,
                class_weights=None, early_stopping_patience=4, seconds_per_sample=0.01,
                reasons={"epochs": "1 min budget / (100 samples x 10.0 ms measured per sample)"})
    assert short_budget(plan, 100, 1.0) == plan  # about 46 epochs fit
    cut = short_budget(plan, 100, 0.01)  # 0.54 s of 1.15 s: half an epoch, 7 batches
    assert cut.epochs == 1 and "1 epoch planned; the time limit (1.25x the budget) cuts it after the batches that " \
        "fit (at least 1 of its 7)" in cut.reasons["epochs"]
