"""series_source_info and verify_series_source on tiny PhysioNet-style folders."""

from __future__ import annotations

from pathlib import Path

from meddx.data.series import load_physionet2012
from meddx.data.series_info import series_source_info, verify_series_source

HEADER = "Time,Parameter,Value\n"


def _write(folder: Path, name: str, rid: int, rows: str) -> None:
    (folder / f"{name}.txt").write_text(HEADER + f"00:00,RecordID,{rid}\n00:00,Age,50\n00:00,Weight,-1\n" + rows)


def _source(tmp_path: Path, dup: bool = False):  # type: ignore[no-untyped-def]
    folder = tmp_path / "set-a"
    folder.mkdir()
    _write(folder, "1", 1, "00:10,HR,80\n01:00,HR,82\n01:00,pH,7.3\n02:00,pH,735\n")
    _write(folder, "2", 2, "00:10,HR,80\n01:00,HR,82\n01:00,pH,7.3\n")  # as 1 once pH 735 is dropped
    _write(folder, "3", 1 if dup else 3, "")
    (tmp_path / "Outcomes-a.txt").write_text("RecordID,In-hospital_death\n1,0\n2,1\n3,0\n")
    return load_physionet2012(folder)


def test_info_counts_by_hand(tmp_path: Path) -> None:
    info = series_source_info(_source(tmp_path))
    train = info["splits"]["train"]
    assert train["count"] == 3 and train["class_counts"] == {"survived": 2, "died": 1}
    assert train["observations"] == 6 and train["empty_stays"] == 1
    assert train["variables_per_stay"]["max"] == 2 and train["observations_per_stay"]["median"] == 3
    hr = next(v for v in info["variables"] if v["name"] == "HR")
    assert hr["observations"] == 4 and hr["stays"] == 2 and hr["min"] == 80 and hr["max"] == 82
    ph = next(v for v in info["variables"] if v["name"] == "pH")
    assert ph["n_out_of_range"] == 1 and ph["observations"] == 2
    height = next(s for s in info["static"] if s["name"] == "Height")
    assert height["missing"] == 3 and info["n_variables"] == 37


def test_verify_finds_identical_stays_and_duplicate_ids(tmp_path: Path) -> None:
    report = verify_series_source(_source(tmp_path, dup=True)).to_dict()
    s = report["summary"]
    assert s["duplicate_record_ids"] == 1 and s["duplicate_record_id_examples"] == {"1": ["train"]}
    assert s["exact_duplicate_groups"] == 1 and s["conflicting_label_groups"] == 1  # stays 1 and 2: labels 0/1
    assert not report["summary"]["has_leakage"]  # one split only
