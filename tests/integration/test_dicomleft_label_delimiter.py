"""``--label-delimiter`` with an image folder or a ``.npz`` source was ignored without a word: they have no label
cells to split, so the source stays single-label. A note on stderr now says so. A multi-label bundle records its
delimiter (``training.text_options.label_delimiter``) and passes it back when evaluated: that stays silent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli

from meddx.data.synthetic import make_findings_source, make_lesion_source, write_image_folder

IGNORED = "--label-delimiter '|' ignored"


def _npz(path: Path, task: str) -> Path:
    """A MedMNIST-style .npz: ``multilabel`` (two findings a row) or single-label (``multiclass``)."""
    source = make_findings_source(task, n_train=24, n_val=8, n_test=8, size=28, seed=3)
    arrays = {}
    for split, data in source.splits.items():
        arrays[f"{split}_images"] = data.images[:, 0]  # type: ignore[index]
        labels = np.asarray(data.labels)
        arrays[f"{split}_labels"] = labels if labels.ndim == 2 else labels.reshape(-1, 1)
    np.savez(path, **arrays)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_image_folder(make_lesion_source(12, 4, 4, size=28, seed=6, contrast=2.0),
                              tmp_path_factory.mktemp("dl") / "f")


def test_a_folder_says_the_delimiter_is_ignored(folder: Path, capsys) -> None:
    result = run_cli(["data", "info", str(folder), "--label-delimiter", "|"], capsys)
    assert result.code == 0, result.err
    notes = [line for line in result.err.splitlines() if IGNORED in line]
    assert len(notes) == 1, result.err
    assert "an image folder has no label cells to split (its labels are class folders), so it is read " \
        "single-label (binary)" in notes[0]
    assert IGNORED not in result.out  # a note: stderr only
    assert IGNORED not in run_cli(["data", "info", str(folder)], capsys).err  # not given: nothing said


def test_a_single_label_npz_says_the_delimiter_is_ignored(tmp_path: Path, capsys) -> None:
    from meddx.data.sources import load_source

    npz = _npz(tmp_path / "single.npz", "multiclass")
    result = run_cli(["data", "info", str(npz), "--label-delimiter", "|"], capsys)
    assert result.code == 0, result.err
    assert "--label-delimiter '|' ignored: a .npz file has no label cells to split (its labels are arrays), so it " \
        "is read single-label (multiclass)" in result.err
    source = load_source(npz, carve_val=False, text_options={"label_delimiter": ";"})
    assert any(n.startswith("--label-delimiter ';' ignored: a .npz file") for n in source.notes)


def test_a_multi_label_npz_bundle_passes_its_delimiter_back_silently(tmp_path: Path, meddx_home: Path,
                                                                     capsys) -> None:
    npz = _npz(tmp_path / "multi.npz", "multilabel")
    result = run_cli(["train", "--data", str(npz), "--model", "seed-cnn", "--epochs", "1", "--name", "multi",
                      "--no-progress"], capsys)
    assert result.code == 0, result.err
    config = json.loads((meddx_home / "bundles" / "multi" / "v1" / "config.json").read_text())
    assert config["training"]["text_options"] == {"label_delimiter": "|"}  # recorded, so evaluate passes it back
    result = run_cli(["evaluate", "multi", "--data", str(npz), "--json"], capsys)
    assert result.code == 0, result.err
    assert json.loads(result.out)["task"] == "multilabel"
    assert "label-delimiter" not in result.err, result.err
