"""Text ``--fix`` and patients on two splits; duplicate-search settings compared between reports."""

from __future__ import annotations

import numpy as np

from meddx.data.base import SplitData, TextSource
from meddx.data.text_verify import clean_text_source, verify_text_source
from meddx.data.verify_settings import earlier_report_note, settings_difference


def _notes() -> TextSource:
    """Distinct documents; patient p1 has a note in train and another in test (no copy anywhere)."""
    texts = ["fever and cough for three days with chest pain", "headache and blurred vision since the morning",
             "abdominal pain in the lower right quadrant with nausea",
             "itchy red rash on both forearms after gardening",
             "persistent dry cough and night sweats for several weeks"]
    splits = {"train": SplitData(["1", "2", "3"], np.array([0, 1, 0]), texts=texts[:3], patient_ids=["p1", "p2", "p3"]),
              "test": SplitData(["4", "5"], np.array([1, 0]), texts=texts[3:], patient_ids=["p1", "p5"])}
    return TextSource(name="notes", origin="memory", task="multiclass", label_names=["a", "b"], spatial_dims=0,
                      splits=splits)


def test_drop_duplicates_and_merge_keep_a_shared_patient_in_its_earliest_split_only() -> None:
    source = _notes()
    report = verify_text_source(source)
    assert report.has_leakage and not report.exact_duplicates and not report.near_duplicates
    for policy in ("drop-duplicates", "merge"):
        cleaned, done = clean_text_source(source, report, policy)
        assert done["removed"] == {"test": ["4"]} and done["patients_separated"] == 1
        assert cleaned.splits["test"].ids == ["5"] and cleaned.splits["train"].ids == ["1", "2", "3"]
        assert not verify_text_source(cleaned).has_leakage
        assert "1 patient(s) on two splits" in cleaned.notes[-1]


def test_drop_conflicting_leaves_the_patient_and_says_so() -> None:
    source = _notes()
    cleaned, done = clean_text_source(source, verify_text_source(source), "drop-conflicting")
    assert done["removed_rows"] == 0 and "patients_separated" not in done
    assert done["left_on_two_splits"].startswith("1 patient(s) still have rows on two splits")
    assert verify_text_source(cleaned).has_leakage


def test_settings_difference_names_changed_keys_and_reads_absent_search_version_as_1() -> None:
    now = {"near_duplicates": True, "hash_size": 8, "max_distance": 2, "min_correlation": 0.98,
           "flips_rotations": True, "search_version": 2}
    old = {"near_duplicates": True, "hash_size": 8, "max_distance": 2, "min_correlation": 0.98}
    assert settings_difference(old, now) == "flips_rotations False -> True, search_version 1 -> 2"
    assert settings_difference(now, dict(now)) is None
    assert settings_difference({**now, "max_distance": 4}, now) == "max_distance 4 -> 2"
    text_old, text_now = {"threshold": 0.8, "shingle": 5}, {"threshold": 0.8, "shingle": 3, "lsh_threshold": 0.7}
    assert settings_difference(text_old, text_now) == "shingle 5 -> 3"  # a key one side lacks is not guessed
    note = earlier_report_note("r.json", {"settings": old}, {"settings": now})
    assert note is not None and note.startswith("r.json: the earlier report there was made with other")
    assert earlier_report_note("r.json", None, {"settings": now}) is None
