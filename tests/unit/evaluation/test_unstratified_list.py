"""``ci.unstratified`` lists each class-mix-dependent value once, as a path into ``ci``."""

from __future__ import annotations

import numpy as np
import pytest

from meddx.evaluation.intervals import metric_intervals


def _resolve(ci: dict, path: str) -> list[dict]:
    """The interval entries a path names ('*' = every class)."""
    nodes = [ci]
    for part in path.split("/"):
        nodes = [v for n in nodes for v in (n.values() if part == "*" else [n[part]])]
    return nodes


@pytest.mark.parametrize("n_resamples", [0, 20])
def test_each_unstratified_metric_is_listed_once_and_names_its_entries(n_resamples: int) -> None:
    """Found by a docs walk: the list held "auprc" twice (the overall AUPRC and, flattened, the
    per-class one), so a reader could not tell which intervals were resampled without strata."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 90)
    p = rng.dirichlet(np.ones(3), 90)
    ci = metric_intervals(y, p, "multiclass", label_names=["a", "b", "c"], n_resamples=n_resamples)
    listed = ci["unstratified"]
    assert len(listed) == len(set(listed)), listed
    entries = [e for path in listed for e in _resolve(ci, path)]
    assert all("estimate" in e for e in entries)  # every path names interval entries
    assert len(entries) == 3 + 3 * 4  # auprc, accuracy, macro_f1; ppv, npv, f1, auprc of each class
    assert {"auprc", "per_class/*/auprc"} <= set(listed)
    assert not set(listed) & {"auc", "balanced_accuracy", "per_class/*/sensitivity", "per_class/*/specificity"}
