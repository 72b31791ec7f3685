"""``meddx predict BUNDLE FILE... --skip-bad``: one undecodable or wrong-shaped file among many ended
the whole run with an error. With the flag every good input is predicted (table, or one JSON line
each), each bad one is named on stderr in one line with the reason, and the exit status is 1 when
anything was skipped, 0 when nothing was; without it, predict stops at the first bad file as before.
Image classifiers (PNG, JPEG, DICOM, NIfTI, folders), segmentation (bad inputs left out before the
run writes its masks) and table bundles; text and series bundles refuse the flag in one line."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from bundle_helpers import tiny_image_bundle, tiny_seg_bundle
from cli_helpers import one_line, run_cli

from meddx.core.errors import ConfigError
from tests.integration.test_tabular_cli import write_table
from tests.unit.serving.serving_samples import broken_dicom, dicom_bytes, jpeg_bytes, nifti_bytes, png_bytes


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    """A 28 px grey classifier and inputs of every kind it reads, good and bad."""
    bundle = tiny_image_bundle(tmp_path / "cxr", label_names=["normal", "lesion"], decision={"threshold": 0.5},
                               training={})
    rng = np.random.default_rng(0)
    pixels = [rng.integers(0, 256, (28, 28)).astype(np.uint8) for _ in range(5)]
    for folder in ("day", "good"):
        (tmp_path / folder).mkdir()
    files = {
        "a.png": png_bytes(pixels[0]), "b.jpg": jpeg_bytes(pixels[1]), "c.dcm": dicom_bytes(pixels[2]),
        "d.nii": nifti_bytes(pixels[3].T.astype(np.float32)),
        "bad.png": b"not a png at all",  # undecodable
        "bad.dcm": broken_dicom(),  # a DICOM file cut short
        "volume.nii": nifti_bytes(np.zeros((28, 28, 5), np.float32)),  # 3D, for a 2D bundle
        "fivechannel.nii": nifti_bytes(np.zeros((28, 28, 1, 5), np.float32)),  # 5 channels, for a grey bundle
        "day/e.png": png_bytes(pixels[4]), "day/truncated.png": png_bytes(pixels[4])[:60],
        "good/f.png": png_bytes(pixels[0]), "good/g.jpg": jpeg_bytes(pixels[1]),
    }
    out = {"bundle": bundle, "day": tmp_path / "day", "good": tmp_path / "good"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        out[name] = tmp_path / name
    (tmp_path / "empty").mkdir()
    out["empty"] = tmp_path / "empty"
    return out


def _stderr_skips(err: str) -> dict[str, str]:
    """``{path: reason}`` of the ``warning: skipped PATH: REASON`` lines."""
    found = {}
    for line in err.splitlines():
        if line.startswith("warning: skipped "):
            path, _, reason = line[len("warning: skipped "):].partition(": ")
            found[path] = reason
    return found


def test_every_good_image_is_predicted_and_each_bad_one_named(images: dict[str, Path],
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    order = ["a.png", "bad.png", "b.jpg", "c.dcm", "bad.dcm", "d.nii", "volume.nii", "fivechannel.nii", "day", "empty"]
    argv = ["predict", str(images["bundle"]), *(str(images[k]) for k in order), "--json"]
    without = run_cli(argv, capsys)
    assert "empty: a folder with no image files" in one_line(without) and without.out == ""  # as before the flag

    result = run_cli([*argv, "--skip-bad"], capsys)
    assert result.code == 1, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    good = [images[k] for k in ("a.png", "b.jpg", "c.dcm", "d.nii", "day/e.png")]
    assert [r["source"] for r in rows] == [str(p) for p in good]  # in input order, a folder's good file included
    alone = run_cli(["predict", str(images["bundle"]), *map(str, good), "--json"], capsys)
    assert alone.code == 0
    for row, reference in zip(rows, map(json.loads, alone.out.splitlines())):
        assert row["probabilities"] == pytest.approx(reference["probabilities"], abs=1e-6)
        assert row["label"] == reference["label"]

    skipped = _stderr_skips(result.err)
    assert list(skipped) == [str(images[k]) for k in ("bad.png", "bad.dcm", "volume.nii", "fivechannel.nii",
                                                      "day/truncated.png", "empty")]
    assert skipped[str(images["bad.png"])].startswith("cannot decode image")
    assert skipped[str(images["bad.dcm"])].startswith("cannot decode image")
    assert "3 spatial dimensions" in skipped[str(images["volume.nii"])]
    assert "5 channels" in skipped[str(images["fivechannel.nii"])]
    assert "no image files" in skipped[str(images["empty"])]
    assert str(images["bad.png"]) not in skipped[str(images["bad.png"])]  # the path is said once
    assert "6 input(s) skipped (--skip-bad), 5 prediction(s) made; exit status 1" in result.err
    assert "Traceback" not in result.err


def test_with_nothing_bad_the_flag_changes_nothing_and_exits_0(images: dict[str, Path],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["predict", str(images["bundle"]), str(images["a.png"]), str(images["c.dcm"]), str(images["good"])]
    for extra in ([], ["--json"]):
        plain, flagged = run_cli([*argv, *extra], capsys), run_cli([*argv, *extra, "--skip-bad"], capsys)
        assert (plain.code, flagged.code) == (0, 0)
        assert flagged.out == plain.out and flagged.err == plain.err and "skipped" not in flagged.err


def test_a_table_shows_the_good_files_and_nothing_good_prints_nothing(images: dict[str, Path],
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["predict", str(images["bundle"]), str(images["a.png"]), str(images["bad.png"]), "--skip-bad"],
                     capsys)
    assert result.code == 1
    assert str(images["a.png"]) in result.out and str(images["bad.png"]) not in result.out  # stdout: the table
    assert list(_stderr_skips(result.err)) == [str(images["bad.png"])]

    nothing = run_cli(["predict", str(images["bundle"]), str(images["bad.png"]), str(images["volume.nii"]),
                       str(images["bundle"] / "missing.png"), "--skip-bad", "--json"], capsys)
    assert nothing.code == 1 and nothing.out == ""
    assert list(_stderr_skips(nothing.err)) == [str(images["bad.png"]), str(images["volume.nii"]),
                                                str(images["bundle"] / "missing.png")]
    assert "no such file" in _stderr_skips(nothing.err)[str(images["bundle"] / "missing.png")]


@pytest.fixture(scope="module")
def table_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.cli.main import main

    folder = tmp_path_factory.mktemp("skip_table")
    data = write_table(folder / "train.csv", n=120)
    try:
        main(["train", "--data", str(data), "--output", str(folder / "bundle"), "--no-progress"])
    except SystemExit as exc:
        assert not exc.code, f"training failed with exit code {exc.code}"
    return folder / "bundle"


def test_a_table_bundle_skips_the_files_it_cannot_read_or_use(table_bundle: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.csv"
    good.write_text("site,x3,x2,x1,id\nnorth,0.1,2.0,1.0,a\nsouth,0.0,-2.0,?,b\n")
    wrong_type = tmp_path / "wrong_type.csv"
    wrong_type.write_text("site,x3,x2,x1,id\nnorth,0.1,abc,1.0,a\n")
    other_layout = tmp_path / "other_layout.csv"
    other_layout.write_text("foo,bar\n1,2\n")
    later = tmp_path / "later.csv"
    later.write_text("site,x3,x2,x1,id\neast,0.3,-1.0,0.5,c\n")
    argv = ["predict", str(table_bundle), str(good), str(wrong_type), str(other_layout), str(later), "--json"]
    assert "wrong_type.csv" in one_line(run_cli(argv, capsys))  # unchanged without the flag

    result = run_cli([*argv, "--skip-bad"], capsys)
    assert result.code == 1, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["source"] for r in rows] == ["good.csv:a", "good.csv:b", "later.csv:c"]
    alone = run_cli(["predict", str(table_bundle), str(good), str(later), "--json"], capsys)
    assert [json.loads(line)["probabilities"] for line in alone.out.splitlines()] == pytest.approx(
        [r["probabilities"] for r in rows])
    skipped = _stderr_skips(result.err)
    assert list(skipped) == [str(wrong_type), str(other_layout)]
    assert "column 'x2'" in skipped[str(wrong_type)] and "missing feature column(s)" in skipped[str(other_layout)]

    explained = run_cli(["predict", str(table_bundle), str(good), str(other_layout), "--skip-bad", "--explain",
                         str(tmp_path / "ex")], capsys)
    assert explained.code == 1 and "good.csv:b: P(" in explained.out
    assert [e["source"] for e in json.loads((tmp_path / "ex" / "explanations.json").read_text())] == [
        "good.csv:a", "good.csv:b"]


def test_a_segmentation_run_leaves_the_bad_inputs_out_of_its_masks(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    seg = tiny_seg_bundle(tmp_path / "seg", "lesions-seg", dims=2, size=[32, 32], patch=[32, 32])
    rng = np.random.default_rng(1)
    good = [tmp_path / "a.png", tmp_path / "c.dcm"]
    good[0].write_bytes(png_bytes(rng.integers(0, 256, (32, 32))))
    good[1].write_bytes(dicom_bytes(rng.integers(0, 256, (32, 32))))
    bad = [tmp_path / "b.png", tmp_path / "volume.nii"]
    bad[0].write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    bad[1].write_bytes(nifti_bytes(np.zeros((32, 32, 6), np.float32)))  # 3D, for a 2D bundle
    argv = ["predict", str(seg), str(good[0]), str(bad[0]), str(good[1]), str(bad[1]), "--json"]
    stopped = one_line(run_cli([*argv, "--output", str(tmp_path / "stopped")], capsys))  # as before the flag:
    assert "b.png: cannot decode image" in stopped  # the run stops at the first bad input, without masks.json
    assert not (tmp_path / "stopped" / "masks.json").exists() and not (tmp_path / "stopped" / "c_mask.png").exists()

    out = tmp_path / "masks"
    result = run_cli([*argv, "--output", str(out), "--skip-bad"], capsys)
    assert result.code == 1, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["source"] for r in rows] == [str(p) for p in good]
    listed = json.loads((out / "masks.json").read_text())
    assert sorted(f.name for f in out.iterdir()) == ["a_mask.png", "a_overlay.png", "c_mask.nii.gz", "c_overlay.png",
                                                     "masks.json"]
    assert [r["source"] for r in listed] == [str(p) for p in good]
    skipped = _stderr_skips(result.err)
    assert list(skipped) == [str(p) for p in bad] and "3 spatial dimensions" in skipped[str(bad[1])]

    alone = run_cli(["predict", str(seg), *map(str, good), "--json"], capsys)
    assert [json.loads(line)["voxels"] for line in alone.out.splitlines()] == [r["voxels"] for r in rows]
    nothing = run_cli(["predict", str(seg), *map(str, bad), "--skip-bad", "--output", str(tmp_path / "none")], capsys)
    assert nothing.code == 1 and nothing.out == "" and not (tmp_path / "none").exists()


def test_text_and_series_bundles_refuse_the_flag() -> None:
    """They read every file in one pass (rows and stays named across files): no input to skip alone."""
    from meddx.cli.predict_flags import check_predict_options  # predict's one table of options per bundle kind

    for modality in ("text", "series"):
        with pytest.raises(ConfigError, match=f"--skip-bad: .*{modality} bundle 'notes'"):
            check_predict_options({"skip_bad": True}, SimpleNamespace(
                name="notes", task="binary", spatial_dims=2, config={"modality": modality}), "notes")
    for config in ({"modality": "tabular"}, {}):  # tables and images take it
        check_predict_options({"skip_bad": True}, SimpleNamespace(name="t", task="binary", spatial_dims=2,
                                                                  config=config), "t")
