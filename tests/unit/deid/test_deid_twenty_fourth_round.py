"""Round 24: the misses and over-scrubs left by round 23 and found by round 24's held-out lines, as classes
(``docs/deid-notes.md``, round 24; the held-out set is ``test_deid_24_heldout.txt``, marked ``[[TYPE:text]]`` for
an identifier and ``{{text}}`` for a look-alike that must stay).

- names (``names_staff.py``): after a worker's or a party's noun ("driver Kev to", "PC Harman informed",
  "casualty Kyron Blessed winched"); two words before a person's details, an address or a verb of what a person
  does ("Percival Stannard, 84M", "Wilfred Arkwright, Rose Cottage,", "Thaddeus Mbeki-Owens drives"); after
  "death of" and "with ... from";
- places: after a verb of rescue or arrival (``places_travel.py``: "winched from Glen Etive", "arrived via Calais",
  "taken by crew to Treliske"); a town after a service and a comma (``places_clinics.py``: "Eye Clinic,
  Wythenshawe from");
- dates: a range of days before a month (``dates_ranges.py``: "4-8 November"), a dated test ("next test 24/10");
- numbers: an Australian "rego", older British plates after a vehicle word, a "custody number";
- over-scrubs (``overscrub_makers.py``): a shop chain alone as a place ("at Lidl"), a maker's and a model's name
  ("Garmin Venu", "Vicks Sinex"), a name before a device's noun ("Passy Muir valve"), a name ending in a kind of
  thing ("Zimmer Frame"), a dressing after a surname's comma ("McGlinchey, Mepilex applied").

The finder and over-scrub tests fail on the code before this round; the guards keep look-alikes (they pass on both).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.deid import DeidSettings, deidentify
from meddx.deid.detect import detect
from tests.unit.deid.deid_helpers import covered, missed_and_overscrubbed, untouched

HELDOUT = Path(__file__).with_name("test_deid_24_heldout.txt")


@pytest.mark.parametrize("text, phi", [
    ("MDS note: dosette delivered by driver Kev to the house.", "Kev"),
    ("Safeguarding referral: PC Harman informed, log number given.", "Harman"),
    ("Court report for HHJ Mortimer: fit to plead.", "Mortimer"),
    ("Mountain rescue: casualty Kyron Blessed winched to the aircraft.", "Kyron Blessed"),
    ("Supported living: Keyworker Bob Tait rang about the tenancy.", "Bob Tait"),
])
def test_names_after_a_workers_noun(text: str, phi: str) -> None:
    assert covered(text, phi), text


@pytest.mark.parametrize("text, phi", [
    ("Ambulance pre-alert: Percival Stannard, 84M, fall at home.", "Percival Stannard"),
    ("Winifred Ashdown, 97, lives alone with carers twice daily.", "Winifred Ashdown"),
    ("Cornelius Abernathy-Tate, ninety-two, admitted with sepsis.", "Cornelius Abernathy-Tate"),
    ("Home oxygen order form: Wilfred Arkwright, Rose Cottage, Hebden Bridge.", "Wilfred Arkwright"),
    ("Lithium clinic: level 0.7, Thaddeus Mbeki-Owens drives to appointments.", "Thaddeus Mbeki-Owens"),
    ("Coroner's referral: death of Desmond Pilkington on the ward.", "Desmond Pilkington"),
    ("Telehealth: with Jonah Whitcombe from Bozeman, IP logged.", "Jonah Whitcombe"),
])
def test_names_before_a_persons_details_or_after_a_phrase_about_a_person(text: str, phi: str) -> None:
    assert covered(text, phi), text


@pytest.mark.parametrize("text, word", [
    ("Safeguarding: PC Chest pain 2/7, no injury seen.", "Chest"),
    ("Kawasaki screen: Suspected Kawasaki, 4M, echo booked.", "Suspected Kawasaki"),
    ("Falls: Hiatus Hernia, 80 mg omeprazole.", "Hiatus Hernia"),
    ("Probate letter: the Deceased Estate is settled.", "Estate"),
    ("Sister Grace Walker frame needed for the ward.", "frame"),
])
def test_look_alikes_of_worker_names_stay(text: str, word: str) -> None:
    assert untouched(text, word), text


@pytest.mark.parametrize("text, phi", [
    ("Mountain rescue: casualty winched from Glen Etive by helicopter.", "Glen Etive"),
    ("Ambulance: taken by crew to Treliske, handed over.", "Treliske"),
    ("Port health: arrived via Calais on the ferry yesterday.", "Calais"),
    ("GOS18 referral to Eye Clinic, Wythenshawe from the optometrist.", "Wythenshawe"),
    ("Remote area nurse: seen at Papunya health clinic today.", "Papunya"),
])
def test_places_after_rescue_or_arrival_and_after_a_service(text: str, phi: str) -> None:
    assert covered(text, phi), text


@pytest.mark.parametrize("text, word", [
    ("Audit: samples taken in Figure 2 are shown.", "Figure"),
    ("Lab: specimens taken by porter to Histology today.", "Histology"),
    ("Arrived at Resus at 14:00 by ambulance.", "Resus"),
    ("Taken to Theatre for washout.", "Theatre"),
    ("Stoma nurse: seen at Stoma clinic today.", "Stoma"),
    ("Clinic: seen at Botox clinic for spasticity.", "Botox"),
])
def test_look_alikes_of_arrival_and_clinic_places_stay(text: str, word: str) -> None:
    assert untouched(text, word), text


@pytest.mark.parametrize("text, phi", [
    ("Licensing: locum at the hospital 4-8 November, then home.", "4-8 November"),
    ("Annual leave 12th–19th Oct 2024, cover arranged.", "12th–19th Oct 2024"),
    ("INR clinic: INR 3.4, next test 24/10 at the health centre.", "24/10"),
])
def test_a_range_of_days_and_a_dated_test(text: str, phi: str) -> None:
    assert covered(text, phi), text


def test_a_range_of_days_is_tagged_not_shifted() -> None:
    out = deidentify("Locum 4-8 November, then 12/11/2024.", patient_id="p1",
                     settings=DeidSettings(mode="tag", dates="shift", key="k")).text
    assert "4-8 November" not in out and "November" not in out.split(",")[0], out


@pytest.mark.parametrize("text, word", [
    ("Methotrexate dose 2-4 mar noted by patient.", "2-4"),
    ("Pressure sore grade 1-2 may be present.", "1-2"),
    ("Follow-up: next test 6/12 with GP.", "6/12"),
])
def test_look_alikes_of_ranges_and_dated_tests_stay(text: str, word: str) -> None:
    assert untouched(text, word), text


@pytest.mark.parametrize("text, phi, kind", [
    ("RFDS retrieval: rolled ute, rego 1GHX 442, flown out.", "1GHX 442", "VEHICLE"),
    ("Police: car reg A123 BCD seen leaving.", "A123 BCD", "VEHICLE"),
    ("Court report: custody number PN/44871/24, seen in cells.", "PN/44871/24", "ID"),
])
def test_vehicle_and_custody_numbers(text: str, phi: str, kind: str) -> None:
    assert covered(text, phi), text
    assert any(s.type == kind and text[s.start:s.end] == phi for s in detect(text)), text


def test_a_culture_plate_stays() -> None:
    text = "Micro: Blood agar plate A123 BCD incubated."
    assert untouched(text, "A123"), text


@pytest.mark.parametrize("text, word", [
    ("Dietetic note: shops at Lidl and Aldi, eats well.", "Lidl"),
    ("Found collapsed at Lidl, Brynamman.", "Lidl"),
    ("Physio: Zimmer Frame indoors, stairs practised.", "Zimmer Frame"),
    ("Bay 2 Garmin Venu showed AF overnight.", "Garmin Venu"),
    ("Clinic letter -- Garmin Venu showed AF.", "Garmin Venu"),
    ("Clinic letter -- Vicks Sinex daily for congestion.", "Vicks Sinex"),
    ("Bed 5 Tunstall Lifeline pendant fitted.", "Tunstall Lifeline"),
    ("TVN referral: photographed by Sister McGlinchey, Mepilex applied.", "Mepilex"),
])
def test_shops_makers_and_products_are_no_names_or_places(text: str, word: str) -> None:
    assert untouched(text, word), text


@pytest.mark.parametrize("text, phi", [
    ("Found collapsed at Lidl, Brynamman.", "Brynamman"),
    ("TVN referral: photographed by Sister McGlinchey, Mepilex applied.", "McGlinchey"),
    ("Sister Grace Walker frame needed for the ward.", "Grace Walker"),
])
def test_the_person_or_town_next_to_a_product_stays_found(text: str, phi: str) -> None:
    assert covered(text, phi), text


def test_heldout_set_floor() -> None:
    """After round 24 (tuned on it): 163 identifiers, 4 missed and 3 cut, no look-alike flagged; a floor."""
    total, missed, overs = missed_and_overscrubbed(HELDOUT)
    assert total == 163
    assert missed <= 7 and overs == 0, (missed, overs)
