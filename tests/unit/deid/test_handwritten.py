"""Recall on notes written by hand, independently of the synthetic generator's templates.

The generator and the rules were written together, so their 1.000 says only that the rules cover
the generator. These notes were written afterwards by someone else, in styles the generator does
not use (lower-case names, names without titles, European and spelled-out dates, bare street
addresses, international phone numbers, odd ID layouts). The test fixes a floor just under what
was measured and prints the per-type table; docs/deid.md quotes it as the honest estimate.
"""

from __future__ import annotations

from meddx.deid import deidentify
from meddx.deid.evaluate import parse_marked, score
from meddx.deid.synthetic import SyntheticNote

# {TYPE|text} marks a planted identifier; everything else is not PHI.
FLOOR = 0.83  # measured 0.791 (34 of 43) before the dev-set rules, 0.860 (37 of 43) after them

NOTES = [
    "Seen today with {NAME|maria gonzalez}, 67F, for follow-up of COPD. Daughter {NAME|Ana} present. "
    "Next visit {DATE|14 March 2022}. Contact {PHONE|+44 20 7946 0958}.",
    "{NAME|Okonkwo}, {NAME|Chidi} admitted {DATE|03.04.2021} to {LOCATION|St. Jude Medical Center} "
    "with chest pain. Troponin 0.04 ng/mL. BP 142/88. Discharged {DATE|the 7th of April}.",
    "Referral from {NAME|Dr Patel} ({EMAIL|r.patel@clinic.example.org}). Patient lives at "
    "{LOCATION|221 Baker Street}, {LOCATION|Portland}, OR {LOCATION|97205}. MRN {MRN|A-0098812}.",
    "Patient is a {AGE|93}-year-old man from {LOCATION|Duluth, Minnesota} with atrial fibrillation on "
    "apixaban 5 mg twice daily. SSN on file {SSN|078-05-1120}. Insurance ID {HEALTH_PLAN|XJH 4412 9981}.",
    "Pacemaker serial no. {DEVICE|PM7731-22A} interrogated without events. Portal: "
    "{URL|https://portal.example.net/p/8812}. Login from {IP|10.24.3.117}.",
    "Mr {NAME|Lindqvist} called on {DATE|Jan 3} asking about his results; his wife {NAME|Ingrid} drove "
    "him (plate {VEHICLE|7KXM-442}). Account {ACCOUNT|4401-2239-11}.",
    "Nursing note: {NAME|jamal} ambulated 40 m with walker, SpO2 94% on 2 L. Fax results to "
    "{FAX|(312) 555-0187} attn {NAME|K. Whitfield} RN.",
    "HPI: {AGE|91} yo woman, widow of the late {NAME|Harold Finch}, presents after a fall at "
    "{LOCATION|Sunrise Manor} nursing home on {DATE|12/25/2020}. CT head negative.",
    "Physician licence {LICENSE|MD-448120}; DEA number {LICENSE|BP4471123}. Photo ID checked "
    "({PHOTO|photo badge 55-1192}). Retinal scan {BIOMETRIC|RS-00912} enrolled.",
    "Telehealth visit, patient in {LOCATION|Galveston}; email {EMAIL|ms.dubois@example.com}, "
    "cell {PHONE|409 555 0144}. Follow-up {DATE|2022-11-30}. Record {ID|case 88-1207}.",
]


def _parse(i: int, marked: str) -> SyntheticNote:
    return parse_marked(marked, f"hand{i}", f"p{i}")


def test_recall_on_hand_written_notes() -> None:
    notes = [_parse(i, n) for i, n in enumerate(NOTES)]
    results = [deidentify(n.text, patient_id=n.patient_id) for n in notes]
    table = score(notes, results)
    for kind, row in sorted(table["per_type"].items()):
        print(f"{kind:12s} planted {row['planted']:3d} recall {row['recall']:.2f} precision "
              f"{row['precision'] if row['precision'] is not None else float('nan'):.2f}")
    overall = table["overall"]
    print(f"overall recall {overall['recall']:.3f} precision {overall['precision']:.3f}")
    assert overall["planted"] == sum(len(n.spans) for n in notes) == 43
    assert overall["recall"] >= FLOOR
