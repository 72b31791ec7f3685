"""An ensemble trains member m with seed + m: ``--seed 4294967295 --ensemble 2`` passed the seed range
check (each seed alone is in numpy's 0..2^32-1), trained member 0 in full, then ended in
``seed_everything``'s ValueError traceback for member 1's seed 2^32. Refused before anything trains."""

from __future__ import annotations

import pytest

from meddx.core import SEED_MAX
from meddx.core.errors import ConfigError
from meddx.training.config import TrainConfig


def test_an_ensemble_whose_last_seed_passes_numpys_range_is_refused_in_the_config() -> None:
    with pytest.raises(ConfigError, match=r"--seed.*--ensemble 2.*4294967294 or less"):
        TrainConfig(data="x", seed=SEED_MAX, ensemble=2)


def test_seeds_that_fit_pass() -> None:
    assert TrainConfig(data="x", seed=SEED_MAX - 2, ensemble=3).seed == SEED_MAX - 2
    assert TrainConfig(data="x", seed=SEED_MAX).ensemble is None


def test_a_plan_files_ensemble_is_checked_too() -> None:
    from meddx.training.config import check_member_seeds

    check_member_seeds(SEED_MAX - 1, 2)  # seeds SEED_MAX - 1 and SEED_MAX
    with pytest.raises(ConfigError, match="ensemble 3"):
        check_member_seeds(SEED_MAX - 1, 3)


def test_the_text_trainer_checks_the_plans_ensemble_before_training() -> None:
    from meddx.training.text_fit import _check_ensemble

    class _Source:
        task, origin = "binary", "notes.csv"

    with pytest.raises(ConfigError, match="ensemble 4"):
        _check_ensemble(TrainConfig(data="x", seed=SEED_MAX - 1), _Source(), 4)  # type: ignore[arg-type]
