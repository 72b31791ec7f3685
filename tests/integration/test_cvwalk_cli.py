"""``meddx cv`` walked as a researcher writing a paper (the cvwalk walk).

- Every printed per-fold, mean ± sd and pooled number is recomputed with scikit-learn from
  ``oof_predictions.csv``; no patient sits in two folds' held-out parts (guards: these held).
- The pooled interval's method, level, resamples and unit are in ``cv.json`` and on its line (they were not).
- ``--patient-column`` with an image manifest was ignored without a word and the folds trained; now
  refused on one line before anything trains.
- A fold that will test no case of a class was said only after every fold had trained; now a note says
  it before fold 0 trains.
- A source's own test split was left out of the folds without a word; now a note and ``n_test_unused``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from tests.integration.cli_helpers import one_line, run_cli


def _table(path: Path, patients: int = 60, rare: int | None = None) -> Path:
    """Two rows per patient, label per patient (every third positive, or the first ``rare`` rows' patients)."""
    rng = np.random.default_rng(0)
    rows = ["id,patient_id,x1,x2,label"]
    for p in range(patients):
        y = int(p < rare) if rare is not None else int(p % 3 == 0)
        for r in range(2 if rare is None else 1):
            rows.append(f"p{p}r{r},P{p},{rng.normal() + 1.5 * y:.4f},{rng.normal():.4f},{y}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_printed_numbers_recompute_from_the_saved_predictions(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cv"
    result = run_cli(["cv", "--data", str(_table(tmp_path / "t.csv")), "--label-column", "label", "--folds", "3",
                      "--model", "logreg", "--out", str(out)], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((out / "cv.json").read_text())
    oof = pd.read_csv(out / "oof_predictions.csv", dtype={"label": str})
    y = (oof["label"] == "1").to_numpy().astype(int)
    decided = (oof["predicted"] == "label=1").to_numpy().astype(int)
    score = oof["p_label=1"].to_numpy()
    assert (oof.groupby("patient_id")["fold"].nunique() == 1).all()  # no patient in two folds
    for fold in summary["folds"]:
        m = oof["fold"].to_numpy() == fold["fold"]
        assert fold["n_test"] == m.sum()
        assert fold["auc"] == pytest.approx(skm.roc_auc_score(y[m], score[m]), abs=1e-12)
        assert fold["accuracy"] == pytest.approx(skm.accuracy_score(y[m], decided[m]), abs=1e-12)
        assert fold["macro_f1"] == pytest.approx(skm.f1_score(y[m], decided[m], average="macro"), abs=1e-12)
        assert f"  fold {fold['fold']}: n_test={m.sum()}  AUC {fold['auc']:.3f}" in result.out
    aucs = [f["auc"] for f in summary["folds"]]
    assert summary["sd"]["auc"] == pytest.approx(np.std(aucs, ddof=1), abs=1e-12)
    assert f"  auc: {np.mean(aucs):.3f} ± {np.std(aucs, ddof=1):.3f}" in result.out
    assert "mean ± sd over the 3 folds (sd: the spread between folds, not a confidence interval):" in result.out
    assert summary["n_test_unused"] == 0 and "test split" not in result.err  # no test split: every row in a fold
    pooled = summary["pooled"]
    assert pooled["auc"]["estimate"] == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert (pooled["level"], pooled["n_resamples"], pooled["unit"], pooled["n_units"]) == (0.95, 1000, "patient", 60)
    lo, hi = pooled["auc"]["bca"]
    assert (f"pooled out-of-fold AUC {pooled['auc']['estimate']:.3f} ({lo:.3f}–{hi:.3f})  "
            "(95% BCa bootstrap CI, 60 patients resampled 1000 times)") in result.out


def _manifest(root: Path) -> Path:
    from PIL import Image

    (root / "images").mkdir(parents=True)
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "subject"])
        for i in range(12):
            Image.fromarray(np.full((8, 8), 20 * i, dtype=np.uint8)).save(root / "images" / f"s{i}.png")
            writer.writerow([f"images/s{i}.png", i % 2, f"S{i // 2}"])
    return root / "manifest.csv"


class _Trained(Exception):
    """Raised by the stand-in ``fit``: a fold began training."""


def _no_training(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import meddx.training.fit as fitlib

    calls: list[int] = []

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise _Trained()

    monkeypatch.setattr(fitlib, "fit", refuse)
    return calls


def test_image_manifest_refuses_a_patient_column_before_training(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    calls = _no_training(monkeypatch)
    out = tmp_path / "cv"
    result = run_cli(["cv", "--data", str(_manifest(tmp_path / "img")), "--patient-column", "subject",
                      "--folds", "2", "--out", str(out)], capsys)
    line = one_line(result)
    assert line.startswith("meddx: error: --patient-column 'subject': ") and "image source" in line
    assert "patient_id" in line and calls == [] and not out.exists()


def test_a_fold_without_a_class_is_said_before_fold_0_trains(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    calls = _no_training(monkeypatch)
    with pytest.raises(_Trained):  # the first fold's fit was reached: the note came before it
        run_cli(["cv", "--data", str(_table(tmp_path / "t.csv", patients=40, rare=3)), "--label-column",
                 "label", "--folds", "5", "--model", "logreg", "--out", str(tmp_path / "cv")], capsys)
    captured = capsys.readouterr()
    assert calls == [1]
    note = next(line for line in captured.err.splitlines() if line.startswith("note: before fold 0 trains"))
    assert "holds no case of 'label=1' (3 sample(s), in 3 of the 5 folds)" in note and "--folds 3" in note
    assert "note:" not in captured.out


def test_a_test_split_left_out_of_the_folds_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _table(tmp_path / "t.csv", patients=45)
    lines = table.read_text().splitlines()
    table.write_text("\n".join([lines[0] + ",split"] + [f"{row},{'test' if i >= 60 else 'train'}"
                                                           for i, row in enumerate(lines[1:])]) + "\n")
    out = tmp_path / "cv"
    result = run_cli(["cv", "--data", str(table), "--label-column", "label", "--folds", "3", "--model", "logreg",
                      "--out", str(out)], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((out / "cv.json").read_text())
    assert (summary["n"], summary["n_test_unused"]) == (60, 30)
    note = next(line for line in result.err.splitlines() if "own test split" in line)
    assert note.startswith("note: ") and "(30 samples) is not used" in note and "its 60 train and val" in note
    assert len(pd.read_csv(out / "oof_predictions.csv")) == 60
