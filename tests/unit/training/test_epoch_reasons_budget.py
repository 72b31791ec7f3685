"""``reasons.epochs`` in ``plan.json`` is true when a ``--time-budget`` was given.

Found by an audit: an ICU series run with ``--time-budget 1`` (series runs plan no epochs from a
budget; it only stops them at 1.25x) wrote ``"epochs": "default (no time budget given); early
stopping on val"`` into its ``plan.json``, the bundle and the model card.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from meddx.training.config import TrainConfig


def _plan_reasons(run_dir: Path) -> dict[str, str]:
    return json.loads((Path(run_dir) / "plan.json").read_text())["reasons"]


@pytest.mark.parametrize("budget", [1.0, None])
def test_a_series_runs_epoch_reason_says_what_its_budget_does(budget: float | None) -> None:
    from meddx.data.synthetic_series import make_threshold_series
    from meddx.training.series_plan import initial_series_plan  # what series_fit writes to plan.json

    config = TrainConfig(data="synthetic", time_budget=budget, seed=0, baseline=False)
    why = initial_series_plan(config, make_threshold_series(30, seed=1)).reasons["epochs"]
    if budget:
        assert "no time budget given" not in why, why
        assert "time limit at 1.25x the 1 min --time-budget" in why, why
    else:
        assert "no time budget given" in why  # a guard: true without one


def test_a_table_mlps_epoch_reason_names_the_budgets_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.training.fit import fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    rng = np.random.default_rng(0)
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n" + "".join(f"{x:.3f},{rng.normal():.3f},{int(x > 0)}\n" for x in rng.normal(size=40)))
    result = fit(TrainConfig(data=str(table), model="mlp", time_budget=0.5, seed=0, ci_resamples=0,
                             early_stopping_patience=1), progress=False)
    why = _plan_reasons(result.run_dir)["epochs"]
    assert why.startswith("default for the MLP") and "time limit at 1.25x the 0.5 min --time-budget" in why, why
