"""A faithfulness measurement's "not held out" warning reaches ``meddx evaluate``'s report.html.

``meddx explain --evaluate`` on the training source's train or val split stores a ``warnings`` list
in its ``faithfulness-*.json``; the report's explanations section read only the table, so the page
showed the scores without it.
"""

from __future__ import annotations

import json
from pathlib import Path

from meddx.evaluation.report_explain import explanations_body, read_faithfulness

WARNING = "val is not held out for bundle 'b': the decision threshold was chosen on it"
ROW = {"method": "gradcam", "deletion_auc": 0.2, "random_deletion_auc": 0.3, "insertion_auc": 0.7,
       "random_insertion_auc": 0.5, "pointing_game": None, "randomisation_passed": True, "milliseconds": 3.0}


def _bundle(tmp_path: Path, warnings: list[str] | None) -> Path:
    folder = tmp_path / "b" / "explanations"
    folder.mkdir(parents=True)
    report = {"data": "src.npz", "split": "val", "n": 20, "table": [ROW]}
    if warnings is not None:
        report["warnings"] = warnings
    (folder / "faithfulness-src-val.json").write_text(json.dumps(report))
    return folder.parent


def test_the_warning_is_read_and_shown(tmp_path: Path) -> None:
    stored = read_faithfulness(_bundle(tmp_path, [WARNING]))
    assert stored[0]["warnings"] == [WARNING]
    html = explanations_body({"explanations": stored})
    assert html is not None and "Warning:" in html and "not held out for bundle &#x27;b&#x27;" in html, html


def test_a_measurement_without_warnings_shows_none(tmp_path: Path) -> None:
    for warnings in (None, []):
        html = explanations_body({"explanations": read_faithfulness(_bundle(tmp_path / str(warnings), warnings))})
        assert html is not None and "Warning:" not in html and "gradcam" in html
