"""MIMIC-III reader on a tiny folder in the MIMIC schema written here (with CHARTEVENTS and
LABEVENTS, which the public demo lacks): stays, labels, static features, item mapping, unit
conversion, window and cleaning counts, with every expected number worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.series import is_series_spec, load_mimic3, load_series_source

TABLES = {
    "PATIENTS": "row_id,subject_id,gender,dob\n1,1,M,2050-01-01 00:00:00\n2,2,F,1800-01-01 00:00:00\n",
    "ADMISSIONS": "row_id,subject_id,hadm_id,hospital_expire_flag\n1,1,100,0\n2,1,101,1\n3,2,200,0\n",
    "ICUSTAYS": ("row_id,subject_id,hadm_id,icustay_id,first_careunit,intime,outtime\n"
                 "1,1,100,1000,MICU,2100-01-01 00:00:00,2100-01-05 00:00:00\n"
                 "2,1,101,1001,CCU,2100-06-01 00:00:00,2100-06-02 12:00:00\n"
                 "3,2,200,2000,SICU,2101-01-01 00:00:00,2101-01-03 00:00:00\n"),
    # upper-case header, as in the full database
    "CHARTEVENTS": ("ROW_ID,SUBJECT_ID,HADM_ID,ICUSTAY_ID,ITEMID,CHARTTIME,VALUE,VALUENUM,ERROR\n"
                    "1,1,100,1000,211,2100-01-01 01:00:00,80,80,0\n"
                    "2,1,100,1000,220045,2100-01-01 02:00:00,0,0,0\n"
                    "3,1,100,1000,223761,2100-01-01 03:00:00,98.6,98.6,0\n"
                    "4,1,100,1000,223835,2100-01-01 03:00:00,50,50,0\n"
                    "5,1,100,1000,211,2100-01-03 02:00:00,85,85,0\n"
                    "6,1,100,1000,211,2099-12-31 23:00:00,70,70,0\n"
                    "7,1,100,1000,211,2100-01-01 01:30:00,75,75,1\n"
                    "8,1,100,1000,999999,2100-01-01 01:30:00,5,5,0\n"
                    "9,1,100,1000,211,2100-01-01 01:45:00,Error,,0\n"
                    "10,1,100,,211,2100-01-01 04:00:00,90,90,0\n"),
    "LABEVENTS": ("row_id,subject_id,hadm_id,itemid,charttime,value,valuenum\n"
                  "1,1,100,50813,2100-01-01 05:00:00,2.5,2.5\n"
                  "2,1,101,50813,2100-06-01 10:00:00,6.0,6.0\n"
                  "3,1,101,50813,2100-06-03 10:00:00,7.0,7.0\n"
                  "4,2,200,50820,2101-01-01 08:00:00,735,735\n"),
    "OUTPUTEVENTS": ("row_id,subject_id,hadm_id,icustay_id,charttime,itemid,value,iserror\n"
                     "1,2,200,2000,2101-01-01 06:00:00,40055,100,\n"
                     "2,2,200,2000,2101-01-01 07:00:00,40055,120,1\n"),
    "INPUTEVENTS_MV": ("row_id,subject_id,hadm_id,icustay_id,starttime,itemid,amount,statusdescription\n"
                       "1,1,101,1001,2100-06-01 01:00:00,221906,3.2,FinishedRunning\n"
                       "2,1,101,1001,2100-06-01 02:00:00,225158,500,Rewritten\n"),
}


def _folder(tmp_path: Path, skip: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / "mimic"
    folder.mkdir()
    for name, text in TABLES.items():
        if name not in skip:
            (folder / f"{name}.csv").write_text(text)
    return folder


def test_mimic_stays_labels_static(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    assert is_series_spec(folder) and is_series_spec(f"mimic3:{folder}")
    src = load_series_source(folder, labels_file="ignored.csv")
    train = src.splits["train"]
    assert train.ids == ["1000", "1001", "2000"] and train.labels.tolist() == [0, 1, 0]
    assert train.patient_ids == ["1", "1", "2"] and src.label_names == ["survived", "died"]
    s = {sid: dict(zip(src.static_names, src.get_record("train", i).static)) for i, sid in enumerate(train.ids)}
    assert s["1000"]["Age"] == pytest.approx(50.0, abs=0.01) and s["1000"]["Gender"] == 1
    assert s["1000"]["CareUnit:MICU"] == 1 and s["1001"]["CareUnit:CCU"] == 1
    assert s["2000"]["Age"] == 90 and s["2000"]["Gender"] == 0 and s["2000"]["CareUnit:SICU"] == 1
    assert "CHARTEVENTS, LABEVENTS, OUTPUTEVENTS, INPUTEVENTS_MV" in src.notes[0]


def test_mimic_events_by_hand(tmp_path: Path) -> None:
    src = load_mimic3(_folder(tmp_path))
    r = src.get_record("train", 0)
    got = [(float(t), src.variables[v], float(x)) for t, v, x in zip(r.times, r.variables, r.values)]
    expected = [(1.0, "HR", 80.0), (3.0, "Temp", 37.0), (3.0, "FiO2", 0.5), (4.0, "HR", 90.0), (5.0, "Lactate", 2.5)]
    assert [(t, v) for t, v, _ in got] == [(t, v) for t, v, _ in expected]
    np.testing.assert_allclose([x for *_, x in got], [x for *_, x in expected], rtol=1e-5)
    r1 = src.get_record("train", 1)  # the lab after outtime is not this stay's
    assert [(float(t), src.variables[v], float(x)) for t, v, x in zip(r1.times, r1.variables, r1.values)] == [
        (1.0, "Vasoactive", 1.0), (10.0, "Lactate", 6.0)]
    r2 = src.get_record("train", 2)
    assert r2.values.tolist() == [100.0] and src.variables[int(r2.variables[0])] == "Urine"
    c = src.cleaning["variables"]
    assert c["HR"] == {"n_kept": 2, "n_invalid_marker": 2, "n_out_of_range": 1, "n_before_window": 1,
                       "n_after_window": 1}
    assert c["pH"]["n_out_of_range"] == 1 and c["Urine"]["n_invalid_marker"] == 1
    assert c["IVFluid"]["n_invalid_marker"] == 1 and src.cleaning["tables_used"][0] == "CHARTEVENTS"


def test_mimic_window_and_absent_tables(tmp_path: Path) -> None:
    src = load_mimic3(_folder(tmp_path, skip=("CHARTEVENTS", "LABEVENTS")), window_hours=4)
    assert any("absent tables: CHARTEVENTS, LABEVENTS" in n for n in src.notes)
    assert len(src.get_record("train", 0)) == 0 and src.cleaning["tables_absent"] == ["CHARTEVENTS", "LABEVENTS"]
    assert src.cleaning["variables"]["Urine"]["n_after_window"] == 1 and src.window_hours == 4.0


def test_mimic_errors(tmp_path: Path) -> None:
    folder = _folder(tmp_path, skip=("PATIENTS",))
    with pytest.raises(DataError, match="PATIENTS.csv not found"):
        load_mimic3(folder)
    (folder / "PATIENTS.csv").write_text(TABLES["PATIENTS"])
    (folder / "ADMISSIONS.csv").write_text("row_id,subject_id,hadm_id,hospital_expire_flag\n1,1,100,0\n")
    with pytest.raises(DataError, match=r"2 ICU stay\(s\) have no 0/1 hospital_expire_flag.*1001"):
        load_mimic3(folder)
    (folder / "ADMISSIONS.csv").write_text("row_id,subject_id,hadm_id\n1,1,100\n")
    with pytest.raises(DataError, match=r"ADMISSIONS.csv, line 1: missing column\(s\) hospital_expire_flag"):
        load_mimic3(folder)


def test_mimic_carved_validation_keeps_patients_together(tmp_path: Path) -> None:
    from meddx.data.sources import load_source

    src = load_source(_folder(tmp_path), val_fraction=0.4, options={"window_hours": 48.0})
    sides = {s: set(d.patient_ids) for s, d in src.splits.items()}
    assert not (sides["train"] & sides["val"]) and src.modality == "series"
