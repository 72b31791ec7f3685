"""Ordinary clinical phrases that the fifth review's new rules took for identifiers (found in review;
none of them is in the fifth-review notes): an eponym, a device or a drug product at the end of an
e-mail subject, a fetal presentation in quotes after "Twin A", "Seen Today" between "Patient" and an
age, and a pharmacy named for its service ("Specialty Pharmacy", a "Women's Health Pharmacy" heading).
Each was left as it was before that review; the identifiers the review added are still found."""

from __future__ import annotations

import pytest

from meddx.deid.detect import detect

KEPT = [
    "Subject: RE: consult for Bell Palsy",
    "Subject: question about Holter Monitor",
    "Subject: orders for Foley Catheter",
    "Subject: RE: auth for Humira Pen",
    "Subject: for Tdap Booster",
    'Twin A "Breech", Twin B "Vertex" at 36w.',
    'Twin B "Transverse" presentation',
    "Baby A 'Small' for gestational age",
    "Patient Seen Today, 45 yo",
    "Specialty Pharmacy",
    "Outpatient meds from Retail Pharmacy; Compounding Pharmacy for the cream.",
    "Infusion Pharmacy",
    "Women's Health Pharmacy",
    "Nuclear Pharmacy",
]


@pytest.mark.parametrize("text", KEPT)
def test_clinical_phrases_stay(text: str) -> None:
    assert [text[s.start:s.end] for s in detect(text)] == []


@pytest.mark.parametrize(("text", "found"), [
    ("Subject: RE: dupilumab for Margaux Lefevre-Tessier", "Margaux Lefevre-Tessier"),
    ('Twin A "Josiah" 2.61 kg', "Josiah"),
    ("Pt Summer Cook, 23F, bitten on L hand by a dog.", "Summer Cook"),
    ('Twin B "Grace" 2.28 kg', "Grace"),
    ("Refills at Cornerstone Pharmacy.", "Cornerstone Pharmacy"),
    ("CORNERSTONE PHARMACY #0417", "CORNERSTONE PHARMACY #0417"),
])
def test_the_reviews_identifiers_are_still_found(text: str, found: str) -> None:
    assert found in [text[s.start:s.end] for s in detect(text)]
