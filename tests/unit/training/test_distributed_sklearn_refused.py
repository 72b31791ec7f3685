"""Under torchrun a scikit-learn model (tables: logreg, gbm; series aggregates) is refused on rank 0
before anything is written: without Lightning there is no rank, so every process fitted it and saved
its own bundle (two registry versions for one run). The other ranks then stop with the one line of
``training.distributed`` (tests/unit/training/test_distributed_plan.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import ConfigError
from meddx.training.config import TrainConfig


@pytest.fixture
def torchrun_rank_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "job")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.delenv("MEDDX_RUN_DIR", raising=False)


def _table(path: Path, n: int = 120) -> Path:
    rng = np.random.default_rng(0)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "x1", "x2", "split", "label"])
        for i in range(n):
            x1, x2 = rng.normal(size=2)
            writer.writerow([f"p{i}", f"{x1:.3f}", f"{x2:.3f}", "test" if i < n // 5 else "train", int(x1 + x2 > 0)])
    return path


@pytest.mark.usefixtures("torchrun_rank_zero")
def test_a_table_model_fitted_by_scikit_learn_is_refused_under_torchrun(tmp_path: Path, meddx_home: Path) -> None:
    from meddx.data.sources import load_source
    from meddx.training.tabular_fit import fit_tabular

    data = _table(tmp_path / "t.csv")
    config = TrainConfig(data=str(data), devices=2)
    with pytest.raises(ConfigError, match=r"^model logreg: scikit-learn fits in one process; start it without torchrun$"):
        fit_tabular(config, load_source(str(data)), None, progress=False)
    assert not any((meddx_home / "runs").glob("*/*"))  # nothing written
    assert not (meddx_home / "bundles").exists()


@pytest.mark.usefixtures("torchrun_rank_zero")
def test_a_series_aggregate_model_fitted_by_scikit_learn_is_refused_under_torchrun(meddx_home: Path) -> None:
    from meddx.data.synthetic_series import make_threshold_series
    from meddx.training.series_fit import fit_series

    config = TrainConfig(data="synthetic", model="gbm", devices=2)
    with pytest.raises(ConfigError, match=r"^model gbm: scikit-learn fits in one process; start it without torchrun$"):
        fit_series(config, make_threshold_series(60, seed=1), None, progress=False)
    assert not any((meddx_home / "runs").glob("*/*"))
    assert not (meddx_home / "bundles").exists()
