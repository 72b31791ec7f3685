"""verify_source and `meddx data verify`: undecodable, exact/near duplicates, conflicts, leakage."""

from __future__ import annotations

import json
import shutil
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from meddx.cli.data import app
from meddx.data.base import ImageSource, SplitData
from meddx.data.imagefolder import load_imagefolder
from meddx.data.verify import _near_components, verify_source


def smooth(seed: int, size: int = 64) -> Image.Image:
    """A distinct, smooth grey image (random 8x8 pattern upsampled), stable under JPEG."""
    small = np.random.default_rng(seed).integers(0, 255, (8, 8), dtype=np.uint8)
    return Image.fromarray(small).resize((size, size), Image.BICUBIC)


def leaky_folder(root: Path) -> Path:
    """train/test folders with a byte copy across splits, a JPEG re-save across splits,
    the same bytes under two labels, and a corrupt file."""
    seed = 0
    for split in ("train", "test"):
        for cls in ("benign", "malignant"):
            (root / split / cls).mkdir(parents=True)
            for i in range(4):
                seed += 1
                smooth(seed).save(root / split / cls / f"{i}.png")
    smooth(100).save(root / "train" / "benign" / "orig.png")
    shutil.copy(root / "train" / "benign" / "orig.png", root / "test" / "benign" / "copy.png")
    smooth(200).save(root / "train" / "malignant" / "scan.jpg", quality=95)
    smooth(200).save(root / "test" / "malignant" / "scan_again.jpg", quality=85)
    smooth(300).save(root / "train" / "benign" / "twice.png")
    shutil.copy(root / "train" / "benign" / "twice.png", root / "train" / "malignant" / "twice.png")
    (root / "test" / "benign" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    return root


def test_folder_report_finds_everything(tmp_path: Path) -> None:
    report = verify_source(load_imagefolder(leaky_folder(tmp_path)))
    d = report.to_dict()
    json.dumps(d)  # serialisable

    assert [u["id"] for u in d["undecodable"]] == ["test/benign/broken.png"]
    assert "cannot decode image" in d["undecodable"][0]["reason"]

    exact = {tuple(m["id"] for m in g["members"]): g for g in d["exact_duplicates"]}
    assert set(exact) == {("train/benign/orig.png", "test/benign/copy.png"),
                          ("train/benign/twice.png", "train/malignant/twice.png")}
    cross = exact[("train/benign/orig.png", "test/benign/copy.png")]
    assert cross["cross_split"] and cross["splits"] == ["test", "train"] and not cross["conflicting_labels"]
    conflict = exact[("train/benign/twice.png", "train/malignant/twice.png")]
    assert conflict["conflicting_labels"] and conflict["labels"] == ["benign", "malignant"] and not conflict["cross_split"]

    assert len(d["near_duplicates"]) == 1
    near = d["near_duplicates"][0]
    assert {m["id"] for m in near["members"]} == {"train/malignant/scan.jpg", "test/malignant/scan_again.jpg"}
    assert near["cross_split"]

    s = d["summary"]
    assert s["exact_duplicate_groups"] == 2 and s["exact_duplicate_groups_cross_split"] == 1
    assert s["exact_cross_split_samples"] == {"train": 1, "test": 1}
    assert s["conflicting_label_groups"] == 1 and s["undecodable"] == 1
    assert report.has_leakage and s["has_leakage"]
    assert [c["kind"] for c in d["conflicting_labels"]] == ["exact"]


def test_clean_source_has_no_leakage_and_near_can_be_skipped(tmp_path: Path) -> None:
    for split, cls, seed in (("train", "a", 1), ("train", "b", 2), ("test", "a", 3), ("test", "b", 4)):
        (tmp_path / split / cls).mkdir(parents=True)
        smooth(seed).save(tmp_path / split / cls / "x.png")
    report = verify_source(load_imagefolder(tmp_path), near_duplicates=False)
    assert not report.has_leakage and report.near_duplicates == []
    assert report.settings["near_duplicates"] is False and "near-duplicate search skipped" in report.notes


def test_array_sources_2d_and_3d() -> None:
    rng = np.random.default_rng(0)
    for shape, dims in (((1, 16, 16), 2), ((1, 8, 8, 8), 3)):
        train = rng.integers(0, 255, (5, *shape), dtype=np.uint8)
        test = rng.integers(0, 255, (3, *shape), dtype=np.uint8)
        test[1] = train[4]
        src = ImageSource("arr", "memory", "binary", ["n", "p"], dims, {
            "train": SplitData([f"train-{i}" for i in range(5)], np.array([0, 1, 0, 1, 1]), images=train),
            "test": SplitData([f"test-{i}" for i in range(3)], np.array([0, 0, 0]), images=test),
        })
        report = verify_source(src)
        assert report.has_leakage
        (group,) = report.exact_duplicates
        assert [m["id"] for m in group["members"]] == ["train-4", "test-1"]
        assert group["conflicting_labels"] and group["labels"] == ["n", "p"]
        assert report.settings["max_distance"] == (2 if dims == 2 else 6)


def test_banding_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 2, (40, 64)).astype(bool)
    bits = np.concatenate([base, base[:20] ^ (rng.random((20, 64)) < 0.03)])  # 20 noisy copies
    for limit in (0, 2, 4):
        dist = {(i, j): int((bits[i] != bits[j]).sum()) for i, j in combinations(range(len(bits)), 2)}
        expected_pairs = {p for p, d in dist.items() if d <= limit}
        comps = _near_components(bits, limit)
        in_same = {(i, j) for comp, _ in comps for i, j in combinations(comp, 2)}
        assert expected_pairs <= in_same
        for comp, _ in comps:  # every component is connected by close pairs
            assert any(p in expected_pairs for p in combinations(comp, 2))


def test_near_candidates_need_correlated_thumbnails() -> None:
    bits = np.zeros((4, 64), bool)
    bits[:, ::2] = True  # four identical hashes
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 255, 1024), rng.integers(0, 255, 1024)
    thumbs = np.stack([a, np.clip(a + 1, 0, 255), b, np.zeros(1024)]).astype(np.uint8)
    assert _near_components(bits, 2, thumbs) == [([0, 1], 0)]  # b and the blank image only look alike


def test_cli_verify_writes_report_and_exits_1_on_leakage(tmp_path: Path) -> None:
    root = leaky_folder(tmp_path / "data")
    out = tmp_path / "reports" / "verify.json"
    result = CliRunner().invoke(app, ["verify", str(root), "--report", str(out)])
    assert result.exit_code == 1, result.output
    assert "leakage" in result.output
    report = json.loads(out.read_text())
    assert report["summary"]["has_leakage"] and report["summary"]["exact_duplicate_groups"] == 2
    assert [p.name for p in out.parent.iterdir()] == ["verify.json"]  # no temp file left


def test_cli_verify_clean_exits_0_and_info_json(tmp_path: Path) -> None:
    for cls, seed in (("a", 1), ("b", 2)):
        (tmp_path / "d" / cls).mkdir(parents=True)
        smooth(seed).save(tmp_path / "d" / cls / "x.png")
    runner = CliRunner()
    result = runner.invoke(app, ["verify", str(tmp_path / "d"), "--report", str(tmp_path / "r.json"), "--no-near"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["settings"]["near_duplicates"] is False
    info = runner.invoke(app, ["info", str(tmp_path / "d"), "--json"])
    assert info.exit_code == 0, info.output
    parsed = json.loads(info.output)
    assert parsed["splits"]["train"]["class_counts"] == {"a": 1, "b": 1}
    assert parsed["splits"]["train"]["shapes"] == [{"shape": [1, 64, 64], "count": 2}]
    table = runner.invoke(app, ["info", str(tmp_path / "d")])
    assert table.exit_code == 0 and "total" in table.output


@pytest.mark.parametrize("hash_size", [8, 16])
def test_fingerprint_matches_phash_and_a_direct_thumbnail_of_the_full_image(hash_size: int) -> None:
    # the fingerprint resizes once and hashes the small image: the bits must be phash's own
    import imagehash

    from meddx.data.verify import _THUMB, _fingerprint, _to_pil

    rng = np.random.default_rng(3)
    for plane in (rng.integers(0, 256, (1, 150, 200), dtype=np.uint8),
                  rng.integers(0, 256, (3, 97, 61), dtype=np.uint8),
                  rng.normal(size=(1, 64, 80)).astype(np.float32)):
        bits, thumb = _fingerprint(plane, hash_size)
        img = _to_pil(plane)
        assert np.array_equal(bits, imagehash.phash(img, hash_size).hash.ravel())
        direct = np.asarray(img.convert("L").resize((_THUMB, _THUMB), Image.LANCZOS), dtype=np.uint8).ravel()
        assert np.array_equal(thumb, direct)


def test_clean_manifest_leaves_out_leaked_copies_and_undecodable_files(tmp_path: Path) -> None:
    """Found by an outside-in audit: the undecodable files stayed in the "clean" manifest, so
    ``meddx train`` on it stopped at the first of them."""
    import csv

    root = leaky_folder(tmp_path / "data")
    out = tmp_path / "clean.csv"
    result = CliRunner().invoke(app, ["verify", str(root), "--report", str(tmp_path / "r.json"),
                                      "--clean-manifest", str(out)])
    assert result.exit_code == 1, result.output  # the source itself leaks
    with out.open() as fh:
        listed = {Path(row["path"]).relative_to(root).as_posix() for row in csv.DictReader(fh)}
    assert "test/benign/broken.png" not in listed and "test/benign/copy.png" not in listed
    assert "test/malignant/scan_again.jpg" not in listed and "train/benign/orig.png" in listed
    assert len(listed) == 23 - 3  # every file but copy.png, scan_again.jpg and broken.png
