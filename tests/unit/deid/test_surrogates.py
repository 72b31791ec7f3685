"""Surrogates are consistent per patient, dates keep their intervals and format, ages > 89 are
aggregated, and the key is resolved and stored safely."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat

import pytest

from meddx.deid.dates import parse_date, shift_date
from meddx.deid.replace import deidentify
from meddx.deid.spans import DeidSettings
from meddx.deid.surrogate import Surrogates, key_path

KEY = "unit-test-key"
SURR = DeidSettings(mode="surrogate", key=KEY)


def _dates(result, text_out: str) -> list[dt.date]:
    out = []
    for span in result.spans:
        if span.type == "DATE":
            y, m, d = parse_date(text_out[span.out_start:span.out_end])
            out.append(dt.date(y, m, d))
    return out


def test_same_name_same_surrogate_within_a_patient() -> None:
    a = deidentify("Patient: Xavi Quonset. Mr. Quonset reports pain.", patient_id="p1", settings=SURR)
    b = deidentify("Seen by Dr. Okonkwo. Mr. Quonset is better.", patient_id="p1", settings=SURR)
    assert "Quonset" not in a.text and "Quonset" not in b.text
    fake_a = [a.text[s.out_start:s.out_end] for s in a.spans if s.type == "NAME"]
    fake_b = [b.text[s.out_start:s.out_end] for s in b.spans if s.type == "NAME"]
    assert fake_a[0].split()[-1] == fake_a[1] == fake_b[-1]


def test_other_patient_gets_other_surrogates() -> None:
    names = {deidentify("Patient: Xavi Quonset.", patient_id=f"p{i}", settings=SURR).text for i in range(8)}
    assert len(names) > 1


def test_date_intervals_are_kept_per_patient_and_format_is_kept() -> None:
    note1 = "Admitted 03/14/2021. Discharged 03/20/2021."
    note2 = "Follow-up on April 2, 2021 and again 2021-05-01."
    r1 = deidentify(note1, patient_id="p7", settings=SURR)
    r2 = deidentify(note2, patient_id="p7", settings=SURR)
    d1, d2 = _dates(r1, r1.text), _dates(r2, r2.text)
    original = [dt.date(2021, 3, 14), dt.date(2021, 3, 20), dt.date(2021, 4, 2), dt.date(2021, 5, 1)]
    shifted = d1 + d2
    offsets = {(s - o).days for s, o in zip(shifted, original)}
    assert len(offsets) == 1, "every date of a patient moves by the same offset"
    assert -365 <= offsets.pop() <= -30
    assert re.search(r"\d{2}/\d{2}/\d{4}", r1.text) and re.search(r"[A-Z][a-z]+ \d{1,2}, \d{4}", r2.text)
    assert "03/14/2021" not in r1.text


def test_different_patients_get_different_offsets() -> None:
    offsets = {Surrogates(KEY.encode(), f"patient-{i}").date_offset() for i in range(20)}
    assert len(offsets) > 10
    assert all(-365 <= o <= -30 for o in offsets)


def test_tag_mode_can_shift_dates_too() -> None:
    r = deidentify("Seen 03/14/2021 by Dr. Quonset.", patient_id="p1", settings=DeidSettings(dates="shift", key=KEY))
    assert "[NAME]" in r.text and "[DATE]" not in r.text and "03/14/2021" not in r.text
    r = deidentify("Seen 03/14/2021 by Dr. Quonset.", settings=DeidSettings(key=KEY))
    assert r.text == "Seen [DATE] by Dr. [NAME]."  # no patient id: dates tagged by default


@pytest.mark.parametrize("date, pattern", [
    ("03/14/2021", r"\d{2}/\d{2}/\d{4}"), ("3/4/21", r"\d{1,2}/\d{1,2}/\d{2}"),
    ("March 14, 2021", r"[A-Z][a-z]+ \d+, \d{4}"), ("14-Mar-2021", r"\d{2}-[A-Z][a-z]{2}-\d{4}"),
    ("2021-03-14", r"\d{4}-\d{2}-\d{2}"), ("Mar 14th", r"[A-Z][a-z]{2} \d+(st|nd|rd|th)"),
    ("14MAR21", r"\d{2}[A-Z]{3}\d{2}"), ("March 2021", r"[A-Z][a-z]+ \d{4}"),
])
def test_shift_keeps_the_format(date: str, pattern: str) -> None:
    shifted = shift_date(date, -100)
    assert shifted is not None and shifted != date and re.fullmatch(pattern, shifted), shifted


def test_ages_over_89_are_aggregated() -> None:
    text = "A 92-year-old man; his wife is 88 years old."
    assert deidentify(text).text == "A [AGE>89]-year-old man; his wife is 88 years old."
    assert deidentify(text, settings=SURR).text.startswith("A 90+-year-old man")


@pytest.mark.parametrize("text, scrubbed", [
    ("Age 95.", "Age [AGE>89]."),
    ("She is 94.", "She is [AGE>89]."),
    ("She is 94 years.", "She is [AGE>89] years."),
    ("92 y.o. male", "[AGE>89] y.o. male"),
    ("92F with CHF.", "[AGE>89]F with CHF."),
    ("Pt is a 91 M, admitted.", "Pt is a [AGE>89] M, admitted."),
])
def test_ages_over_89_in_short_clinical_forms_are_found(text: str, scrubbed: str) -> None:
    assert deidentify(text).text == scrubbed


@pytest.mark.parametrize("text", ["Temp 99F today.", "T max 101F.", "BP is 94/60.", "Sat is 94%.", "HR 92 bpm.",
                                  "weight 95.5 kg", "smoked for 40 years"])
def test_measurements_near_ninety_are_not_taken_for_ages(text: str) -> None:
    assert deidentify(text).text == text


@pytest.mark.parametrize("birth", ["D.O.B. 01/02/1930", "Her birthday is Jan 2 1930", "b. 1/2/1930"])
def test_birth_dates_after_every_birth_word_are_removed_when_the_patient_is_over_89(birth: str) -> None:
    r = deidentify(f"{birth}. Seen 03/14/2021.", patient_id="p1", settings=SURR)
    assert "[DATE>89]" in r.text and "1930" not in r.text and "1929" not in r.text, r.text


def test_birth_date_of_someone_over_89_is_not_shifted() -> None:
    r = deidentify("DOB: 03/14/1925. Seen 03/14/2021.", patient_id="p1", settings=SURR)
    assert "[DATE>89]" in r.text and "1925" not in r.text
    r = deidentify("DOB: 03/14/1975. Seen 03/14/2021.", patient_id="p1", settings=SURR)
    assert "[DATE>89]" not in r.text and re.search(r"\d{2}/\d{2}/197[45]", r.text)


def test_output_offsets_point_at_the_replacements() -> None:
    text = "Dr. Quonset called (617) 555-0123 on 3/14/2021."
    r = deidentify(text, settings=SURR, patient_id="p2")
    assert [r.text[s.out_start:s.out_end] for s in r.spans] != [text[s.start:s.end] for s in r.spans]
    rebuilt, pos = [], 0
    for s in r.spans:
        rebuilt.append(text[pos:s.start])
        rebuilt.append(r.text[s.out_start:s.out_end])
        pos = s.end
    assert "".join(rebuilt) + text[pos:] == r.text


def test_same_key_same_output_other_key_other_output() -> None:
    text = "Patient: Xavi Quonset, MRN 00482913, seen 03/14/2021."
    one = deidentify(text, patient_id="p", settings=SURR).text
    assert deidentify(text, patient_id="p", settings=SURR).text == one
    assert deidentify(text, patient_id="p", settings=DeidSettings(mode="surrogate", key="other")).text != one


def test_key_from_environment_then_file(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Patient: Xavi Quonset."
    monkeypatch.setenv("MEDDX_DEID_KEY", KEY)
    assert deidentify(text, patient_id="p", settings=DeidSettings(mode="surrogate")).text == \
        deidentify(text, patient_id="p", settings=SURR).text
    monkeypatch.delenv("MEDDX_DEID_KEY")
    first = deidentify(text, patient_id="p", settings=DeidSettings(mode="surrogate")).text
    path = key_path()
    assert path.is_file() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert deidentify(text, patient_id="p", settings=DeidSettings(mode="surrogate")).text == first


def test_tag_mode_never_creates_a_key() -> None:
    deidentify("Dr. Quonset on 3/14/2021.")
    assert not key_path().exists()


def test_bad_settings_are_refused() -> None:
    from meddx.core.errors import ConfigError

    with pytest.raises(ConfigError, match="NAME"):
        DeidSettings(types=frozenset({"NAMES"}))
    with pytest.raises(ConfigError, match="tag"):
        DeidSettings(mode="fake")  # type: ignore[arg-type]


def test_types_subset_only_scrubs_those() -> None:
    r = deidentify("Dr. Quonset on 3/14/2021, phone 617-555-0123.", settings=DeidSettings(types=frozenset({"PHONE"})))
    assert r.text == "Dr. Quonset on 3/14/2021, phone [PHONE]."


@pytest.mark.parametrize("text, over", [
    ("DOB 06/15/1931. Seen 03/04/2021.", False),   # 89 years and 8 months
    ("DOB 12/31/1931. Seen 01/01/2021.", False),   # 89 the day after New Year
    ("DOB 03/05/1931. Seen 03/04/2021.", False),   # 90 tomorrow
    ("DOB 03/04/1931. Seen 03/04/2021.", True),    # 90 today
    ("DOB 1931. Seen 03/04/2021.", True),          # 89 or 90: Safe Harbor errs towards removal
])
def test_a_birth_date_is_removed_from_the_ninetieth_birthday_not_the_year(text: str, over: bool) -> None:
    """Found by an audit: the age was the difference of years, so patients of 89 lost their birth date."""
    r = deidentify(text, patient_id="p1", settings=SURR)
    assert ("[DATE>89]" in r.text) is over, r.text


def test_surrogate_house_numbers_never_start_with_zero() -> None:
    """Found by an audit: "412 Birchwood Lane" could become "067 Juniper Lane"."""
    for i in range(200):
        r = deidentify("Lives at 412 Birchwood Lane, Springfield.", patient_id=f"p{i}", settings=SURR)
        number = re.search(r"at (\d+) ", r.text)
        assert number and not number.group(1).startswith("0"), r.text


def test_a_note_that_writes_dates_day_first_keeps_its_ambiguous_dates_day_first() -> None:
    """Found by an audit: 05/04/2021 beside 14/03/2021 was read as May 4 and written month first,
    so the UK letter got an impossible mix and lost its 22-day interval."""
    import datetime as dt

    text = "Admitted 14/03/2021, discharged 20/03/2021, follow-up 05/04/2021."
    out = deidentify(text, patient_id="p1", settings=SURR).text
    dates = [dt.datetime.strptime(d, "%d/%m/%Y").date() for d in re.findall(r"\d{2}/\d{2}/\d{4}", out)]
    assert len(dates) == 3 and [(d - dates[0]).days for d in dates] == [0, 6, 22], out
    us = deidentify("Admitted 03/14/2021, follow-up 05/04/2021.", patient_id="p1", settings=SURR).text
    first, second = (dt.datetime.strptime(d, "%m/%d/%Y").date() for d in re.findall(r"\d{2}/\d{2}/\d{4}", us))
    assert (second - first).days == 51, us  # month first stays month first (March 14 to May 4)
