"""``meddx data info`` and ``verify`` on time-series sources written here (long CSV from the
synthetic threshold source, a leaky copy of it, and a malformed file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.data.synthetic_series import make_threshold_series, write_long_csv
from tests.integration.cli_helpers import run_cli


@pytest.fixture()
def long_csv(tmp_path: Path) -> tuple[Path, Path]:
    return write_long_csv(make_threshold_series(50, seed=5), tmp_path / "syn")


def test_info_json(long_csv: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    series, labels = long_csv
    res = run_cli(["data", "info", str(series), "--labels-file", str(labels), "--patient-column", "subject_id",
                   "--window-hours", "48", "--json"], capsys)
    assert res.code == 0, res.err
    info = json.loads(res.out)
    src = make_threshold_series(50, seed=5)
    assert info["kind"] == "series" and info["total"] == 50 and info["window_hours"] == 48
    for split, data in src.splits.items():
        s = info["splits"][split]
        assert s["count"] == len(data) and s["class_counts"]["died"] == int(data.labels.sum())
        assert s["observations"] == sum(len(r) for r in data.records)
    lactate = next(v for v in info["variables"] if v["name"] == "lactate")
    assert lactate["stays"] == 50 and lactate["n_after_window"] == 0  # every stay measures lactate
    res = run_cli(["data", "info", str(series), "--labels-file", str(labels)], capsys)
    assert res.code == 0 and "stays per split and class" in res.out and "lactate" in res.out


def test_verify_clean_and_leaky(long_csv: tuple[Path, Path], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    series, labels = long_csv
    report = tmp_path / "r.json"
    res = run_cli(["data", "verify", str(series), "--labels-file", str(labels), "--patient-column", "subject_id",
                   "--report", str(report)], capsys)
    assert res.code == 0, res.out + res.err
    summary = json.loads(report.read_text())["summary"]
    assert summary["duplicate_record_ids"] == 0 and summary["patients_across_splits"] == 0
    # leaky: the first test stay copied into train under another id, and one patient on two sides
    rows = labels.read_text().splitlines()
    test_row = next(r for r in rows if ",test," in r)
    sid = test_row.split(",")[0]
    copy = [line.replace(sid, "copy1", 1) for line in series.read_text().splitlines() if line.startswith(sid + ",")]
    series.write_text(series.read_text() + "\n".join(copy) + "\n")
    labels.write_text("\n".join(rows) + f"\ncopy1,{test_row.split(',')[1]},train,{test_row.split(',')[-1]}\n")
    res = run_cli(["data", "verify", str(series), "--labels-file", str(labels), "--patient-column", "subject_id",
                   "--report", str(report)], capsys)
    assert res.code == 1
    summary = json.loads(report.read_text())["summary"]
    assert summary["exact_duplicate_groups_cross_split"] == 1 and summary["patients_across_splits"] == 1
    assert "record ids used more than once: 0" in res.out


def test_info_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = tmp_path / "s.csv"
    series.write_text("patient_id,time,variable,value\na,1,hr,80\na,later,hr,81\n")
    (tmp_path / "l.csv").write_text("patient_id,label\na,1\n")
    res = run_cli(["data", "info", str(series), "--labels-file", str(tmp_path / "l.csv")], capsys)
    assert res.code == 2 and "s.csv, line 3: bad time 'later'" in (res.out + res.err)
    res = run_cli(["data", "info", str(series)], capsys)
    assert res.code == 2 and "needs a labels file" in (res.out + res.err)
