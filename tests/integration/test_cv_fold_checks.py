"""``meddx cv`` on data whose folds cannot be equal (stop 49's walk of cv and compare).

- A class with fewer samples than folds: some folds test none of it. Their AUC is undefined and
  their balanced accuracy and macro-F1 average the one class present (1.0 for a fold of
  negatives), and the mean ± sd over folds silently mixed those in.
- One patient holding most samples: one fold tests most cases with a model trained on few, and
  nothing said so.
- ``--out`` naming an existing file: refused with an OSError's text, not naming ``--out``, after
  the source had been read and folded.

Tables with logistic regression keep each run to seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def _table(path: Path, n: int, positives: int, big_patient: int = 0) -> Path:
    """``n`` rows with a learnable rule, ``positives`` of them positive; the first ``big_patient`` rows
    belong to one patient (the rest one patient each)."""
    rng = np.random.default_rng(0)
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, positives, replace=False)] = 1
    x1 = rng.normal(size=n) + 1.5 * y
    rows = ["id,patient_id,x1,x2,label"]
    for i in range(n):
        patient = "P-big" if i < big_patient else f"P{i}"
        rows.append(f"r{i},{patient},{x1[i]:.4f},{rng.normal():.4f},{y[i]}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _cv(table: Path, out: Path, folds: int, capsys: pytest.CaptureFixture[str]) -> tuple[dict, str, str]:
    result = run_cli(["cv", "--data", str(table), "--folds", str(folds), "--out", str(out), "--model", "logreg"],
                     capsys)
    assert result.code == 0, result.out + result.err
    return json.loads((out / "cv.json").read_text()), result.out, result.err  # results; notes and warnings


def test_folds_without_a_class_are_left_out_of_the_class_averaged_means(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary, out, err = _cv(_table(tmp_path / "t.csv", n=80, positives=3), tmp_path / "cv", 5, capsys)
    short = [f["fold"] for f in summary["folds"] if f.get("missing_classes")]
    assert len(short) == 2 and all(summary["folds"][k]["missing_classes"] == ["label=1"] for k in short)
    full = [f for f in summary["folds"] if not f.get("missing_classes")]
    for metric in ("auc", "balanced_accuracy", "macro_f1"):
        assert summary["mean_folds"][metric] == 3
        assert summary["mean"][metric] == pytest.approx(np.mean([f[metric] for f in full]))
    assert summary["mean_folds"]["accuracy"] == 5  # defined on every fold
    assert summary["mean"]["accuracy"] == pytest.approx(np.mean([f["accuracy"] for f in summary["folds"]]))
    warning = next(w for w in summary["warnings"] if "holds no case of" in w)
    assert f"fold(s) {short[0]}, {short[1]} of 5" in warning and "'label=1' (3 sample(s), in 3 of the 5 folds)" in warning
    assert "--folds 3" in warning and f"warning: {warning}" in err and "warning:" not in out
    assert "balanced_accuracy: " in out and "(3 of 5 folds)" in out
    oof = (tmp_path / "cv" / "oof_predictions.csv").read_text().splitlines()
    assert len(oof) == 81 and len({line.split(",")[0] for line in oof[1:]}) == 80  # each case once


def test_one_patient_holding_most_cases_is_warned_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary, out, err = _cv(_table(tmp_path / "t.csv", n=90, positives=30, big_patient=60), tmp_path / "cv", 3, capsys)
    sizes = sorted(f["n_test"] for f in summary["folds"])
    assert sizes[-1] >= 60  # the patient's 60 rows stay in one fold
    warning = next(w for w in summary["warnings"] if "unequal" in w)
    assert f"{sizes[0]} to {sizes[-1]} samples" in warning and "largest patient holds 60 of the 90" in warning
    assert "P-big" not in warning  # counts, never a patient id
    assert f"warning: {warning}" in err and "warning:" not in out


def test_equal_folds_have_no_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary, out, err = _cv(_table(tmp_path / "t.csv", n=60, positives=20), tmp_path / "cv", 3, capsys)
    assert summary["warnings"] == [] and "warning:" not in out + err
    assert summary["mean_folds"] == {m: 3 for m in summary["mean"]}


def test_out_naming_a_file_is_refused_before_the_source_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the source was read")

    monkeypatch.setattr("meddx.data.sources.load_source", never)
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    result = run_cli(["cv", "--data", str(tmp_path / "any.csv"), "--folds", "2", "--out", str(taken)], capsys)
    assert result.code != 0
    message = (result.out + result.err).strip()
    assert f"--out {taken}: a file exists there" in message and len(message.splitlines()) == 1
    assert taken.read_text() == "keep me"
