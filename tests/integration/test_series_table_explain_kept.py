"""Series and table ``predict --explain DIR`` (and ``meddx explain`` of a series bundle) never
replace an earlier run's files without ``--overwrite``; ``predict --overwrite`` now reaches them.

Before, a second run into the same folder replaced ``0001-<stay>-<method>.png`` and
``explanations.json`` silently, and ``--overwrite`` was ignored for these bundles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import one_line, run_cli, snapshot
from tests.integration.test_series_cli import _write_patient, gbm_bundle, long_csv  # noqa: F401  (fixtures)
from tests.integration.test_tabular_cli import _train, write_table


def _patients(stays: dict, folder: Path) -> tuple[Path, Path]:
    source = stays["source"]
    first, second = source.split("test").records[:2]
    return (_write_patient(first, source.variables, source.static_names, folder / "p1.csv"),
            _write_patient(second, source.variables, source.static_names, folder / "p2.csv"))


def test_series_predict_explain_keeps_the_first_run(gbm_bundle: Path, long_csv: dict, tmp_path: Path,  # noqa: F811
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    p1, p2 = _patients(long_csv, tmp_path)
    out = tmp_path / "why"
    out.mkdir()
    (out / "index.html").write_text("kept")
    first = run_cli(["predict", str(gbm_bundle), str(p1), "--json", "--explain", str(out)], capsys)
    assert first.code == 0, first.err
    assert len(list(out.glob("0001-*-occlusion.png"))) == 1 and (out / "index.html").read_text() == "kept"
    before = snapshot(out)

    again = run_cli(["predict", str(gbm_bundle), str(p2), "--json", "--explain", str(out)], capsys)
    line = one_line(again)
    assert "--explain" in line and "--overwrite" in line and "already exists" in line
    assert again.out.strip() == "" and snapshot(out) == before  # refused before predicting

    replaced = run_cli(["predict", str(gbm_bundle), str(p2), "--json", "--explain", str(out), "--overwrite"], capsys)
    assert replaced.code == 0, replaced.err
    summary = json.loads((out / "explanations.json").read_text())
    assert [e["source"] for e in summary] == [json.loads(replaced.out.splitlines()[0])["source"]]
    assert (out / "index.html").read_text() == "kept"
    line = one_line(run_cli(["predict", str(gbm_bundle), str(p2), "--overwrite"], capsys))
    assert "--overwrite" in line and "--explain DIR" in line


def test_series_explain_out_keeps_the_first_run(gbm_bundle: Path, long_csv: dict, tmp_path: Path,  # noqa: F811
                                                capsys: pytest.CaptureFixture[str]) -> None:
    p1, p2 = _patients(long_csv, tmp_path)
    out = tmp_path / "ex"
    assert run_cli(["explain", str(gbm_bundle), str(p1), "--out", str(out)], capsys).code == 0
    before = snapshot(out)
    line = one_line(run_cli(["explain", str(gbm_bundle), str(p2), "--out", str(out)], capsys))
    assert str(out / "explanations.json") in line and snapshot(out) == before
    assert run_cli(["explain", str(gbm_bundle), str(p2), "--out", str(out), "--overwrite"], capsys).code == 0
    assert snapshot(out)["explanations.json"] != before["explanations.json"]


def test_table_predict_explain_keeps_the_first_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle"
    _train(write_table(tmp_path / "train.csv", n=120), bundle, capsys)
    rows = tmp_path / "rows.csv"
    rows.write_text("id,x1,x2,x3,site\na,1.0,2.0,0.1,north\n")
    later = tmp_path / "later.csv"
    later.write_text("id,x1,x2,x3,site\nb,-1.0,-2.0,0.0,south\n")
    out = tmp_path / "ex"
    out.mkdir()
    (out / "notes.txt").write_text("kept")
    assert run_cli(["predict", str(bundle), str(rows), "--explain", str(out)], capsys).code == 0
    before = snapshot(out)
    again = run_cli(["predict", str(bundle), str(later), "--json", "--explain", str(out)], capsys)
    line = one_line(again)
    assert str(out / "explanations.json") in line and "--overwrite" in line
    assert again.out.strip() == "" and snapshot(out) == before
    replaced = run_cli(["predict", str(bundle), str(later), "--explain", str(out), "--overwrite"], capsys)
    assert replaced.code == 0, replaced.err
    assert [e["source"] for e in json.loads((out / "explanations.json").read_text())] == ["later.csv:b"]
    assert (out / "notes.txt").read_text() == "kept"
    line = one_line(run_cli(["predict", str(bundle), str(later), "--overwrite"], capsys))
    assert "--overwrite" in line and "--explain DIR" in line
