"""A rare label one typing slip from a common one (``pnuemonia`` on one row of a ``pneumonia``
manifest) is named in a note; real classes that happen to look alike are not."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from meddx.data.imagefolder import load_imagefolder
from meddx.data.label_typos import label_typo_notes
from meddx.data.manifest import load_manifest
from tests.integration.cli_helpers import run_cli
from tests.unit.data.test_imagefolder import put
from tests.unit.data.test_manifest import images


def test_a_misspelt_manifest_label_is_named_with_its_line_and_the_label_it_resembles(tmp_path: Path) -> None:
    names = images(tmp_path / "img", 24)
    labels = ["normal"] * 12 + ["pneumonia"] * 11 + ["pnuemonia"]
    (tmp_path / "m.csv").write_text("path,label\n" + "".join(f"{n},{lab}\n" for n, lab in zip(names, labels)))
    src = load_manifest(tmp_path / "m.csv")
    assert src.label_names == ["normal", "pneumonia", "pnuemonia"]  # still read as written
    notes = [n for n in src.notes if "misspelling" in n]
    assert notes == ["m.csv: label 'pnuemonia' (1 row, first on line 25) looks like a misspelling of 'pneumonia' "
                     "(11 rows) and is read as a separate class; correct it if it is the same class"]


def test_a_misspelt_label_inside_a_multilabel_row_is_named(tmp_path: Path) -> None:
    names = images(tmp_path / "img", 12)
    labels = ["effusion|mass"] * 5 + ["effusion"] * 5 + ["", "efusion|mass"]
    (tmp_path / "m.csv").write_text("path,label\n" + "".join(f"{n},{lab}\n" for n, lab in zip(names, labels)))
    notes = [n for n in load_manifest(tmp_path / "m.csv").notes if "misspelling" in n]
    assert len(notes) == 1 and "'efusion' (1 row, first on line 13)" in notes[0] and "'effusion' (10 rows)" in notes[0]


def test_a_misspelt_class_folder_is_named(tmp_path: Path) -> None:
    for i in range(10):
        put(tmp_path / "Pneumonia" / f"{i}.png", seed=i)
        put(tmp_path / "Normal" / f"{i}.png", seed=100 + i)
    put(tmp_path / "Pnuemonia" / "x.png", seed=7)
    notes = [n for n in load_imagefolder(tmp_path).notes if "misspelling" in n]
    assert notes == ["class folder 'Pnuemonia' (1 image) looks like a misspelling of 'Pneumonia' (10 images) and is "
                     "read as a separate class; correct it if it is the same class"]


def test_classes_that_look_alike_but_are_real_are_not_named() -> None:
    for counts in (Counter(normal=100, abnormal=3),  # two edits in a short name
                   Counter(grade_1=100, grade_2=3), Counter(covid=100, covid19=3),  # the digits differ
                   Counter(Normal=100, normal=3),  # case only: base.case_clash_notes names it
                   Counter(pneumonia=50, pnuemonia=6),  # not rare enough beside it to look like a slip
                   Counter(mass=100, masses=2),
                   Counter(M=100, F=3), Counter(nv=100, mv=3), Counter(left=100, lef=3)):  # short codes
        assert label_typo_notes(counts, "x") == [], counts
    # two edits in a long name, underscores and spaces alike, neighbouring letters swapped
    assert len(label_typo_notes(Counter(glioma_tumor=300, **{"gliomma tumour": 2}), "x")) == 1
    assert len(label_typo_notes(Counter(benign=40, bengin=1), "x")) == 1


def test_data_info_and_verify_print_the_note(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # verify kept the reader's notes in its JSON report only
    monkeypatch.setenv("COLUMNS", "250")
    names = images(tmp_path / "img", 12)
    labels = ["normal"] * 6 + ["pneumonia"] * 5 + ["pnuemonia"]
    (tmp_path / "m.csv").write_text("path,label\n" + "".join(f"{n},{lab}\n" for n, lab in zip(names, labels)))
    for argv in (["data", "info", str(tmp_path / "m.csv")],
                 ["data", "verify", str(tmp_path / "m.csv"), "--report", str(tmp_path / "r.json")]):
        said = run_cli(argv, capsys)
        assert "misspelling" not in said.out + said.err, argv  # 5 rows: under 10 times the 1 row
    labels = ["normal"] + ["pneumonia"] * 10 + ["pnuemonia"]
    (tmp_path / "m.csv").write_text("path,label\n" + "".join(f"{n},{lab}\n" for n, lab in zip(names, labels)))
    for argv in (["data", "info", str(tmp_path / "m.csv")],
                 ["data", "verify", str(tmp_path / "m.csv"), "--report", str(tmp_path / "r.json"), "--overwrite"]):
        result = run_cli(argv, capsys)
        assert ("note: m.csv: label 'pnuemonia' (1 row, first on line 13) looks like a misspelling of 'pneumonia' "
                "(10 rows)") in result.err, (argv, result.out, result.err)
