"""A tiny binary table bundle (60 rows: ``marker`` predicts ``label``; ``bp`` is noise), trained in
seconds, shared by the table predict and explain tests that need a real bundle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def tiny_table_bundle(folder: Path) -> Path:
    """Train the bundle under ``folder`` (its own ``MEDDX_HOME`` there) and return its path."""
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    rng = np.random.default_rng(0)
    table = folder / "train.csv"
    table.write_text("marker,bp,label\n" + "".join(
        f"{m:.3f},{120 + 5 * rng.normal():.1f},{int(m + 0.3 * rng.normal() > 0)}\n" for m in rng.normal(size=60)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(folder / "home"))
        return Path(fit(TrainConfig(data=str(table), seed=0, ci_resamples=0), progress=False).bundle_path)
