"""Output files are never replaced, or left misplaced, without a word.

- ``meddx predict SEG_BUNDLE FILE... --output DIR`` replaced the masks and overlays of an earlier
  run in DIR silently, and ``--overwrite`` was refused for every image bundle. Now an earlier
  run's file is refused before anything is segmented (one line naming it and the two ways on) and
  ``--overwrite`` replaces them; image classifiers, whose predict writes nothing, still refuse it.
- ``meddx explain BUNDLE --evaluate --data SRC --out DIR`` ignored ``--out`` (the report went into
  the bundle). Now it goes to DIR, never over an earlier report there without ``--overwrite``;
  without ``--out`` it still goes into the bundle.
- ``meddx explain ... --out DIR --overwrite`` after a longer run left that run's files 3..5 beside
  the new ``explanations.json``; now those the earlier summary lists are removed, and said so.

The bundles are built directly (``save_bundle``, untrained weights): these tests are about files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.integration.bundle_helpers import tiny_seg_bundle
from tests.integration.cli_helpers import one_line, run_cli, snapshot



@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 2D U-Net segmentation bundle, a seed-CNN classifier, a few PNGs and a tiny image folder."""
    from meddx.bundle.bundle import save_bundle
    from meddx.data.synthetic import make_lesion_source, write_image_folder
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    root = tmp_path_factory.mktemp("kept")
    seg = tiny_seg_bundle(root / "seg", "tinyseg", dims=2, size=[32, 32], patch=[32, 32], structure="disc")
    pngs = []
    for i in range(3):
        image = np.zeros((20, 20), np.uint8)
        image[4 + i:14, 5:15] = 200
        Image.fromarray(image).save(root / f"img{i}.png")
        pngs.append(root / f"img{i}.png")
    write_image_folder(make_lesion_source(6, 4, 8, size=28, seed=11, contrast=2.0), root / "data")
    pre = ImagePreprocessor((28, 28), 1).fit([np.random.default_rng(0).random((1, 28, 28)).astype(np.float32)])
    cls = save_bundle(root / "cls", net=create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28).eval(),
                      metrics={}, model_card="# cls",
                      config={"name": "cls", "task": "binary", "label_names": ["normal", "lesion"],
                              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28},
                                        "num_classes": 2},
                              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []})
    return {"seg": seg, "cls": cls, "pngs": pngs, "data": root / "data",
            "images": sorted((root / "data" / "test").glob("*/*.png"))}


def test_a_second_seg_predict_into_the_same_folder_keeps_the_first_masks(
        bundles: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c = (str(p) for p in bundles["pngs"])
    out = tmp_path / "masks"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert run_cli(["predict", str(bundles["seg"]), a, b, "--output", str(out)], capsys).code == 0
    assert {"img0_mask.png", "img0_overlay.png", "img1_mask.png", "img1_overlay.png"} <= set(snapshot(out))
    before = snapshot(out)

    line = one_line(run_cli(["predict", str(bundles["seg"]), c, a, "--output", str(out)], capsys))
    assert str(out / "img0_mask.png") in line and "already exists" in line and "--overwrite" in line
    assert snapshot(out) == before  # byte for byte, and img2's files not written either

    again = run_cli(["predict", str(bundles["seg"]), c, a, "--output", str(out), "--overwrite"], capsys)
    assert again.code == 0, again.err
    assert {"img2_mask.png", "img2_overlay.png"} <= set(snapshot(out)) and (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no temporary files left


def test_seg_overwrite_needs_output_and_classifiers_still_refuse_it(
        bundles: dict, capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line(run_cli(["predict", str(bundles["seg"]), str(bundles["pngs"][0]), "--overwrite"], capsys))
    assert "--overwrite" in line and "--output DIR" in line
    line = one_line(run_cli(["predict", str(bundles["cls"]), str(bundles["images"][0]), "--overwrite"], capsys))
    assert line.count("--overwrite") == 1 and "meddx explain" in line and "'cls'" in line


def test_explain_evaluate_writes_its_report_into_the_out_folder_given(
        bundles: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "faith"

    def evaluate(n: int, *extra: str) -> list[str]:
        return ["explain", str(bundles["cls"]), "--evaluate", "--data", str(bundles["data"]), "--n", str(n),
                "-m", "gradcam", "--json", *extra]

    first = run_cli(evaluate(3, "--out", str(out)), capsys)
    assert first.code == 0, first.err
    report = out / "faithfulness-data-test.json"
    assert json.loads(report.read_text())["n"] == 3
    assert not (bundles["cls"] / "explanations").exists()  # not into the bundle
    before = snapshot(out)

    line = one_line(run_cli(evaluate(4, "--out", str(out)), capsys))
    assert str(report) in line and "--overwrite" in line and snapshot(out) == before

    replaced = run_cli(evaluate(4, "--out", str(out), "--overwrite"), capsys)
    assert replaced.code == 0, replaced.err
    assert json.loads(report.read_text())["n"] == 4

    line = one_line(run_cli(evaluate(3, "--overwrite"), capsys))  # no --out: the bundle's folder, flag unused
    assert "--overwrite" in line and "--out DIR" in line
    default = run_cli(evaluate(3), capsys)
    assert default.code == 0, default.err
    assert json.loads((bundles["cls"] / "explanations" / "faithfulness-data-test.json").read_text())["n"] == 3


def test_explain_overwrite_after_a_longer_run_leaves_none_of_its_files(
        bundles: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images = [str(p) for p in bundles["images"][:5]]
    out = tmp_path / "expl"
    assert run_cli(["explain", str(bundles["cls"]), *images, "-m", "gradcam", "--out", str(out)], capsys).code == 0
    (out / "notes.txt").write_text("mine")
    again = run_cli(["explain", str(bundles["cls"]), *images[:2], "-m", "gradcam", "--out", str(out), "--overwrite"],
                    capsys)
    assert again.code == 0, again.err
    assert "removed: 3 files" in again.out
    summary = json.loads((out / "explanations.json").read_text())
    written = {f"{i:04d}-{Path(e['source']).name}-gradcam.png" for i, e in enumerate(summary, start=1)}
    assert set(snapshot(out)) == written | {"explanations.json", "notes.txt"}
