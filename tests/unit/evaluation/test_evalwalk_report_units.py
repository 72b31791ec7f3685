"""report.html's dataset table names what a split holds: rows of a table, documents, series, images.

Found by the evaluation walk: a table bundle's report counted its 600/150/150 rows under "Images".
"""

from __future__ import annotations

import numpy as np
import pytest

from meddx.evaluation.metrics import classification_metrics
from meddx.evaluation.report import render_report


@pytest.mark.parametrize(("kind", "unit"), [("table", "Rows"), ("text", "Documents"), ("series", "Series"),
                                            ("images", "Images"), ("arrays", "Images")])
def test_dataset_table_names_the_unit(kind: str, unit: str) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    p1 = np.clip(y * 0.5 + rng.random(40) * 0.5, 0, 1)
    probs = np.column_stack([1 - p1, p1])
    m = classification_metrics(y, probs, "binary", threshold=0.5, label_names=["neg", "pos"])
    m["dataset"] = {"source": "x.csv", "kind": kind, "task": "binary", "label_names": ["neg", "pos"],
                    "splits": {"test": {"n": 40, "classes": {"neg": int((y == 0).sum()), "pos": int(y.sum())},
                                        "patients": None}}, "duplicates": None}
    html = render_report(m, y, probs)
    section = html[html.index('id="dataset"'):]
    assert f">{unit}</th>" in section
    assert f"How many {unit.lower()} (and patients)" in section
    assert unit == "Images" or ">Images</th>" not in section
