"""``meddx data verify`` on files: a mirrored and a rotated copy of training images in test are
reported as their own kind, are leakage (exit 1) and leave with ``--clean-manifest``; a text
``--fix`` takes a patient on two splits out of test; replacing a report made with other search
settings says so."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from cli_helpers import run_cli


def _smooth(seed: int, size: int = 64) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(np.random.default_rng(seed).standard_normal((size, size)), sigma=4)
    return ((field - field.min()) / (field.max() - field.min()) * 255).astype(np.uint8)


def _folder(root: Path) -> Path:
    """train/test class folders of distinct PNGs; test also holds train/a/1.png mirrored left-right
    (as PNG) and train/b/2.png rotated 90 degrees counter-clockwise (re-encoded as JPEG)."""
    from PIL import Image

    seed = 0
    for split, n in (("train", 4), ("test", 2)):
        for label in ("a", "b"):
            (root / split / label).mkdir(parents=True)
            for i in range(n):
                seed += 1
                Image.fromarray(_smooth(seed)).save(root / split / label / f"{i}.png")
    Image.fromarray(np.ascontiguousarray(_smooth(2)[:, ::-1])).save(root / "test" / "a" / "mirror.png")
    Image.fromarray(np.ascontiguousarray(np.rot90(_smooth(7)))).save(root / "test" / "b" / "turned.jpg", quality=90)
    return root


def test_flipped_and_rotated_copies_are_leakage_and_leave_with_the_clean_manifest(tmp_path: Path, capsys,
                                                                                 monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    folder = _folder(tmp_path / "imgs")
    report, clean = tmp_path / "r.json", tmp_path / "clean.csv"
    result = run_cli(["data", "verify", str(folder), "--report", str(report), "--clean-manifest", str(clean)], capsys)
    assert result.code == 1, result.err
    found = json.loads(report.read_text())
    assert not found["exact_duplicates"] and not found["near_duplicates"]
    turned = {m["id"]: m["transform"] for g in found["flipped_rotated_copies"] for m in g["members"]}
    assert turned == {"train/a/1.png": "as is", "test/a/mirror.png": "flip_lr",
                      "train/b/2.png": "as is", "test/b/turned.jpg": "rot90"}
    assert found["summary"]["flipped_rotated_groups_cross_split"] == 2
    assert "flipped/rotated copy groups (across splits)" in result.out
    assert "test:test/a/mirror.png (a, flipped left-right)" in result.out
    assert "test:test/b/turned.jpg (b, rotated 90 degrees counter-clockwise)" in result.out
    line = next(x for x in result.out.splitlines() if x.startswith("clean manifest:"))
    assert line.endswith("(removed 2 from test; kept train 8, test 4)"), line
    kept = {Path(r["path"]).name for r in csv.DictReader(clean.open())}
    assert "mirror.png" not in kept and "turned.jpg" not in kept

    again = run_cli(["data", "verify", str(clean), "--report", str(tmp_path / "r2.json")], capsys)
    assert again.code == 0, again.out + again.err


def test_replacing_a_report_made_before_flips_were_searched_says_so(tmp_path: Path, capsys) -> None:
    folder = _folder(tmp_path / "imgs")
    report = tmp_path / "r.json"
    run_cli(["data", "verify", str(folder), "--report", str(report)], capsys)
    earlier = json.loads(report.read_text())
    for key in ("flips_rotations", "search_version"):  # what a report of the previous version holds
        del earlier["settings"][key]
    report.write_text(json.dumps(earlier))
    result = run_cli(["data", "verify", str(folder), "--report", str(report)], capsys)
    assert "other duplicate-search settings (flips_rotations False -> True, search_version 1 -> 2)" in result.err
    same = run_cli(["data", "verify", str(folder), "--report", str(report)], capsys)
    assert "other duplicate-search settings" not in same.err


def test_text_fix_takes_a_shared_patient_out_of_test(tmp_path: Path, capsys) -> None:
    notes = tmp_path / "notes.csv"
    rows = [("1", "fever and cough for three days with chest pain", "pneumonia", "p1", "train"),
            ("2", "headache and blurred vision since the morning hours", "migraine", "p2", "train"),
            ("3", "a dry cough and night sweats for several weeks now", "pneumonia", "p3", "train"),
            ("4", "sudden severe headache with neck stiffness and photophobia", "migraine", "p4", "train"),
            ("5", "itchy rash and a low fever after the camping trip", "pneumonia", "p1", "test"),
            ("6", "throbbing headache on one side with nausea and aura", "migraine", "p6", "test")]
    with notes.open("w", newline="") as fh:
        csv.writer(fh).writerows([("id", "text", "label", "patient_id", "split"), *rows])
    fixed = tmp_path / "fixed.csv"
    result = run_cli(["data", "verify", str(notes), "--report", str(tmp_path / "r.json"),
                      "--fix", "drop-duplicates", "--fixed-output", str(fixed)], capsys)
    assert result.code == 1  # the input leaks; the fixed file does not
    assert "1 patient(s) on two splits kept in their earliest split only" in result.out
    assert [r["id"] for r in csv.DictReader(fixed.open())] == ["1", "2", "3", "4", "6"]
    again = run_cli(["data", "verify", str(fixed), "--report", str(tmp_path / "r2.json")], capsys)
    assert again.code == 0, again.out + again.err

    kept = tmp_path / "kept.csv"
    left = run_cli(["data", "verify", str(notes), "--report", str(tmp_path / "r3.json"),
                    "--fix", "drop-conflicting", "--fixed-output", str(kept)], capsys)
    assert "1 patient(s) still have rows on two splits" in left.err
