"""Options a bundle's (or a source's) kind never reads, through the real CLI.

``meddx predict``: an image classifier printed its usual table with ``--pixel-size 0.5 --no-overlays
--attribution occlusion --text-column note --encoding latin-1``; a table bundle with ``--pixel-size``,
``--no-overlays``, ``--text-column``, ``--encoding`` and ``-o``; a text bundle with ``--pixel-size``,
``-o`` and ``--no-overlays``. Each is now one ``meddx: error:`` line naming every such option, the
kinds it applies to and the bundle's kind, before any input is read or folder made.

``meddx cv``: a table cv given ``--encoding`` (or a YAML ``tokenizer: bpe``) was refused only by fold
0's training, after ``--out`` was made (an empty folder was left); ``--epochs`` on the default
scikit-learn model got its note only in each fold run's data.json, never on screen.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bundle_helpers import tiny_image_bundle, tiny_seg_bundle
from cli_helpers import one_line, run_cli

from tests.integration.test_tabular_cli import write_table
from tests.unit.cli.test_smallfix_text_bundle_image import _text_bundle
from tests.unit.serving.serving_samples import png_bytes

ROWS = "site,x3,x2,x1,id\nnorth,0.1,2.0,1.0,a\nsouth,0.0,-2.0,?,b\n"


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A trained table bundle (logreg, the default) and its training CSV."""
    from meddx.cli.main import main

    folder = tmp_path_factory.mktemp("predictflags_table")
    data = write_table(folder / "train.csv", n=120, split=False)
    try:
        main(["train", "--data", str(data), "--output", str(folder / "bundle"), "--no-progress"])
    except SystemExit as exc:
        assert not exc.code, f"training failed with exit code {exc.code}"
    return {"bundle": folder / "bundle", "data": data}


def test_an_image_classifier_refuses_the_five_options_it_printed_a_table_with(tmp_path: Path, capsys) -> None:
    bundle = tiny_image_bundle(tmp_path / "cxr", label_names=["normal", "lesion"], decision={"threshold": 0.5},
                               training={})
    image = tmp_path / "a.png"
    image.write_bytes(png_bytes(np.random.default_rng(0).integers(0, 256, (28, 28)).astype(np.uint8)))
    plain = run_cli(["predict", str(bundle), str(image), "--json"], capsys)  # guard: defaults are never refused
    assert plain.code == 0 and json.loads(plain.out)["source"].endswith("a.png"), plain.err
    result = run_cli(["predict", str(bundle), str(image), "--pixel-size", "0.5", "--no-overlays", "--attribution",
                      "occlusion", "--text-column", "note", "--encoding", "latin-1"], capsys)
    line = one_line(result)
    assert result.out == ""
    for part in ("--text-column: applies to text bundles", "--encoding: applies to text bundles",
                 "--attribution: applies to text, series and table bundles",
                 "--pixel-size: applies to segmentation bundles", "--no-overlays: applies to segmentation bundles",
                 "2D image classifier bundle 'cxr' reads images and does not read these options: leave them out",
                 f"meddx explain {bundle} FILE..."):
        assert part in line, line


def test_a_table_bundle_refuses_them_before_making_the_output_folder(table: dict[str, Path], tmp_path: Path,
                                                                      capsys) -> None:
    rows = tmp_path / "rows.csv"
    rows.write_text(ROWS)
    argv = ["predict", str(table["bundle"]), str(rows)]
    assert run_cli([*argv, "--json"], capsys).code == 0  # guard: the same call without them predicts
    result = run_cli([*argv, "--pixel-size", "0.5", "--no-overlays", "--text-column", "note", "--encoding", "latin-1",
                      "-o", str(tmp_path / "out")], capsys)
    line = one_line(result)
    assert line.startswith("meddx: error: --text-column: applies to text bundles; --encoding: applies to text "
                           "bundles; --output: applies to segmentation bundles; --pixel-size: applies to "
                           "segmentation bundles; --no-overlays: applies to segmentation bundles; table bundle "), line
    assert line.endswith("reads table rows (CSV files) and does not read these options: leave them out"), line
    assert not (tmp_path / "out").exists()
    line = one_line(run_cli([*argv, "--attribution", "occlusion"], capsys))  # only --explain reads it
    assert "--attribution: chooses the method of --explain DIR's attributions for table bundles" in line, line


def test_a_text_bundle_refuses_what_only_segmentation_reads(tmp_path: Path, capsys) -> None:
    bundle = _text_bundle(tmp_path / "t")
    argv = ["predict", str(bundle), "--text", "chest pain and fever"]
    assert run_cli([*argv, "--json"], capsys).code == 0  # guard
    line = one_line(run_cli([*argv, "--pixel-size", "1", "-o", str(tmp_path / "out"), "--no-overlays"], capsys))
    assert ("--output: applies to segmentation bundles; --pixel-size: applies to segmentation bundles; "
            "--no-overlays: applies to segmentation bundles; text bundle 't' reads documents and does not read "
            "these options: leave them out") in line, line
    assert not (tmp_path / "out").exists()


def test_a_segmentation_bundle_refuses_text_options_and_keeps_its_own(tmp_path: Path, capsys) -> None:
    seg = tiny_seg_bundle(tmp_path / "seg", "lesions-seg", dims=2, size=[32, 32], patch=[32, 32])
    image = tmp_path / "a.png"
    image.write_bytes(png_bytes(np.random.default_rng(1).integers(0, 256, (32, 32)).astype(np.uint8)))
    argv = ["predict", str(seg), str(image)]
    line = one_line(run_cli([*argv, "--explain", str(tmp_path / "ex"), "--encoding", "latin-1"], capsys))
    assert "--encoding: applies to text bundles" in line and "--explain: applies to text, series and table" in line
    assert "segmentation bundle 'lesions-seg' reads images or volumes" in line, line
    kept = run_cli([*argv, "--pixel-size", "0.5", "--no-overlays", "-o", str(tmp_path / "masks"), "--json"], capsys)
    assert kept.code == 0, kept.err  # guard: segmentation reads all three
    assert (tmp_path / "masks" / "a_mask.png").exists() and not (tmp_path / "masks" / "a_overlay.png").exists()


def test_cv_refuses_an_option_the_table_never_reads_before_making_its_folder(table: dict[str, Path], tmp_path: Path,
                                                                            capsys) -> None:
    out = tmp_path / "cv"
    line = one_line(run_cli(["cv", "--data", str(table["data"]), "--folds", "2", "--encoding", "latin-1",
                             "--out", str(out)], capsys))
    assert "--encoding: applies to text sources" in line and "is a table source" in line, line
    assert not out.exists()
    yaml = tmp_path / "cfg.yaml"
    yaml.write_text(f"data: {table['data']}\ntokenizer: bpe\n")
    line = one_line(run_cli(["cv", str(yaml), "--folds", "2", "--out", str(out)], capsys))
    assert "tokenizer: applies to text sources" in line, line
    assert not out.exists()


def test_cv_says_once_that_a_scikit_learn_model_ignores_epochs(table: dict[str, Path], tmp_path: Path,
                                                              capsys) -> None:
    result = run_cli(["cv", "--data", str(table["data"]), "--folds", "2", "--epochs", "3", "--out",
                      str(tmp_path / "cv")], capsys)
    assert result.code == 0, result.err
    note = ("note: --epochs ignored: logreg is fitted by scikit-learn, in one process, without epochs, batches or a "
            "learning rate")
    assert result.err.count(note) == 1, result.err
    assert note not in result.out
