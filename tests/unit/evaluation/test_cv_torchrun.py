"""``meddx cv`` under torchrun is refused with the way out (its folds train in one process).

Before, cv accepted ``--devices 1`` and each fold's training then asked for ``--devices 2`` (torchrun
started 2 processes), which cv in turn refused ("set devices: 1"): no value of the flag worked."""

import pytest

from meddx.core.errors import ConfigError
from meddx.evaluation.cv import cross_validate
from meddx.training.config import TrainConfig


def test_cv_under_torchrun_says_start_it_without_torchrun(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "test")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(ConfigError, match="start it without torchrun"):
        cross_validate(TrainConfig(data=str(tmp_path / "missing.csv")), folds=2, out=tmp_path / "cv")
