"""``meddx compare`` on a multi-label pair: McNemar's accuracies are exact-match (every label right), the
paired bootstrap's difference is of mean per-label accuracy. Before, one line printed "accuracy: A 0.817
B 0.733 difference 0.042", two different metrics side by side; now each is named on its own line."""

from __future__ import annotations

import pytest

from tests.integration.cli_helpers import run_cli

BOOT = {"accuracy": {"estimate": 0.042, "bca": [0.01, 0.08]}, "n_units": 60, "unit": "case"}
MCNEMAR = {"accuracy_a": 0.817, "accuracy_b": 0.733, "p_value": 0.04, "method": "exact"}


def _compare(task: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, tmp_path) -> list[str]:
    import meddx.evaluation.compare as compare

    result = {"task": task, "n": 60, "delong": {}, "mcnemar": MCNEMAR, "difference": BOOT, "warnings": []}
    monkeypatch.setattr(compare, "compare_bundles", lambda *a, **k: (result, tmp_path / "comparison.json"))
    out = run_cli(["compare", "a", "b", "--data", "d"], capsys)
    assert out.code == 0, out.err
    return [line for line in out.out.splitlines() if "accuracy" in line and not line.startswith("comparison:")]


def test_multilabel_accuracies_are_named_by_metric(monkeypatch, capsys, tmp_path) -> None:
    lines = _compare("multilabel", monkeypatch, capsys, tmp_path)
    assert lines[0].startswith("  exact-match accuracy (every label right): A 0.817  B 0.733  McNemar p=0.04")
    assert lines[1].startswith("  mean per-label accuracy: difference 0.042 (bootstrap CI 0.010–0.080")
    assert len(lines) == 2 and "difference" not in lines[0]


def test_binary_keeps_one_accuracy_line(monkeypatch, capsys, tmp_path) -> None:
    assert _compare("binary", monkeypatch, capsys, tmp_path) == [
        "  accuracy: A 0.817  B 0.733  difference 0.042 (bootstrap CI 0.010–0.080, 60 cases resampled)  "
        "McNemar p=0.04 (exact)"]
