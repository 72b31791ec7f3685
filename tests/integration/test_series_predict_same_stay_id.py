"""Review of fdd8d40: series ``predict`` shows each stay its own top contributors when two files use
the same patient id.

Found by review: the contributors were looked up by stay id, so two sites' files that both number
their patients from 1 (``site_a/stays.csv`` and ``site_b/stays.csv``, patient ``1`` in each) printed
the first site's contributors under the second site's stay: its risk was its own, its reasons were
another patient's. Now each stay gets the explanation computed for it, in order.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli
from tests.integration.test_series_cli import gbm_bundle, long_csv  # noqa: F401  (fixtures)


def _write_as(record: object, pid: str, variables: list[str], static_names: list[str], path: Path) -> Path:
    """The stay as a long CSV under the patient id ``pid`` (the site's own numbering)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["patient_id", "time", "variable", "value"])
        for name, value in zip(static_names, record.static):  # type: ignore[attr-defined]
            if np.isfinite(value):
                w.writerow([pid, "", name, float(value)])
        for t, v, x in zip(record.times, record.variables, record.values):  # type: ignore[attr-defined]
            w.writerow([pid, float(t), variables[int(v)], float(x)])
    return path


def _lines(bundle: Path, files: list[Path], capsys: pytest.CaptureFixture[str]) -> list[dict]:
    result = run_cli(["predict", str(bundle), *map(str, files), "--json"], capsys)
    assert result.code == 0, result.err
    return [json.loads(line) for line in result.out.splitlines()]


def test_two_files_with_the_same_patient_id_each_show_their_own_contributors(
        gbm_bundle: Path, long_csv: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    source = long_csv["source"]
    records = source.split("test").records
    alone = {}
    for k, record in enumerate(records[:8]):
        path = _write_as(record, "1", source.variables, source.static_names, tmp_path / f"s{k}" / "stays.csv")
        alone[path] = _lines(gbm_bundle, [path], capsys)[0]["top_contributors"]
    a, b = next((p, q) for p in alone for q in alone if alone[p] != alone[q])  # two stays explained differently

    both = _lines(gbm_bundle, [a, b], capsys)
    assert [line["source"] for line in both] == [f"{a.parent.name}/stays.csv:1", f"{b.parent.name}/stays.csv:1"]
    assert [line["top_contributors"] for line in both] == [alone[a], alone[b]]


def test_stays_of_two_files_with_the_same_id_are_named_apart(gbm_bundle: Path, long_csv: dict, tmp_path: Path,  # noqa: F811
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Both were named ``1`` (JSON, table, heatmap names): now each carries its file where the id
    repeats across files, as table rows do; ids no other file uses, and one file given twice, keep
    their own names."""
    source = long_csv["source"]
    r0, r1, r2 = source.split("test").records[:3]
    a = _write_as(r0, "1", source.variables, source.static_names, tmp_path / "site_a" / "stays.csv")
    b = _write_as(r1, "1", source.variables, source.static_names, tmp_path / "site_b" / "stays.csv")
    c = _write_as(r2, "7", source.variables, source.static_names, tmp_path / "other.csv")
    assert [x["source"] for x in _lines(gbm_bundle, [a, b, c], capsys)] == ["site_a/stays.csv:1",
                                                                           "site_b/stays.csv:1", "7"]
    assert [x["source"] for x in _lines(gbm_bundle, [a, a], capsys)] == ["1", "1"]
    result = run_cli(["predict", str(gbm_bundle), str(a), str(b), "--explain", str(tmp_path / "why")], capsys)
    assert result.code == 0, result.err
    assert "site_a/stays.csv:1: " in result.out and "site_b/stays.csv:1: " in result.out
    listed = json.loads((tmp_path / "why" / "explanations.json").read_text())
    assert [e["source"] for e in listed] == ["site_a/stays.csv:1", "site_b/stays.csv:1"]
