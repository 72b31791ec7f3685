"""``metrics.json`` ``dataset.duplicates`` holds the fields docs/evaluation.md documents, and no others.

Found by an audit: it carried ``"report": null`` on every evaluation and training run. It was
meant to name the full ``data verify`` report, but evaluation runs the check in memory and writes
no report, and nothing records where ``meddx data verify`` put one, so the field could never be
filled; the HTML report's reader for it (a "Full report" row) never showed. Both are gone.
"""

from __future__ import annotations

import re
from pathlib import Path

from meddx.data.synthetic import make_lesion_source
from meddx.evaluation.evaluate import dataset_summary

DOCS = Path(__file__).resolve().parents[3] / "docs" / "evaluation.md"


def _documented_duplicate_fields() -> set[str]:
    row = next(line for line in DOCS.read_text().splitlines() if line.startswith("| `dataset` |"))
    return {f.strip() for f in re.search(r"duplicates: \{([^}]*)\}", row).group(1).split(",")}


def test_duplicates_hold_exactly_the_documented_fields() -> None:
    source = make_lesion_source(12, 6, 6, size=12, seed=3)
    test = source.splits["test"]
    test.images[0] = source.splits["train"].images[0]  # one copy across splits: leakage found
    summary = dataset_summary(source, verify=True)["duplicates"]
    assert set(summary) == _documented_duplicate_fields(), set(summary) ^ _documented_duplicate_fields()
    assert summary["leakage"] is True and summary["cross_split"] >= 1 and summary["exact_groups"] >= 1
    assert all(value is not None for value in summary.values())  # no field that is always null
    assert dataset_summary(source, verify=False)["duplicates"] is None


def test_the_html_report_lists_the_duplicate_checks_without_a_report_row() -> None:
    from meddx.evaluation.report import _dataset

    dup = {"checked": True, "exact_groups": 2, "near_groups": 1, "cross_split": 1, "cross_split_by_split": {"test": 1},
           "conflicting_labels": 0, "patients_across_splits": 0, "leakage": True}
    html = _dataset({"dataset": {"source": "x.npz", "task": "binary", "label_names": ["a", "b"],
                                 "splits": {"test": {"n": 4, "classes": {"a": 2, "b": 2}, "patients": None}},
                                 "duplicates": {**dup, "report": "stale/path.json"}}})
    assert "Exact-duplicate groups" in html and "YES" in html
    assert "Full report" not in html and "stale/path.json" not in html
