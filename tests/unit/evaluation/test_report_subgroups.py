"""report.html shows the largest subgroup gap with its multiplicity-adjusted p-value."""

from __future__ import annotations

from meddx.evaluation.report_subgroups import gap_sentence

NAMES = {"auc": "AUC"}
GAP = {"metric": "auc", "gap": 0.05, "between": ["F", "M"], "values": [0.88, 0.83]}


def test_gap_sentence_gives_the_adjusted_and_unadjusted_p_values() -> None:
    html = gap_sentence({**GAP, "p_value": 0.0004, "p_adjusted": 0.21, "n_comparisons": 15,
                         "n_permutations": 1000, "unit": "patient"}, NAMES)
    assert "Largest gap: AUC differs by <b>0.050</b> between “F” and “M”." in html
    assert "Adjusted for the 15 comparisons it was picked from" in html and "1000 shuffles by patient" in html
    assert "p = <b>0.210</b>" in html and "unadjusted: p = &lt; 0.001" in html


def test_gap_without_a_test_says_why_or_nothing() -> None:
    assert "p =" not in gap_sentence(GAP, NAMES)  # metrics.json written before the test existed
    note = "no permutation test (n_resamples=0, --bootstrap 0): the gap has no p-value"
    html = gap_sentence({**GAP, "p_value": None, "p_adjusted": None, "note": note}, NAMES)
    assert "p = <b>" not in html and "no permutation test" in html
    assert gap_sentence({}, NAMES) == ""
