"""Long-format series files as users export them: separated by ``;`` or tabs, with values beyond
float32, or not text at all (an image given to a series bundle, a UTF-16 export).

Found by a walk through docs/timeseries.md as a hospital user (helper "walk", stop 48):

- a ``;``-separated export (European spreadsheets) was refused as "missing column(s) patient_id,
  time, variable, value; found columns: patient_id;time;variable;value", and a ``.tsv`` (which
  ``meddx predict`` lists among patient files) was not read as a series at all;
- ``value`` 1e39 passed the reader's finiteness check and became ``inf`` in the float32 records: a
  numpy overflow warning, then "column 'hr:first': inf is inf training standard deviations ...",
  which names neither the file nor the line;
- a PNG given to a series bundle said "x.png: line 4 has 5 field(s) but the header has 1".
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.series import is_series_spec, load_series_source
from meddx.data.series_files import read_patient_files

ROWS = [("patient_id", "time", "variable", "value"), ("a", "", "age", "61"), ("a", "0.5", "hr", "80"),
        ("a", "1.5", "lactate", "2.5"), ("b", "2", "hr", "90")]
LABELS = [("patient_id", "label"), ("a", "survived"), ("b", "died")]
BUNDLE = {"series": {"variables": ["hr", "lactate"], "static_names": ["age"], "window_hours": 48.0}}


def _write(path: Path, rows: list[tuple[str, ...]], sep: str = ",") -> Path:
    path.write_text("".join(sep.join(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("sep,suffix", [(";", ".csv"), ("\t", ".tsv"), ("\t", ".csv"), ("|", ".csv")])
def test_a_long_csv_separated_otherwise_reads_as_the_comma_file(tmp_path: Path, sep: str, suffix: str) -> None:
    comma = load_series_source(f"series:{_write(tmp_path / 's.csv', ROWS)}",
                               labels_file=_write(tmp_path / "l.csv", LABELS))
    series = _write(tmp_path / f"other{suffix}", ROWS, sep)
    labels = _write(tmp_path / f"labels{suffix}", LABELS, sep)
    assert suffix != ".tsv" or is_series_spec(series)  # routed as a series, not as a table
    other = load_series_source(str(series), labels_file=labels)
    assert other.variables == comma.variables == ["hr", "lactate"] and other.static_names == ["age"]
    for i in range(2):
        a, b = other.get_record("train", i), comma.get_record("train", i)
        assert a.times.tolist() == b.times.tolist() and a.values.tolist() == b.values.tolist()
        assert np.array_equal(a.static, b.static, equal_nan=True)
    stays = read_patient_files([series], BUNDLE)  # predict reads the same file alike
    assert [r.values.tolist() for r in stays] == [[80.0, 2.5], [90.0]] and stays[0].static.tolist() == [61.0]


@pytest.mark.parametrize("cell", ["1e39", "-4e38", "1e300"])
@pytest.mark.parametrize("row", [1, 2])  # a static row and an observation
def test_a_value_beyond_float32_names_its_line(tmp_path: Path, cell: str, row: int) -> None:
    rows = [r if i != row else (*r[:3], cell) for i, r in enumerate(ROWS)]
    series, labels = _write(tmp_path / "s.csv", rows), _write(tmp_path / "l.csv", LABELS)
    line = rf"s\.csv, line {row + 1}: value '{cell}' is beyond the float32 range"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        with pytest.raises(DataError, match=line):
            load_series_source(f"series:{series}", labels_file=labels)
        with pytest.raises(DataError, match=line):
            read_patient_files([series], BUNDLE)
    fine = [r if i != row else (*r[:3], "3e38") for i, r in enumerate(ROWS)]  # within float32: read
    assert np.isfinite(read_patient_files([_write(tmp_path / "f.csv", fine)], BUNDLE)[0].values).all()


@pytest.mark.parametrize("name,data,what", [
    ("x.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x1c", "a PNG image"),
    ("x.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01,a,b\n1,2,3\n", "a JPEG image"),
    ("x.dcm", b"\x00" * 128 + b"DICM\x02\x00\x00\x00UL", "a DICOM file"),
    ("x.nii.gz", b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "a gzip file"),
    ("x.npz", b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + b"\x00" * 20, "a NumPy .npz archive"),
])
def test_a_file_that_is_not_text_is_refused_naming_what_it_is(tmp_path: Path, name: str, data: bytes,
                                                               what: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataError) as info:
        read_patient_files([path], BUNDLE)
    message = str(info.value)
    assert message.startswith(f"{path}: {what}") and "not a text file" in message, message
    assert "long CSVs (patient_id,time,variable,value)" in message and "field(s)" not in message


def test_a_utf16_export_is_refused_asking_for_utf8(tmp_path: Path) -> None:
    path = tmp_path / "stays.csv"
    path.write_bytes("".join(",".join(r) + "\n" for r in ROWS).encode("utf-16"))
    with pytest.raises(DataError, match=r"stays\.csv: UTF-16 text; .*iconv -f utf-16 -t utf-8"):
        read_patient_files([path], BUNDLE)


def test_observations_left_out_and_clashing_values_are_noted_once_for_all_files(tmp_path: Path) -> None:
    """``meddx predict`` ignored observations outside the bundle's window (and, in PhysioNet files,
    outside the valid ranges) and scored two values of one variable at one time without a word, where
    training and ``data info`` say so; the notes are summed over files, so a folder gives two lines."""
    from meddx.data.series_physionet import VARIABLES

    late = _write(tmp_path / "late.csv", [*ROWS, ("a", "50", "hr", "99"), ("b", "-1", "hr", "70"),
                                          ("c", "60", "hr", "1")])  # c: left empty, named by the empty-stay note
    clash = _write(tmp_path / "clash.csv", [*ROWS, ("b", "2", "hr", "95")])
    clean = _write(tmp_path / "clean.csv", ROWS)
    notes: list[str] = []
    stays = read_patient_files([clean, late, clash], BUNDLE, notes)
    assert [len(s) for s in stays] == [2, 1, 2, 1, 0, 2, 2]  # the late and early rows are left out
    assert notes == ["2 observation(s) not read in late.csv (1 before 0 h, 1 after the bundle's 48-h window); the "
                     "risk is from the rest", "clash.csv: 1 time(s) where a stay has two different values of one "
                     "variable, e.g. b hr at 2 h: 90 and 95 (sequence models keep the later row, the first/last/min/"
                     "max/mean aggregates use every row); deduplicate the file if that is not intended"], notes
    quiet: list[str] = []
    read_patient_files([clean, clean], BUNDLE, quiet)
    assert quiet == []

    record = ("Time,Parameter,Value\n00:00,RecordID,7\n00:00,Age,50\n00:00,HR,80\n00:07,pH,735\n01:00,HR,-1\n"
              "50:00,HR,90\n")
    for rid in (7, 8):
        (tmp_path / f"{rid}.txt").write_text(record.replace("RecordID,7", f"RecordID,{rid}"))
    config = {"series": {"variables": list(VARIABLES), "static_names": [], "window_hours": 48.0}}
    notes = []
    assert [len(s) for s in read_patient_files([tmp_path / "7.txt", tmp_path / "8.txt"], config, notes)] == [1, 1]
    assert notes == ["6 observation(s) not read in 2 files, e.g. 7.txt (2 with the -1 missing marker, 2 outside the "
                     "valid ranges, 2 after the bundle's 48-h window); the risk is from the rest"], notes


def test_rows_repeated_exactly_are_dropped_and_noted_in_training_and_predict(tmp_path: Path) -> None:
    """A stay whose rows were all given twice (a file appended to itself, a join that fanned out) kept
    every copy: the ``count`` aggregate doubled and a gbm bundle's risk moved (0.0054 to 0.0070) with no
    word. Copies (same stay, time, variable and value) are now dropped and counted; two different
    values at one time are still kept and noted as before."""
    from meddx.data.series import load_long_csv

    once = load_long_csv(_write(tmp_path / "once.csv", ROWS), labels_file=_write(tmp_path / "l.csv", LABELS))
    twice = load_long_csv(_write(tmp_path / "twice.csv", ROWS + ROWS[1:]), labels_file=tmp_path / "l.csv")
    for i in range(2):
        a, b = twice.get_record("train", i), once.get_record("train", i)
        assert a.times.tolist() == b.times.tolist() and a.values.tolist() == b.values.tolist()
    assert not any("repeating" in n for n in once.notes)
    assert ("dropped 3 row(s) repeating another exactly (same stay, time, variable and value; e.g. a hr at 0.5 h): "
            "a repeated row is not a second measurement") in twice.notes, twice.notes

    notes: list[str] = []
    stays = read_patient_files([tmp_path / "twice.csv"], BUNDLE, notes)
    assert [r.values.tolist() for r in stays] == [[80.0, 2.5], [90.0]]
    assert notes == ["twice.csv: dropped 3 row(s) repeating another exactly (same stay, time, variable and value; "
                     "e.g. a hr at 0.5 h): a repeated row is not a second measurement"], notes


def test_a_served_record_with_a_value_beyond_float32_names_the_field() -> None:
    """The serving API's JSON stay (``record_from_json``) let 1e39 through to an ``inf`` in the record."""
    from meddx.data.series_files import record_from_json

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warning on the way
        ok = record_from_json({"observations": [[1.0, "hr", 3e38]], "static": {"age": 60}}, BUNDLE)
        assert np.isfinite(ok.values).all()
        with pytest.raises(DataError, match=r"^record\.observations\[0\]\.value: 1e\+39 is beyond the float32"):
            record_from_json({"observations": [[1.0, "hr", 1e39]]}, BUNDLE)
        with pytest.raises(DataError, match=r"^record\.static\.age: -1e\+300 is beyond the float32 range"):
            record_from_json({"observations": [], "static": {"age": -1e300}}, BUNDLE)
