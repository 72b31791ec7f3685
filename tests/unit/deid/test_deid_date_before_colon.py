"""A written date whose year is followed by a colon ("Follow-up on March 20, 2021: stable") was found
without its year, so surrogate mode shifted the month and day and kept the original year: for one
patient, that date and "2021-03-20" came out a year apart. Found by an acceptance walk of `meddx deid`."""

from __future__ import annotations

import datetime as dt

import pytest

from meddx.deid.dates import parse_date
from meddx.deid.detect import detect
from meddx.deid.replace import deidentify
from meddx.deid.spans import DeidSettings

SURR = DeidSettings(mode="surrogate", key="unit-test-key")


@pytest.mark.parametrize("note", ["Follow-up on March 20, 2021: stable.", "Reviewed Mar 20 2021: no change",
                                  "Seen on March 20th, 2021:"])
def test_the_year_before_a_colon_belongs_to_the_date(note: str) -> None:
    dates = [note[s.start:s.end] for s in detect(note) if s.type == "DATE"]
    assert len(dates) == 1 and dates[0].endswith("2021"), dates


def test_a_clock_time_after_a_month_and_day_is_still_no_year() -> None:
    note = "Seen Jan 5 10:30 by the team"
    assert [note[s.start:s.end] for s in detect(note) if s.type == "DATE"] == ["Jan 5"]


def test_the_shift_moves_the_year_with_the_rest_of_the_date() -> None:
    out = [deidentify(n, patient_id="p9", settings=SURR) for n in
           ("Follow-up on March 20, 2021: stable.", "Follow-up on 2021-03-20.")]
    shifted = []
    for r in out:
        (span,) = [s for s in r.spans if s.type == "DATE"]
        shifted.append(dt.date(*parse_date(r.text[span.out_start:span.out_end])))
    assert shifted[0] == shifted[1] != dt.date(2021, 3, 20)
