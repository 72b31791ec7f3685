"""``meddx data verify`` prints the first 5 groups shared across splits and the first 5 undecodable files;
when there are more it says how many more the report holds (the brain tumour MRI set has 215 shared
groups, of which the terminal showed 5 and said nothing of the rest)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from cli_helpers import run_cli


def _folder(root: Path, copies: int, broken: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label in ("normal", "lesion"):
            (root / split / label).mkdir(parents=True)
    for i in range(copies + 4):
        label = ("normal", "lesion")[i % 2]
        Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(root / "train" / label / f"{i}.png")
    for i in range(copies):  # a copy of train image i in test: one cross-split group each
        label = ("normal", "lesion")[i % 2]
        (root / "test" / label / f"copy{i}.png").write_bytes((root / "train" / label / f"{i}.png").read_bytes())
    Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(root / "test" / "lesion" / "own.png")
    for i in range(broken):
        (root / "train" / "normal" / f"broken{i}.png").write_bytes(b"not a picture")
    return root


def test_verify_says_how_many_more_shared_groups_and_undecodable_files_the_report_holds(tmp_path: Path, capsys,
                                                                                        monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    report = tmp_path / "r.json"
    result = run_cli(["data", "verify", str(_folder(tmp_path / "imgs", 7, 6)), "--no-near", "--report", str(report)],
                     capsys)
    assert result.code == 1, result.err  # copies leak across splits
    written = json.loads(report.read_text())
    assert written["summary"]["exact_duplicate_groups_cross_split"] == 7 and written["summary"]["undecodable"] == 6
    assert result.out.count("shared across splits:") == 5
    assert "... and 2 more group(s) shared across splits in the report" in result.out
    assert "... and 1 more undecodable file(s) in the report" in result.out


def test_verify_says_nothing_more_when_everything_was_printed(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    result = run_cli(["data", "verify", str(_folder(tmp_path / "imgs", 5, 5)), "--no-near", "--report",
                      str(tmp_path / "r.json")], capsys)
    assert result.out.count("shared across splits:") == 5
    assert "... and" not in result.out


def test_the_near_setting_of_the_other_kind_of_source_is_named_as_ignored(tmp_path: Path, capsys) -> None:
    """``--near-threshold 0.5`` on an image folder, or ``--max-distance`` on notes, changed nothing and said nothing."""
    result = run_cli(["data", "verify", str(_folder(tmp_path / "imgs", 1, 0)), "--near-threshold", "0.5",
                      "--report", str(tmp_path / "r.json")], capsys)
    assert "note: --near-threshold (Jaccard similarity of documents) is ignored" in result.err, result.err
    notes = tmp_path / "notes.csv"
    notes.write_text("text,label\n" + "".join(f"note number {i} about {i * 7} things,{'ab'[i % 2]}\n" for i in range(8)))
    result = run_cli(["data", "verify", str(notes), "--max-distance", "4", "--report", str(tmp_path / "t.json")], capsys)
    assert result.code == 0, result.err
    assert "note: --max-distance (image hash bits) is ignored for a text source" in result.err, result.err
    result = run_cli(["data", "verify", str(notes), "--report", str(tmp_path / "t.json")], capsys)
    assert "ignored" not in result.err, result.err  # defaults: nothing to say


def test_the_leakage_line_names_the_remedy_for_the_kind_of_source(tmp_path: Path, capsys, monkeypatch) -> None:
    """The leakage line said "deduplicate" and not how: a user cleaning an export had to find --clean-manifest
    (image files) or --fix (documents) in the docs. It now says what `meddx evaluate`'s leakage warning says."""
    monkeypatch.setenv("COLUMNS", "400")
    folder = _folder(tmp_path / "imgs", 1, 0)
    result = run_cli(["data", "verify", str(folder), "--no-near", "--report", str(tmp_path / "r.json")], capsys)
    assert result.code == 1
    line = next(x for x in result.out.splitlines() if x.startswith("leakage:"))
    assert line.endswith("(`meddx data verify --clean-manifest` lists and removes them)"), line
    result = run_cli(["data", "verify", str(folder), "--no-near", "--report", str(tmp_path / "r.json"),
                      "--clean-manifest", str(tmp_path / "clean.csv")], capsys)
    line = next(x for x in result.out.splitlines() if x.startswith("leakage:"))
    assert line.endswith("deduplicate before trusting test metrics"), line  # being removed: nothing to add

    notes = tmp_path / "notes.csv"
    rows = [f"n{i},note number {i} about {i * 7} things,{'ab'[i % 2]},P{i},{'train' if i < 6 else 'test'}\n"
            for i in range(8)]
    rows.append("copy,note number 1 about 7 things,b,P1,test\n")  # a copy of n1, and its patient, in test
    notes.write_text("id,text,label,patient_id,split\n" + "".join(rows))
    report = tmp_path / "notes-report.json"
    result = run_cli(["data", "verify", str(notes), "--report", str(report)], capsys)
    assert result.code == 1, result.err
    line = next(x for x in result.out.splitlines() if x.startswith("leakage:"))
    assert "`meddx data verify --fix drop-duplicates --fixed-output FILE` writes the source without the copies" in line
    assert f"its report ({report}) lists the shared patients" in line, line
