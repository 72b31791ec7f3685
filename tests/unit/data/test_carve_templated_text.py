"""Identical documents of different patients are templated text, not one sample filed twice: a
carve or cv grouped by patient does not join those patients (40 patients with the report "No
acute cardiopulmonary process." made one group, and val took 44 of 100 documents). Images that
two patient ids share are still joined (tests/unit/data/test_data_splits.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from meddx.data.sources import load_source
from meddx.data.synthetic_text import keyword_documents

TEMPLATE = "No acute cardiopulmonary process."


def _reports(path: Path) -> Path:
    texts, labels = keyword_documents(60, seed=3, length=(30, 50))
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label", "patient_id"])
        writer.writerows([t, f"c{y}", f"p{i}"] for i, (t, y) in enumerate(zip(texts, labels)))
        writer.writerows([TEMPLATE, "c0", f"q{i}"] for i in range(40))
    return path


def _carve_note(source) -> str:  # type: ignore[no-untyped-def]
    return next(n for n in source.notes if n.startswith("validation carved"))


def test_a_carve_by_patient_does_not_join_patients_sharing_a_templated_report(tmp_path: Path) -> None:
    path = _reports(tmp_path / "reports.csv")
    for seed in range(5):
        source = load_source(path, seed=seed)
        assert len(source.split("val")) == 10, _carve_note(source)  # 10% of 100 patients of one document each
        assert "joined" not in _carve_note(source).split(";")[1]
    assert "near copies" in _carve_note(source)  # a resumed run recognises the new carving by it


def test_bundles_carved_before_re_carve_as_they_did(tmp_path: Path) -> None:
    old = load_source(_reports(tmp_path / "reports.csv"), near_copies=False)
    assert "patients sharing identical content joined" in _carve_note(old)


def test_cv_folds_by_patient_do_not_join_patients_sharing_a_templated_report(tmp_path: Path) -> None:
    from meddx.evaluation.cv import make_folds

    split = load_source(_reports(tmp_path / "reports.csv"), carve_val=False).split("train")
    folds, how = make_folds(split, "reports.csv", 5)
    assert sorted(len(f) for f in folds) == [20] * 5 and "joined" not in how
