"""Evaluating and comparing a text bundle through the CLI: the training file, an external file laid
out differently, one lacking a class and one of a single class, with predict and evaluate agreeing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


def test_evaluate_writes_a_report_with_the_baseline(text_run: dict, notes_csv: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    result = run_cli(["evaluate", "notes:1", "--data", str(notes_csv), "--out", str(tmp_path / "ev"),
                      "--bootstrap", "100"], capsys)  # the estimates and the report's sections do not depend on it
    assert result.code == 0, result.err
    assert "macro-F1" in result.out and "baseline (tfidf-logreg)" in result.out
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["accuracy"] == pytest.approx(text_run["metrics"]["test"]["accuracy"])
    report = (tmp_path / "ev" / "report.html").read_text()
    assert 'id="baseline"' in report and "difference (model − baseline)" in report
    # predict on the same file names rows FILE:ID like predictions.csv, with the same probabilities
    # (found by an audit: rows were FILE:rowN, and both files rounded to 6 decimals)
    with (tmp_path / "ev" / "predictions.csv").open() as f:
        evaluated = {r["id"]: [float(r[f"p_{c}"]) for c in metrics["label_names"]] for r in csv.DictReader(f)}
    test_rows = tmp_path / "test_rows.csv"
    with notes_csv.open() as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == "test"][:5]
    with test_rows.open("w", newline="") as f:
        csv.writer(f).writerows([["id", "note"], *([r["id"], r["note"]] for r in rows)])
    result = run_cli(["predict", "notes:1", str(test_rows), "--json"], capsys)
    assert result.code == 0, result.err
    predicted = [json.loads(line) for line in result.out.strip().splitlines()]
    assert [p["source"] for p in predicted] == [f"{test_rows}:{r['id']}" for r in rows]
    # the same float64 probabilities, not rounded (6 decimals would miss by up to 5e-7); the float32 network
    # itself differs by ~1e-8 between a batch of 5 and the whole split on some CPUs (GEMM kernels by batch size)
    for p, r in zip(predicted, rows):
        assert list(p["probabilities"].values()) == pytest.approx(evaluated[r["id"]], rel=1e-6, abs=1e-9)


def test_evaluate_an_external_file_with_other_columns_and_a_missing_class(
        text_run: dict, notes_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A hospital's own test file: other column names, no oncology note. ``--text-column`` and
    ``--label-column`` read it; its labels map onto the bundle's three classes."""
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    rows = [r for r in csv.DictReader(notes_csv.open()) if r["split"] == "test" and r["diagnosis"] != "oncology"]
    external = tmp_path / "external.csv"
    with external.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["report", "dx"])
        writer.writerows([r["note"], r["diagnosis"]] for r in rows)
    result = run_cli(["evaluate", "notes:1", "--data", str(external), "--split", "train", "--text-column", "report",
                      "--label-column", "dx", "--out", str(tmp_path / "ev"), "--bootstrap", "50"], capsys)
    assert result.code == 0, result.err
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["n"] == len(rows) and metrics["label_names"] == ["cardiology", "neurology", "oncology"]
    assert metrics["per_class"]["oncology"]["support"] == 0
    assert metrics["per_class"]["oncology"]["sensitivity"] is None
    assert metrics["accuracy"] >= 0.95  # the keyword task, as on the training file
    assert any("oncology" in note for note in metrics["dataset"]["notes"])
    compared = run_cli(["compare", "notes:1", "notes:1", "--data", str(external), "--split", "train",
                        "--text-column", "report", "--label-column", "dx", "--out", str(tmp_path / "cmp")], capsys)
    assert compared.code == 0, compared.err
    # Without the column flags the training file's columns are missing: the error names one, the
    # columns the file has, and the flag to pass.
    missing = run_cli(["evaluate", "notes:1", "--data", str(external), "--split", "train"], capsys)
    assert missing.code == 2 and "available columns: report, dx" in missing.err and "pass one of them with --" in missing.err


def test_evaluate_an_external_file_of_one_class(text_run: dict, notes_csv: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A set of confirmed neurology notes only (a sensitivity study): readers used to refuse a
    single label value; it is evaluated on the bundle's classes, sensitivity from predictions."""
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    rows = [r for r in csv.DictReader(notes_csv.open()) if r["diagnosis"] == "neurology"]
    external = tmp_path / "neurology.csv"
    with external.open("w", newline="") as f:
        csv.writer(f).writerows([["note", "diagnosis"], *([r["note"], r["diagnosis"]] for r in rows)])
    result = run_cli(["evaluate", "notes:1", "--data", str(external), "--split", "train", "--text-column", "note",
                      "--label-column", "diagnosis", "--out", str(tmp_path / "ev"), "--bootstrap", "50"], capsys)
    assert result.code == 0, result.err
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    with (tmp_path / "ev" / "predictions.csv").open() as f:
        predicted = [max(("cardiology", "neurology", "oncology"), key=lambda c: float(r[f"p_{c}"]))
                     for r in csv.DictReader(f)]
    assert metrics["n"] == len(rows) == len(predicted)
    assert metrics["per_class"]["neurology"]["sensitivity"] == pytest.approx(predicted.count("neurology") / len(rows))
    assert metrics["per_class"]["neurology"]["sensitivity"] >= 0.95  # the keyword task
    assert metrics["auc"] is None and metrics["per_class"]["oncology"]["support"] == 0
    assert any("one class only ('neurology'" in w for w in metrics["warnings"])
    assert "sensitivity for 'neurology'" in result.err  # the warning line: stderr (cli.streams)


def test_compare_a_text_bundle_with_itself(text_run: dict, notes_csv: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(text_run["home"]))
    result = run_cli(["compare", "notes:1", "notes:1", "--data", str(notes_csv), "--out", str(tmp_path)], capsys)
    assert result.code == 0, result.err
    comparison = json.loads((tmp_path / "comparison.json").read_text())
    assert comparison["n"] == 60 and comparison["difference"]["accuracy"]["estimate"] == 0.0
