"""Series ``predict --explain DIR --overwrite`` says which earlier heatmaps it removed, as
``meddx explain`` and text ``predict --explain`` do (before, they went without a word)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli
from tests.integration.test_series_cli import _write_patient, gbm_bundle, long_csv  # noqa: F401  (fixtures)


def test_series_overwrite_after_a_longer_run_says_what_it_removed(gbm_bundle: Path, long_csv: dict,  # noqa: F811
                                                                  tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    source = long_csv["source"]
    first, second = source.split("test").records[:2]
    p1 = _write_patient(first, source.variables, source.static_names, tmp_path / "p1.csv")
    p2 = _write_patient(second, source.variables, source.static_names, tmp_path / "p2.csv")
    out = tmp_path / "why"
    assert run_cli(["predict", str(gbm_bundle), str(p1), str(p2), "--explain", str(out)], capsys).code == 0
    assert len(list(out.glob("0002-*.png"))) == 1

    again = run_cli(["predict", str(gbm_bundle), str(p1), "--json", "--explain", str(out), "--overwrite"], capsys)
    assert again.code == 0, again.err
    assert not list(out.glob("0002-*.png"))  # the earlier run's second heatmap is gone, and it says so
    assert "removed: 1 file of the earlier run" in again.err
    assert all(json.loads(line) for line in again.out.splitlines())  # stdout stays JSON lines
    assert len(json.loads((out / "explanations.json").read_text())) == 1
