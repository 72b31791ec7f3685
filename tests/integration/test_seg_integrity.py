"""``meddx evaluate``/``compare`` on segmentation bundles never score training cases as held-out
(whatever the layout they come back in), and never overwrite or leave stale another source's
outputs. Two tiny 2D bundles trained for one epoch: the answers are about which cases and which
files, not about Dice."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from meddx.data.synthetic_seg import write_seg_folder
from tests.integration.cli_helpers import run_cli


def _flat(src: Path, dst: Path, stems: list[str] | None = None) -> Path:
    """The images of an images/ + labels/ folder as a flat folder (``x.png`` + ``x_mask.png``),
    named in reverse order, so that the same seed carves other cases from it."""
    dst.mkdir(parents=True)
    for i, image in enumerate(sorted((src / "images").glob("*.png"))):
        if stems is None or image.stem in stems:
            shutil.copy(image, dst / f"scan_{99 - i}.png")
            shutil.copy(src / "labels" / image.name, dst / f"scan_{99 - i}_mask.png")
    return dst


def test_training_cases_refused_and_outputs_kept_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    data = write_seg_folder(tmp_path / "shapes", n=20, size=32, classes=2, seed=5)
    bundles = {}
    for name, seed in (("tiny", "0"), ("tiny-b", "1")):
        result = run_cli(["train", "--data", str(data), "--name", name, "--no-progress", "--seed", seed, "--epochs",
                          "1", "--image-size", "32"], capsys)
        assert result.code == 0, result.err + result.out
        bundles[name] = tmp_path / "home" / "bundles" / name / "v1"
    cases = json.loads((bundles["tiny"] / "config.json").read_text())["training"]["cases"]
    assert len(cases["train"]["image_sha256"]) == len(cases["train"]["ids"]) == 14

    # D3: the same images as a flat folder: another carve, other ids, the same content
    flat = _flat(data, tmp_path / "flat")
    result = run_cli(["evaluate", str(bundles["tiny"]), "--data", str(flat), "--no-verify"], capsys)
    assert result.code == 2 and "training data of bundle 'tiny'" in result.err and "image content" in result.err
    assert not (bundles["tiny"] / "evaluations").exists()
    result = run_cli(["evaluate", str(bundles["tiny"]), "--data", str(flat), "--split", "train", "--bootstrap", "0",
                      "--out", str(tmp_path / "ev_train")], capsys)  # asked for knowingly: scored, with a warning
    assert result.code == 0, result.err
    assert "warning:" in result.err and "not held-out" in result.err
    assert "not held-out" in json.loads((tmp_path / "ev_train" / "metrics.json").read_text())["warnings"][0]
    # its own test split is not training data
    assert run_cli(["evaluate", str(bundles["tiny"]), "--data", str(data), "--bootstrap", "0"], capsys).code == 0

    # D2: B was carved with another seed: A's test cases include B's training cases
    result = run_cli(["compare", str(bundles["tiny"]), str(bundles["tiny-b"]), "--data", str(data)], capsys)
    assert result.code == 2 and "training data of bundle B 'tiny-b'" in result.err, result.err
    assert not (bundles["tiny"] / "comparisons").exists()

    # D4: two sources with the same folder name get two folders; a reused folder keeps no stale overlay
    fresh = write_seg_folder(tmp_path / "fresh", n=10, size=32, classes=2, seed=9)
    site_a = _flat(fresh, tmp_path / "site_a" / "img")
    site_b = _flat(fresh, tmp_path / "site_b" / "img", stems=[f"case_{i:03d}" for i in range(5)])
    folders = []
    for site in (site_a, site_b):
        result = run_cli(["evaluate", str(bundles["tiny"]), "--data", str(site), "--split", "train",
                          "--bootstrap", "0", "--no-report"], capsys)
        assert result.code == 0, result.err
        folders.append(Path(result.out.split("metrics: ")[1].split()[0]).parent)
    assert folders[0] != folders[1] and all(f.name.startswith("img-train-") for f in folders)
    out = tmp_path / "reused"
    for site in (site_a, site_b):
        assert run_cli(["evaluate", str(bundles["tiny"]), "--data", str(site), "--split", "train", "--bootstrap", "0",
                        "--out", str(out)], capsys).code == 0
    listed = json.loads((out / "metrics.json").read_text())["overlays"]
    on_disk = sorted(str(p) for p in (out / "overlays").glob("*.png"))
    assert on_disk == sorted({p for paths in listed.values() for p in paths})
    with open(out / "cases.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == json.loads((out / "metrics.json").read_text())["n"] < 5


def test_a_broken_test_pair_stops_training_before_it_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by an audit: a test mask one row taller than its image was only read at the test
    evaluation, after the whole training, which then failed before the bundle was saved."""
    import numpy as np
    from PIL import Image

    from meddx.core.errors import DataError
    import meddx.training.fit as fit

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    for split, seed in (("train", 5), ("test", 6)):
        write_seg_folder(tmp_path / "src" / split, n=6, size=32, classes=2, seed=seed)
    shutil.move(tmp_path / "src" / "train" / "labels.json", tmp_path / "src" / "labels.json")
    (tmp_path / "src" / "test" / "labels.json").unlink()
    broken = tmp_path / "src" / "test" / "labels" / "case_003.png"
    Image.fromarray(np.zeros((33, 32), np.uint8)).save(broken)
    started: list[bool] = []

    def training(*args: object, **kwargs: object) -> None:
        started.append(True)
        raise DataError("training started")

    monkeypatch.setattr(fit, "train_and_restore", training)
    result = run_cli(["train", "--data", str(tmp_path / "src"), "--name", "broken", "--no-progress", "--epochs", "1"],
                     capsys)
    assert result.code == 2 and not started
    assert "test/labels/case_003.png: mask shape (33, 32) differs from image" in result.err
    assert "Traceback" not in result.err
