"""``--label-delimiter`` declares an image CSV manifest multi-label, as it declares a document file: a manifest
whose rows all hold one label was read single-label (softmax, one class per image) with no way to say otherwise.
Declared, it trains a multi-label (sigmoid) bundle that evaluate reads back as trained; undeclared it stays
single-label. And ``meddx cv`` takes the flag too (before, only from a config file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli

from meddx.core.errors import DataError
from meddx.data.manifest import load_manifest
from meddx.data.sources import load_source
from meddx.data.synthetic import make_lesion_source, write_manifest


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``path,label,split`` rows of easy synthetic lesions, one label (lesion or normal) per row."""
    return write_manifest(make_lesion_source(32, 12, 12, size=28, seed=4, contrast=2.0),
                          tmp_path_factory.mktemp("single_label") / "m")


def test_a_declared_manifest_is_read_multi_label_and_an_undeclared_one_single_label(manifest: Path) -> None:
    plain = load_source(manifest, carve_val=False)
    assert plain.task == "binary" and np.asarray(plain.split("train").labels).ndim == 1
    declared = load_source(manifest, carve_val=False, text_options={"label_delimiter": "|"})
    assert declared.task == "multilabel" and sorted(declared.label_names) == ["lesion", "normal"]
    labels = np.asarray(declared.split("train").labels)
    assert labels.shape == (32, 2) and (labels.sum(axis=1) == 1).all()  # one label per row, as written
    expected = [declared.label_names.index(plain.label_names[int(i)]) for i in plain.split("train").labels]
    assert labels.argmax(axis=1).tolist() == expected


def test_the_declared_delimiter_splits_the_cells(tmp_path: Path, manifest: Path) -> None:
    rows = ["path,label", *(f"{p.relative_to(manifest.parent).as_posix()},{label}" for p, label in zip(
        sorted((manifest.parent / "images").glob("*.png"))[:4], ["a;b", "a", "b", ""]))]
    (manifest.parent / "semi.csv").write_text("\n".join(rows) + "\n")
    source = load_source(manifest.parent / "semi.csv", carve_val=False, text_options={"label_delimiter": ";"})
    assert source.task == "multilabel" and source.label_names == ["a", "b"]
    assert np.asarray(source.split("train").labels).tolist() == [[1, 1], [1, 0], [0, 1], [0, 0]]
    with pytest.raises(DataError, match="label_delimiter '': expected the character"):
        load_manifest(manifest.parent / "semi.csv", label_delimiter="")


def test_a_declared_manifest_trains_a_multi_label_bundle(manifest: Path, meddx_home: Path, capsys) -> None:
    result = run_cli(["train", "--data", str(manifest), "--label-delimiter", "|", "--model", "seed-cnn", "--epochs",
                      "1", "--name", "declared", "--no-progress", "--seed", "1"], capsys)
    assert result.code == 0, result.err
    bundle = meddx_home / "bundles" / "declared" / "v1"
    config = json.loads((bundle / "config.json").read_text())
    assert config["task"] == "multilabel" and sorted(config["label_names"]) == ["lesion", "normal"]
    image = next((manifest.parent / "images").glob("test-*.png"))
    pred = json.loads(run_cli(["predict", "declared", str(image), "--json"], capsys).out)
    assert isinstance(pred["label"], list) and set(pred["probabilities"]) == {"lesion", "normal"}
    # evaluate reads the manifest back as training declared it, without the flag given again
    result = run_cli(["evaluate", "declared", "--data", str(manifest), "--json"], capsys)
    assert result.code == 0, result.err
    assert json.loads(result.out)["task"] == "multilabel"


def test_cv_takes_the_label_delimiter_flag(manifest: Path, meddx_home: Path, tmp_path: Path, few_resamples: Path,
                                           capsys) -> None:
    out = tmp_path / "cv"
    result = run_cli(["cv", str(few_resamples), "--data", str(manifest), "--label-delimiter", "|", "--model",
                      "seed-cnn", "--epochs", "1", "--folds", "2", "--out", str(out)], capsys)
    assert result.code == 0, result.err
    summary = json.loads((out / "cv.json").read_text())
    assert summary["task"] == "multilabel" and len(summary["folds"]) == 2
    assert json.loads((out / "cv_plan.json").read_text())["config"]["label_delimiter"] == "|"


def test_every_multi_label_image_bundle_records_how_its_manifests_are_read(manifest: Path) -> None:
    """A bundle trained on a manifest with ``a|b`` cells (multi-label without a declaration) records ``|`` too,
    so a test manifest whose rows all hold one label is read multi-label at evaluation, not refused as binary;
    single-label and document sources record nothing here."""
    from meddx.training.config import TrainConfig
    from meddx.training.finish import declared_multilabel

    multi = load_source(manifest, carve_val=False, text_options={"label_delimiter": "|"})
    single = load_source(manifest, carve_val=False)
    assert declared_multilabel(TrainConfig(data=str(manifest)), multi) == {"text_options": {"label_delimiter": "|"}}
    assert declared_multilabel(TrainConfig(data=str(manifest), label_delimiter=";"), multi) == {
        "text_options": {"label_delimiter": ";"}}
    assert declared_multilabel(TrainConfig(data=str(manifest)), single) == {}
