"""Copies shared only between train and val (18 on PneumoniaMNIST) leave test held out: the leakage warning
says what they do affect (the validation numbers, and the threshold and temperature chosen on them)."""

from __future__ import annotations

from meddx.evaluation.evaluate import leakage_warning


def _dataset(by_split: dict[str, int], patients: int = 0) -> dict:
    return {"notes": [], "duplicates": {"leakage": True, "cross_split": sum(by_split.values()),
                                        "cross_split_by_split": by_split, "patients_across_splits": patients}}


def test_copies_between_train_and_val_only_name_the_validation_numbers_and_what_was_chosen_on_them() -> None:
    text = leakage_warning(_dataset({"train": 9, "val": 9, "test": 0})) or ""
    assert "18 samples (train 9, val 9, test 0)" in text
    assert "validation numbers may be optimistic" in text and "threshold and temperature chosen on them" in text
    assert "test numbers may be optimistic" not in text and "--clean-manifest" in text


def test_copies_reaching_test_or_shared_patients_still_warn_about_the_test_numbers() -> None:
    assert "test numbers may be optimistic" in (leakage_warning(_dataset({"train": 2, "test": 1})) or "")
    assert "test numbers may be optimistic" in (leakage_warning(_dataset({"train": 2, "val": 2}, patients=3)) or "")
