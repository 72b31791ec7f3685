"""`meddx data info|verify`: defects found by an audit with known-answer inputs (grouping, the
default report, conflict counts, intensity ranges per dtype, classes without training samples)."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from meddx.data.base import SplitData, TextSource
from tests.integration.cli_helpers import run_cli


def smooth(seed: int, size: int = 64) -> Image.Image:
    """A distinct, smooth grey image (random 8x8 pattern upsampled), stable under JPEG."""
    small = np.random.default_rng(seed).integers(0, 255, (8, 8), dtype=np.uint8)
    return Image.fromarray(small).resize((size, size), Image.BICUBIC)


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``meddx ARGV`` through the console entry point: exit code, stdout, stderr."""
    result = run_cli(argv, capsys)
    return result.code, result.out, result.err


def one_line_error(code: int, err: str, *fragments: str) -> None:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("meddx: error:"), (code, err)
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# ------------------------------------------------------------------ 1. one grouping mechanism
def brute_components(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Components with >= 2 nodes by repeated set merging (no union-find, no scipy)."""
    sets = [{i} for i in range(n)]
    for a, b in pairs:
        sa = next(s for s in sets if a in s)
        sb = next(s for s in sets if b in s)
        if sa is not sb:
            sets.remove(sb)
            sa |= sb
    return sorted(sorted(s) for s in sets if len(s) > 1)


def test_component_codes_match_brute_force_grouping_on_random_pairs() -> None:
    from meddx.data.splits import code_groups, component_codes

    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(0, 40))
        k = int(rng.integers(0, 2 * n + 1)) if n else 0
        pairs = [tuple(int(x) for x in rng.integers(0, n, 2)) for _ in range(k)]  # self-loops and repeats too
        codes = component_codes(n, pairs)
        assert len(codes) == n
        assert code_groups(codes) == brute_components(n, pairs), trial
        if n:  # codes numbered by each component's smallest node
            firsts = [int(np.flatnonzero(codes == c)[0]) for c in range(int(codes.max()) + 1)]
            assert firsts == sorted(firsts)


def test_near_components_equal_brute_force_groups_and_distances() -> None:
    from meddx.data.verify import _near_components

    rng = np.random.default_rng(2)
    base = rng.integers(0, 2, (30, 64)).astype(bool)
    bits = np.concatenate([base, base[:15] ^ (rng.random((15, 64)) < 0.03), base[:5] ^ (rng.random((5, 64)) < 0.05)])
    for limit in (0, 1, 2, 4):
        dist = {(i, j): int((bits[i] != bits[j]).sum()) for i, j in combinations(range(len(bits)), 2)}
        close = [p for p, d in dist.items() if d <= limit]
        expected = brute_components(len(bits), close)
        got = _near_components(bits, limit)
        assert [c for c, _ in got] == expected
        for comp, largest in got:
            assert largest == max(d for p, d in dist.items() if d <= limit and p[0] in comp)


def test_text_cleaning_groups_equal_brute_force_merging() -> None:
    from meddx.data.text_verify import _merged_groups

    rng = np.random.default_rng(4)
    keys = [("train", f"r{i}") for i in range(25)] + [("test", f"t{i}") for i in range(10)]
    position = {k: (k[0], i) for i, k in enumerate(keys)}
    for _ in range(50):
        groups = [sorted(rng.choice(len(keys), int(rng.integers(2, 4)), replace=False).tolist())
                  for _ in range(int(rng.integers(0, 8)))]
        report = {"exact_duplicates": [{"members": [{"split": keys[i][0], "id": keys[i][1]} for i in g]}
                                       for g in groups[::2]],
                  "near_duplicates": [{"members": [{"split": keys[i][0], "id": keys[i][1]} for i in g]}
                                      for g in groups[1::2]]}
        pairs = [(g[0], i) for g in groups for i in g]
        expected = [[keys[i] for i in comp] for comp in brute_components(len(keys), pairs)]
        assert _merged_groups(report, position, "mem") == expected


# ------------------------------------------------------------------ 2. the default report
def test_default_report_never_replaces_an_earlier_one(tmp_path: Path, capsys, monkeypatch) -> None:
    """Found by an audit: verifying a second source in the same folder silently replaced the
    first source's verify-report.json."""
    for name, seed in (("first", 0), ("second", 10)):
        for cls in ("a", "b"):
            (tmp_path / name / cls).mkdir(parents=True)
            smooth(seed + ord(cls)).save(tmp_path / name / cls / "x.png")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = cli(["data", "verify", str(tmp_path / "first"), "--no-near"], capsys)
    assert code == 0, err
    code, _, err = cli(["data", "verify", str(tmp_path / "first"), "--no-near"], capsys)
    assert code == 0, err  # the same source verified again (after a fix) replaces its own report
    earlier = (work / "verify-report.json").read_bytes()
    assert json.loads(earlier)["source"]["origin"] == str(tmp_path / "first")

    code, _, err = cli(["data", "verify", str(tmp_path / "second"), "--no-near"], capsys)
    one_line_error(code, err, str(work / "verify-report.json"), "--report PATH", "--overwrite")
    assert (work / "verify-report.json").read_bytes() == earlier

    code, _, err = cli(["data", "verify", str(tmp_path / "second"), "--no-near", "--overwrite"], capsys)
    assert code == 0, err
    assert json.loads((work / "verify-report.json").read_text())["source"]["origin"] == str(tmp_path / "second")
    assert sorted(p.name for p in work.iterdir()) == ["verify-report.json"]  # no temporary file left


def test_default_report_write_never_replaces_a_file_that_appeared_meanwhile(tmp_path: Path) -> None:
    from meddx.cli.data_report import write_report
    from meddx.core.errors import ConfigError

    target = tmp_path / "verify-report.json"
    write_report(target, {"summary": {"n": 1}}, replace=False)
    assert json.loads(target.read_text()) == {"summary": {"n": 1}}
    with pytest.raises(ConfigError, match="appeared while verify ran"):  # another run wrote it meanwhile
        write_report(target, {"summary": {"n": 2}}, replace=False)
    assert json.loads(target.read_text()) == {"summary": {"n": 1}}
    assert [p.name for p in tmp_path.iterdir()] == ["verify-report.json"]


def test_explicit_report_replaces_an_earlier_report_but_no_other_file(tmp_path: Path, capsys) -> None:
    for cls in ("a", "b"):
        (tmp_path / "d" / cls).mkdir(parents=True)
        smooth(ord(cls)).save(tmp_path / "d" / cls / "x.png")
    report = tmp_path / "out" / "r.json"
    for _ in range(2):  # an earlier verify report at an explicit path is replaced
        code, _, err = cli(["data", "verify", str(tmp_path / "d"), "--no-near", "--report", str(report)], capsys)
        assert code == 0, err
    other = tmp_path / "out" / "metrics.json"
    other.write_text('{"auc": 0.91}')
    code, _, err = cli(["data", "verify", str(tmp_path / "d"), "--no-near", "--report", str(other)], capsys)
    one_line_error(code, err, str(other), "not a meddx verify report", "--overwrite")
    assert other.read_text() == '{"auc": 0.91}'
    code, _, err = cli(["data", "verify", str(tmp_path / "d"), "--no-near", "--report", str(other), "--overwrite"],
                       capsys)
    assert code == 0 and "summary" in json.loads(other.read_text())
    code, _, err = cli(["data", "verify", str(tmp_path / "d"), "--no-near", "--report", str(tmp_path / "out")], capsys)
    one_line_error(code, err, "is a folder")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["metrics.json", "r.json"]


# ------------------------------------------------------------------ 3. conflict counts
def test_an_exact_conflict_with_a_near_copy_counts_each_file_once(tmp_path: Path) -> None:
    """Found by an audit: an exact pair with different labels and a near copy of it was counted
    as 2 conflicting groups (the exact pair and the near group holding the same two files)."""
    from meddx.data.imagefolder import load_imagefolder
    from meddx.data.verify import verify_source

    for cls in ("a", "b"):
        (tmp_path / "train" / cls).mkdir(parents=True)
        for i in range(3):
            smooth(10 * i + ord(cls)).save(tmp_path / "train" / cls / f"{i}.png")
    smooth(300).save(tmp_path / "train" / "a" / "twice.png")
    shutil.copy(tmp_path / "train" / "a" / "twice.png", tmp_path / "train" / "b" / "twice.png")
    smooth(300).convert("RGB").save(tmp_path / "train" / "a" / "resaved.jpg", quality=90)
    smooth(400).save(tmp_path / "train" / "a" / "near1.png")  # a near pair of its own, labels a / b
    smooth(400).convert("RGB").save(tmp_path / "train" / "b" / "near2.jpg", quality=90)
    report = verify_source(load_imagefolder(tmp_path)).to_dict()
    s = report["summary"]
    assert [len(g["members"]) for g in report["near_duplicates"]] == [2, 3]  # near1/near2, then twice x2 + resaved
    assert s["conflicting_label_groups"] == 2 and s["conflicting_label_rows"] == 5  # was 3 groups: 1 exact + 2 near
    assert s["conflicting_exact_groups"] == 1 and s["conflicting_exact_rows"] == 2
    assert s["conflicting_near_groups"] == 2 and s["conflicting_near_rows"] == 1 + 2
    assert s["conflicting_exact_rows"] + s["conflicting_near_rows"] == s["conflicting_label_rows"]
    near_entries = [c for c in report["conflicting_labels"] if c["kind"] == "near"]
    assert [c["exact_groups"] for c in near_entries] == [[], [0]]


def test_text_conflicts_count_each_row_once() -> None:
    from meddx.data.text_verify import verify_text_source

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(3000)]
    docs = [" ".join(rng.choice(words, 120)) for _ in range(8)]
    c = docs[0]
    near = c.split(" ")
    near[60] = "changed"
    texts = [c, c.upper(), " ".join(near), *docs[1:]]
    labels = np.array([0, 1, 0, 0, 1, 0, 1, 0, 1, 0])
    src = TextSource(name="t", origin="mem", task="binary", label_names=["a", "b"], spatial_dims=0,
                     splits={"train": SplitData(ids=[f"d{i}" for i in range(10)], labels=labels, texts=texts)})
    s = verify_text_source(src).summary
    assert s["conflicting_label_groups"] == 1 and s["conflicting_label_rows"] == 3  # was 2 groups for 3 rows
    assert s["conflicting_exact_groups"] == 1 and s["conflicting_exact_rows"] == 2
    assert s["conflicting_near_groups"] == 1 and s["conflicting_near_rows"] == 1


# ------------------------------------------------------------------ 4. intensity per dtype
def test_info_gives_an_intensity_range_per_stored_dtype(tmp_path: Path, capsys, monkeypatch) -> None:
    """Found by an audit: 8-bit and 16-bit PNGs in one folder printed one range (10..39999)."""
    monkeypatch.setenv("COLUMNS", "200")
    rng = np.random.default_rng(0)
    arrays = {"a": [], "b": []}
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            eight = rng.integers(10, 200, (32, 32), dtype=np.uint8)
            sixteen = rng.integers(1000, 40000, (32, 32)).astype(np.uint16)
            Image.fromarray(eight).save(tmp_path / cls / f"e{i}.png")
            Image.fromarray(sixteen).save(tmp_path / cls / f"s{i}.png")
            arrays[cls] += [eight, sixteen]
    code, out, err = cli(["data", "info", str(tmp_path), "--json"], capsys)
    assert code == 0, err
    by_dtype = json.loads(out)["splits"]["train"]["intensity_by_dtype"]
    flat = [a for group in arrays.values() for a in group]
    for dtype in ("uint8", "uint16"):
        mine = [a for a in flat if str(a.dtype) == dtype]
        expect = {"min": float(min(a.min() for a in mine)), "max": float(max(a.max() for a in mine)),
                  "mean": float(np.mean(np.stack(mine), dtype=np.float64)), "samples": 6}
        assert by_dtype[dtype] == pytest.approx(expect)
    code, out, _ = cli(["data", "info", str(tmp_path)], capsys)
    assert code == 0 and "uint8 (6)" in out and "uint16 (6)" in out


# ------------------------------------------------------------------ 5. a class only in test
def class_only_in_test(tmp_path: Path, kind: str) -> str:
    """An image folder or a CSV manifest with classes a, b in train and test, c in test only."""
    rows, seed = [], 0
    for split in ("train", "test"):
        for cls in ("a", "b", "c") if split == "test" else ("a", "b"):
            for i in range(3):
                path = tmp_path / "img" / split / cls / f"{i}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                seed += 1
                smooth(seed).save(path)
                rows.append([path.relative_to(tmp_path).as_posix(), cls, split])
    if kind == "folder":
        return str(tmp_path / "img")
    with (tmp_path / "manifest.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([["path", "label", "split"], *rows])
    return str(tmp_path / "manifest.csv")


@pytest.mark.parametrize("kind", ["folder", "manifest"])
def test_a_class_only_in_test_is_reported_by_info_and_verify_and_refused_by_train(
        tmp_path: Path, kind: str, capsys, monkeypatch) -> None:
    """Found by an audit: an image folder was refused at load (so info/verify could not show it)
    while the same content as a CSV manifest passed info/verify without a word."""
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    source = class_only_in_test(tmp_path, kind)
    code, out, err = cli(["data", "info", source, "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["classes_without_training_samples"] == {"c": {"test": 3}}
    code, out, _ = cli(["data", "info", source], capsys)
    assert code == 0 and "problem: class 'c' has no training sample (3 in test)" in " ".join(out.split())

    report = tmp_path / "r.json"
    code, out, err = cli(["data", "verify", source, "--no-near", "--report", str(report)], capsys)
    assert code == 1, err  # no leakage here: the class alone fails verify
    assert "problem: class 'c' has no training sample" in " ".join(out.split())
    summary = json.loads(report.read_text())["summary"]
    assert summary["classes_without_training_samples"] == {"c": {"test": 3}} and not summary["has_leakage"]

    code, _, err = cli(["train", "--data", source, "--epochs", "1", "--no-progress"], capsys)
    one_line_error(code, err, "class 'c' has no training sample")
    assert not (tmp_path / "home" / "runs").exists() or not any((tmp_path / "home" / "runs").iterdir())


def test_sha256_of_exact_groups_matches_hashlib(tmp_path: Path) -> None:
    """Exact groups recomputed independently: files grouped by hashlib.sha256 of their bytes."""
    from meddx.data.imagefolder import load_imagefolder
    from meddx.data.verify import verify_source

    for cls in ("a", "b"):
        (tmp_path / "train" / cls).mkdir(parents=True)
        (tmp_path / "test" / cls).mkdir(parents=True)
        for i in range(4):
            smooth(i + 10 * ord(cls)).save(tmp_path / "train" / cls / f"{i}.png")
    shutil.copy(tmp_path / "train" / "a" / "0.png", tmp_path / "test" / "a" / "x.png")
    shutil.copy(tmp_path / "train" / "a" / "0.png", tmp_path / "test" / "b" / "y.png")
    shutil.copy(tmp_path / "train" / "b" / "1.png", tmp_path / "train" / "a" / "9.png")
    smooth(99).save(tmp_path / "test" / "b" / "z.png")
    smooth(98).save(tmp_path / "test" / "a" / "w.png")
    files = sorted(p for p in tmp_path.rglob("*.png"))
    by_hash: dict[str, set[str]] = {}
    for p in files:
        by_hash.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), set()).add(p.relative_to(tmp_path).as_posix())
    expected = sorted(sorted(ids) for ids in by_hash.values() if len(ids) > 1)
    report = verify_source(load_imagefolder(tmp_path), near_duplicates=False)
    assert sorted(sorted(m["id"] for m in g["members"]) for g in report.exact_duplicates) == expected
    assert report.summary["distinct_contents"] == len(by_hash)
    assert report.summary["exact_redundant_copies"] == sum(len(v) - 1 for v in by_hash.values())


def test_clean_manifest_also_leaves_out_evaluation_samples_of_training_patients(tmp_path: Path, capsys) -> None:
    """Found by an audit: the "clean" manifest kept a test image of a patient who is also in
    train, so verify on it still reported leakage (exit 1)."""
    rows = []
    for k, (split, patient) in enumerate([("train", "P0"), ("train", "P1"), ("train", "P2"), ("train", "P3"),
                                          ("val", "P4"), ("val", "P1"), ("test", "P1"), ("test", "P5"),
                                          ("test", "P4")]):
        smooth(k).save(tmp_path / f"{k}.png")
        rows.append([f"{k}.png", "ab"[k % 2], patient, split])
    with (tmp_path / "m.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([["path", "label", "patient_id", "split"], *rows])
    clean = tmp_path / "clean.csv"
    code, _, err = cli(["data", "verify", str(tmp_path / "m.csv"), "--no-near", "--report", str(tmp_path / "r.json"),
                        "--clean-manifest", str(clean)], capsys)
    assert code == 1, err
    with clean.open() as fh:
        kept = {(r["split"], Path(r["path"]).name) for r in csv.DictReader(fh)}
    # P1 stays in train only; P4 stays in val (its first split), leaving test
    assert kept == {("train", "0.png"), ("train", "1.png"), ("train", "2.png"), ("train", "3.png"),
                    ("val", "4.png"), ("test", "7.png")}
    code, _, err = cli(["data", "verify", str(clean), "--no-near", "--report", str(tmp_path / "r2.json")], capsys)
    assert code == 0, err
