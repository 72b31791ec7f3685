"""Iterative stratification on real multi-label admissions with real patients (MIMIC-III demo).

The 129 admissions of 100 patients (one with 15), labelled with the 12 most frequent ICD-9 codes
(24 to 53 admissions each): the cv folds and the carve keep every patient whole and spread each
code's admissions over the folds more evenly than stratifying by code SET (mean deviation from each
code's ideal share per fold 1.14 admissions against 2.34, seed 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.data.sources import load_source
from meddx.evaluation.cv_folds import development_split, make_folds
from tests.unit.data.csv_files import write_csv

pytestmark = pytest.mark.realdata

OPTIONS = {"label_delimiter": ";", "patient_column": "patient_id"}


def _admissions_csv(shared_data: Path, out: Path) -> Path:
    import pandas as pd

    root = shared_data / "mimic3-demo"
    if not (root / "DIAGNOSES_ICD.csv").is_file():
        pytest.skip(f"{root} is absent")
    dx = pd.read_csv(root / "DIAGNOSES_ICD.csv", dtype={"icd9_code": str})
    top = set(dx["icd9_code"].value_counts().head(12).index)
    codes = dx[dx["icd9_code"].isin(top)].groupby("hadm_id")["icd9_code"].apply(lambda s: ";".join(sorted(set(s))))
    admissions = pd.read_csv(root / "ADMISSIONS.csv")
    rows = [[f"{a.diagnosis} admission {a.hadm_id}", codes.get(a.hadm_id, "[]"), str(a.subject_id)]
            for a in admissions.itertuples()]
    return write_csv(out, ["text", "label", "patient_id"], rows)


def _off(y: np.ndarray, folds: list[np.ndarray]) -> float:
    """Mean over codes and folds of |admissions of the code in the fold - its ideal share| (the worst is the
    15-admission patient's, whole in one fold either way)."""
    per_fold = np.array([y[f].sum(axis=0) for f in folds])
    return float(np.abs(per_fold - y.sum(axis=0) / len(folds)).mean())


def test_folds_and_carve_of_real_admissions_keep_patients_whole_and_spread_each_code(
        shared_data: Path, tmp_path: Path) -> None:
    path = _admissions_csv(shared_data, tmp_path / "admissions.csv")
    source = load_source(path, carve_val=False, text_options=OPTIONS)
    dev = development_split(source)
    y, patients = np.asarray(dev.labels), np.asarray(dev.patient_ids)
    assert y.shape == (129, 12) and len(set(patients.tolist())) == 100
    folds, how = make_folds(dev, source.origin, 5, seed=0, source=source)
    old, _ = make_folds(dev, source.origin, 5, seed=0, source=source, iterative=False)
    assert "iteratively stratified by label and grouped by patient" in how
    for a in range(5):
        for b in range(a + 1, 5):
            assert not set(patients[folds[a]].tolist()) & set(patients[folds[b]].tolist())
    assert _off(y, folds) < 0.75 * _off(y, old)  # measured: 1.14 against 2.34 (seed 0)
    assert np.all(np.array([y[f].sum(axis=0) for f in folds]) >= 1)  # every code in every fold
    carved = load_source(path, text_options=OPTIONS)
    note = next(n for n in carved.notes if n.startswith("validation carved from train"))
    assert "iteratively stratified by label and grouped by patient" in note
    train, val = carved.splits["train"], carved.splits["val"]
    assert not set(train.patient_ids or []) & set(val.patient_ids or [])
