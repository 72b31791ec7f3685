"""``meddx evaluate --level 0.9`` says on its first line that the printed intervals are 90% ones.

Found by the evaluation walk: the summary printed "AUC 0.842 (0.774–0.876)" whatever --level was, and
docs/evaluation.md calls the printed intervals 95% ones; a 90% interval copied from the terminal read as
a 95% one.
"""

from __future__ import annotations

import numpy as np
import pytest

from meddx.cli.evaluate import headline
from meddx.evaluation.intervals import metric_intervals
from meddx.evaluation.metrics import classification_metrics


@pytest.mark.parametrize(("level", "suffix"), [(0.9, "  (90% intervals)"), (0.95, None), (0.99, "  (99% intervals)")])
def test_first_line_names_a_level_other_than_95(level: float, suffix: str | None) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    p1 = np.clip(0.3 * y + 0.7 * rng.random(60), 0, 1)
    probs = np.column_stack([1 - p1, p1])
    m = classification_metrics(y, probs, "binary", threshold=0.5, label_names=["neg", "pos"])
    m.update(split="test", operating_point={"rule": "fixed:0.5", "threshold": 0.5},
             ci=metric_intervals(y, probs, "binary", threshold=0.5, label_names=["neg", "pos"], n_resamples=50,
                                 level=level))
    first = headline(m)[0]
    assert first.startswith("test: n=60  AUC ")
    if suffix is None:
        assert "intervals)" not in first
    else:
        assert first.endswith(suffix)
