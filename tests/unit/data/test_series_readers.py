"""Time-series readers: PhysioNet 2012 files (tiny written ones and a few real ones), malformed
files with errors naming the file and line, and the synthetic source with its known rule."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.series import is_series_spec, load_physionet2012, load_series_source
from meddx.data.series_physionet import VALID_RANGES, VARIABLES
from meddx.data.synthetic_series import make_threshold_series, threshold_rule

HEADER = "Time,Parameter,Value\n"
DESC = "00:00,RecordID,{rid}\n00:00,Age,{age}\n00:00,Gender,1\n00:00,Height,-1\n00:00,ICUType,3\n00:00,Weight,{w}\n"


def _record(rid: int, rows: str, age: float = 70, weight: float = 80) -> str:
    return HEADER + DESC.format(rid=rid, age=age, w=weight) + rows


def _physionet(tmp_path: Path, files: dict[int, str], outcomes: dict[int, int] | None = None) -> Path:
    folder = tmp_path / "set-a"
    folder.mkdir()
    for rid, text in files.items():
        (folder / f"{rid}.txt").write_text(text)
    outcomes = outcomes if outcomes is not None else {rid: rid % 2 for rid in files}
    lines = ["RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death"]
    lines += [f"{rid},1,1,5,-1,{y}" for rid, y in outcomes.items()]
    (tmp_path / "Outcomes-a.txt").write_text("\n".join(lines) + "\n")
    return folder


def _tiny(tmp_path: Path) -> Path:
    rows1 = ("00:00,HR,80\n00:07,HR,-1\n00:07,pH,735\n01:30,Weight,82.5\n01:30,Temp,-17.8\n02:00,pH,7.35\n"
             "47:59,HR,90\n48:00,Lactate,2.1\n49:00,HR,100\n")
    return _physionet(tmp_path, {132001: _record(132001, rows1), 132002: _record(132002, "", age=-1, weight=-1),
                                 132003: _record(132003, "00:30,GCS,15\n00:30,GCS,14\n")})


def test_physionet_tiny_parse_and_cleaning(tmp_path: Path) -> None:
    folder = _tiny(tmp_path)
    assert is_series_spec(folder) and is_series_spec(tmp_path) and is_series_spec(f"physionet2012:{folder}")
    src = load_physionet2012(tmp_path)  # the parent folder: set-a is found, outcomes beside it
    train = src.splits["train"]
    assert list(src.splits) == ["train"] and train.ids == ["132001", "132002", "132003"]
    assert train.labels.tolist() == [1, 0, 1] and src.label_names == ["survived", "died"]
    assert train.patient_ids == train.ids and src.modality == "series" and src.spatial_dims == 0
    r = src.get_record("train", 0)
    names = [src.variables[v] for v in r.variables]
    assert names == ["HR", "Weight", "pH", "HR", "Lactate"]  # -1, pH 735, -17.8 degC and 49:00 dropped
    np.testing.assert_allclose(r.times, [0, 1.5, 2, 47 + 59 / 60, 48], rtol=1e-6)
    np.testing.assert_allclose(r.values, [80, 82.5, 7.35, 90, 2.1], rtol=1e-6)
    assert r.times.dtype == np.float32 and r.variables.dtype == np.int16 and r.values.dtype == np.float32
    static = dict(zip(src.static_names, r.static))
    assert static["Age"] == 70 and static["Gender"] == 1 and np.isnan(static["Height"])
    assert static["Weight"] == 80 and static["ICUType:MICU"] == 1 and static["ICUType:CCU"] == 0
    empty = src.get_record("train", 1)
    assert len(empty) == 0 and np.isnan(empty.static[0]) and np.isnan(empty.static[-1])
    assert any("1 record(s) have no time-series" in n and "132002" in n for n in src.notes)
    c = src.cleaning["variables"]
    assert c["HR"] == {"n_kept": 2, "n_invalid_marker": 1, "n_out_of_range": 0, "n_after_window": 1}
    assert c["pH"]["n_out_of_range"] == 1 and c["Temp"]["n_out_of_range"] == 1 and c["GCS"]["n_kept"] == 2
    assert src.cleaning["static"]["Height"]["n_invalid_marker"] == 3
    assert src.cleaning["ranges"]["HR"] == [0, 300, "(]"] and len(src.variables) == 37
    assert src.options["label_column"] == "In-hospital_death" and src.options["window_hours"] == 48.0


def test_physionet_window_option(tmp_path: Path) -> None:
    src = load_series_source(_tiny(tmp_path), window_hours=24)
    r = src.get_record("train", 0)
    assert r.times.max() <= 24 and src.cleaning["variables"]["HR"]["n_after_window"] == 2
    assert src.window_hours == 24.0


@pytest.mark.parametrize("text, match", [
    ("", r"132001\.txt: empty file"),
    ("00:00,RecordID,1\n", r"132001\.txt, line 1: missing header"),
    (HEADER + "00:00,RecordID,1\n7:5x,HR,80\n", r"132001\.txt, line 3: bad time '7:5x'"),
    (HEADER + "00:00,RecordID,1\n01:00,Heartrate,80\n", r"132001\.txt, line 3: unknown parameter 'Heartrate'"),
    (HEADER + "00:00,RecordID,1\n01:00,HR,80\n01:10,HR,fast\n", r"132001\.txt, line 4: value 'fast'"),
    (HEADER + "00:00,RecordID,1\n01:00,HR\n", r"132001\.txt, line 3: expected 3"),
])
def test_physionet_malformed(tmp_path: Path, text: str, match: str) -> None:
    folder = _physionet(tmp_path, {132000: _record(132000, "01:00,HR,80\n"), 132001: text})
    (folder / "132001.txt").write_text(text)
    with pytest.raises(DataError, match=match):
        load_physionet2012(folder)


def test_physionet_labels_errors(tmp_path: Path) -> None:
    folder = _physionet(tmp_path, {132001: _record(132001, "")}, outcomes={999: 1})
    with pytest.raises(DataError, match=r"1 record\(s\).*no outcome row.*132001"):
        load_physionet2012(folder)
    with pytest.raises(DataError, match="expected columns RecordID and 'Died'"):
        load_physionet2012(folder, label_column="Died")
    with pytest.raises(DataError, match="must be 0 or 1"):
        load_physionet2012(folder, label_column="Length_of_stay")
    (tmp_path / "Outcomes-a.txt").unlink()
    with pytest.raises(DataError, match="no outcomes file found.*Outcomes-a.txt"):
        load_physionet2012(folder)


def test_physionet_small_real_files(tmp_path: Path, shared_data: Path) -> None:
    real = shared_data / "physionet-2012"
    if not (real / "set-a").is_dir():
        pytest.skip("physionet-2012/set-a is absent")
    folder = tmp_path / "set-a"
    folder.mkdir()
    names = ["132539", "132540", "140501"]  # 140501 has no time-series rows
    for n in names:
        shutil.copy(real / "set-a" / f"{n}.txt", folder)
    shutil.copy(real / "Outcomes-a.txt", tmp_path)
    src = load_physionet2012(folder)
    train = src.splits["train"]
    assert train.ids == names and len(src.get_record("train", 2)) == 0
    with (real / "Outcomes-a.txt").open() as fh:  # labels as the outcomes file says
        truth = {row["RecordID"]: int(row["In-hospital_death"]) for row in csv.DictReader(fh)}
    assert train.labels.tolist() == [truth[n] for n in names]
    assert any("3997 outcome row(s) have no record file" in n for n in src.notes)
    with (folder / "132539.txt").open() as fh:  # every HR row in range is kept, in file order
        rows = [r for r in csv.DictReader(fh)]
    lo, hi, _ = VALID_RANGES["HR"]
    hr = [float(r["Value"]) for r in rows if r["Parameter"] == "HR" and lo < float(r["Value"]) <= hi]
    rec = src.get_record("train", 0)
    np.testing.assert_allclose(rec.values[rec.variables == VARIABLES.index("HR")], hr, rtol=1e-6)
    assert dict(zip(src.static_names, rec.static))["Age"] == float(next(r["Value"] for r in rows
                                                                         if r["Parameter"] == "Age"))


def test_synthetic_threshold_rule() -> None:
    src = make_threshold_series(300, seed=2, n_variables=5)
    assert [len(src.splits[s]) for s in ("train", "val", "test")] == [180, 60, 60]
    labels = np.concatenate([d.labels for d in src.splits.values()])
    assert 0.15 < labels.mean() < 0.45
    for data in src.splits.values():
        for rec, y in zip(data.records, data.labels):
            assert threshold_rule(rec, 48.0) == y
            assert np.all(np.diff(rec.times) >= 0) and rec.times.max() <= 48
    negatives = [r for d in src.splits.values() for r, y in zip(d.records, d.labels) if y == 0]
    early_high = [r for r in negatives if np.any(r.values[r.variables == 0] > 4.0)]
    assert len(early_high) > 10  # "ever high" is not the rule
    never = [r for d in src.splits.values() for r in d.records if not np.any(r.variables == 4)]
    assert never  # some stays never observe a variable


# ------------------------------------------------------------------------------ long CSV
def _long(tmp_path: Path, series: str, labels: str = "patient_id,label\na,0\nb,1\n") -> tuple[Path, Path]:
    (tmp_path / "s.csv").write_text(series)
    (tmp_path / "l.csv").write_text(labels)
    return tmp_path / "s.csv", tmp_path / "l.csv"


def test_long_csv_round_trip_of_synthetic(tmp_path: Path) -> None:
    from meddx.data.sources import load_source
    from meddx.data.synthetic_series import write_long_csv

    src = make_threshold_series(60, seed=4)
    series, labels = write_long_csv(src, tmp_path)
    assert is_series_spec(series) and is_series_spec(f"series:{series}")
    back = load_source(series, options={"labels_file": str(labels), "patient_column": "subject_id",
                                        "window_hours": 48.0, "text_column": "ignored"})
    assert list(back.splits) == ["train", "val", "test"] and back.label_names == ["survived", "died"]
    assert back.variables == sorted(src.variables) and back.static_names == ["Age", "Gender"]
    for split, data in src.splits.items():
        other = back.splits[split]
        assert other.ids == data.ids and other.patient_ids == data.patient_ids
        np.testing.assert_array_equal(other.labels, data.labels)
        for a, b in zip(data.records, other.records):
            np.testing.assert_array_equal(a.times, b.times)
            np.testing.assert_array_equal(a.values, b.values)
            assert [src.variables[v] for v in a.variables] == [back.variables[v] for v in b.variables]
            np.testing.assert_array_equal(a.static, b.static)
    assert back.options["labels_file"] == str(labels) and back.options["patient_column"] == "subject_id"



def test_long_csv_numeric_labels_written_as_floats_are_the_same_class(tmp_path: Path) -> None:
    """Found by an outside-in audit: one ``1.0`` among 0/1 labels made a silent third class."""
    from meddx.data.series import load_long_csv

    rows = "".join(f"{p},1,hr,{80 + i}\n" for i, p in enumerate("abcdefgh"))
    s, lab = _long(tmp_path, "patient_id,time,variable,value\n" + rows,
                   "patient_id,label\na,0\nb,1\nc,1.0\nd,0\ne,1\nf,0\ng,1\nh,0\n")
    src = load_long_csv(s, labels_file=lab)
    assert src.label_names == ["0", "1"] and src.split("train").labels.tolist() == [0, 1, 1, 0, 1, 0, 1, 0]
    ids = [f"p{i}" for i in range(30)]
    s, lab = _long(tmp_path, "patient_id,time,variable,value\n" + "".join(f"{p},1,hr,80\n" for p in ids),
                   "patient_id,label\n" + "".join(f"{p},{2 if i == 7 else i % 2}\n" for i, p in enumerate(ids)))
    src = load_long_csv(s, labels_file=lab)
    assert src.num_classes == 3 and any("some nearly empty: '2' (1 record(s))" in n for n in src.notes), src.notes

def test_long_csv_time_formats_and_static(tmp_path: Path) -> None:
    from meddx.data.series import load_long_csv

    s, lab = _long(tmp_path, "ID,Time,Variable,Value\na,,age,61\na,01:30,hr,80\na,0.5,hr,70\nb,72,hr,90\n"
                   "b,-1,hr,85\n", "ID,label,split\na,no,train\nb,yes,test\n")
    src = load_long_csv(s, labels_file=lab, id_column="ID", window_hours=48)
    assert src.label_names == ["no", "yes"] and list(src.splits) == ["train", "test"]
    a = src.get_record("train", 0)
    np.testing.assert_allclose(a.times, [0.5, 1.5]) and np.testing.assert_allclose(a.values, [70, 80])
    assert a.static.tolist() == [61.0] and np.isnan(src.get_record("test", 0).static[0])
    assert len(src.get_record("test", 0)) == 0
    assert src.cleaning["variables"]["hr"]["n_after_window"] == 1
    assert src.cleaning["variables"]["hr"]["n_before_window"] == 1
    iso = "patient_id,time,variable,value\na,2101-01-01 10:00,hr,1\na,2101-01-01 12:30:00,hr,2\nb,2101-05-01T00:00,hr,3\n"
    s, lab = _long(tmp_path, iso)
    src = load_long_csv(s, labels_file=lab)
    np.testing.assert_allclose(src.get_record("train", 0).times, [0, 2.5])
    assert src.get_record("train", 1).times.tolist() == [0] and src.window_hours == 3.0


def test_long_csv_records_the_labels_file_absolute_and_the_window_used(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by an audit: the bundle kept ``labels.csv`` as typed, so evaluation from another folder
    read (or silently used) another file; and ``window_hours`` None let evaluation derive another
    window from another file."""
    from meddx.data.series import load_long_csv

    s, lab = _long(tmp_path, "patient_id,time,variable,value\na,1,hr,80\nb,2.5,hr,90\n")
    monkeypatch.chdir(tmp_path)
    src = load_long_csv("s.csv", labels_file="l.csv")
    assert src.options["labels_file"] == str(lab.resolve()) and Path(src.options["labels_file"]).is_absolute()
    assert src.window_hours == 3.0 and src.options["window_hours"] == 3.0
    assert load_long_csv("s.csv", labels_file="l.csv", window_hours=2).options["window_hours"] == 2.0


@pytest.mark.parametrize("series, labels, match", [
    ("", None, r"s\.csv: empty file"),
    ("a,1.0,hr,80\n", None, r"s\.csv, line 1: missing column\(s\) patient_id, time, variable, value; found columns"),
    ("id,time,variable,value\na,1,hr,80\n", None, r"missing column\(s\) patient_id.*--id-column"),
    ("patient_id,time,variable,value\na,1,hr,80\na,soon,hr,81\n", None, r"s\.csv, line 3: bad time 'soon'"),
    ("patient_id,time,variable,value\na,1,hr,80\na,2,hr,high\n", None, r"s\.csv, line 3: value 'high'"),
    ("patient_id,time,variable,value\na,1,hr,80\nb,2101-01-01,hr,8\n", None, r"line 3: mixes ISO"),
    ("patient_id,time,variable,value\na,1,hr,80\n", None, r"1 id\(s\) in l\.csv have no rows in s\.csv, e\.g\. b"),
    ("patient_id,time,variable,value\na,1,hr,80\nb,1,hr,80\nc,1,hr,1\n", None,
     r"1 id\(s\) in s\.csv have no label in l\.csv, e\.g\. c"),
    ("patient_id,time,variable,value\na,1,hr,80\nb,1,hr,80\n", "patient_id,label,split\na,0,train\nb,1,later\n",
     r"l\.csv, line 3: split 'later'"),
    ("patient_id,time,variable,value\na,1,hr,80\nb,1,hr,80\n", "patient_id,outcome\na,0\nb,1\n",
     r"l\.csv, line 1: missing column\(s\) label"),
])
def test_long_csv_errors(tmp_path: Path, series: str, labels: str | None, match: str) -> None:
    s, lab = _long(tmp_path, series, *([labels] if labels else []))
    with pytest.raises(DataError, match=match):
        load_series_source(f"series:{s}", labels_file=lab)


def test_a_labels_file_with_a_csv_that_is_not_a_long_series_names_the_missing_column(tmp_path: Path) -> None:
    """Found by an outside-in audit: without its ``value`` column the file was read as a table (label
    column ``variable``) and ``--labels-file`` silently dropped."""
    from meddx.core.errors import DataError
    from meddx.data.sources import load_source

    s, lab = _long(tmp_path, "patient_id,time,variable\na,1,hr\nb,1,hr\n")
    with pytest.raises(DataError, match=r"s\.csv: --labels-file is for a long-format time series.*missing: value"):
        load_source(s, options={"labels_file": str(lab)})


def test_long_csv_out_of_order_rows_and_conflicting_duplicates(tmp_path: Path) -> None:
    """Rows out of time order are sorted; two different values of one variable at one time are
    kept in file order (the later wins in the sequence arrays) and named in a note, since the
    aggregates average them: found by an audit (they passed silently)."""
    from meddx.data.series import load_long_csv

    s, lab = _long(tmp_path, "patient_id,time,variable,value\na,5,hr,90\na,1,hr,70\na,3,hr,80\na,3,hr,85\n"
                   "a,3,temp,37\nb,2,hr,60\nb,2,hr,60\n")
    src = load_long_csv(s, labels_file=lab)
    a = src.get_record("train", 0)
    assert a.times.tolist() == [1, 3, 3, 3, 5] and a.values.tolist() == [70, 80, 85, 37, 90]
    notes = [n for n in src.notes if "two different values" in n]
    assert notes == [notes[0]] and notes[0].startswith("1 time(s)") and "a hr at 3 h: 80 and 85" in notes[0], src.notes


def test_long_csv_with_given_variables_keeps_their_order(tmp_path: Path) -> None:
    """A bundle's variables (recorded in ``options``) index another file as training did, even
    when the file lacks one of them; a name outside them is an error with its line."""
    from meddx.data.series import load_long_csv

    s, lab = _long(tmp_path, "patient_id,time,variable,value\na,,age,50\na,1,lactate,2\nb,2,lactate,5\n")
    assert load_long_csv(s, labels_file=lab).variables == ["lactate"]
    src = load_long_csv(s, labels_file=lab, variables=["hr", "lactate"], static_names=["age", "sex"])
    assert src.variables == ["hr", "lactate"] and src.static_names == ["age", "sex"]
    assert src.get_record("train", 0).variables.tolist() == [1] and src.get_record("train", 0).static.tolist()[0] == 50
    assert src.options["variables"] == ["hr", "lactate"] and src.options["static_names"] == ["age", "sex"]
    again = load_series_source(f"series:{s}", **{k: v for k, v in src.options.items() if k != "kind"})
    assert again.variables == ["hr", "lactate"]
    with pytest.raises(DataError, match=r"s\.csv, line 3: variable 'lactate' is not one of the 1 the model"):
        load_long_csv(s, labels_file=lab, variables=["hr"])
    with pytest.raises(DataError, match=r"line 2: static descriptor 'age'"):
        load_long_csv(s, labels_file=lab, static_names=[])
