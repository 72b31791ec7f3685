"""The SQLite registry: versions per name, resolution of NAME[:VERSION], clear misses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.registry.store import get_bundle, list_bundles, register_bundle, resolve_bundle_path
from meddx.transforms.image import ImagePreprocessor


def _bundle(path: Path, name: str) -> Path:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": name, "task": "binary", "label_names": ["a", "b"], "preprocessing": pre.to_dict(),
              "model": {"name": "seed-cnn", "args": {}, "num_classes": 2}, "training": {"data": "synthetic"}}
    metrics = {"val": {"auc": 0.8, "accuracy": 0.7}, "test": {"auc": 0.75, "accuracy": None}}
    return save_bundle(path, net=create_model("seed-cnn"), config=config, metrics=metrics, model_card="")


def test_versions_and_resolution(tmp_path: Path, meddx_home: Path) -> None:
    first = register_bundle(_bundle(tmp_path / "one", "xray"))
    second = register_bundle(_bundle(tmp_path / "two", "xray"))
    register_bundle(_bundle(tmp_path / "three", "ct"))
    assert (first.version, second.version) == (1, 2)
    assert [(r.name, r.version) for r in list_bundles()] == [("ct", 1), ("xray", 2), ("xray", 1)]
    assert get_bundle("xray").path == str((tmp_path / "two").resolve())
    assert get_bundle("xray:1").path == str((tmp_path / "one").resolve())
    assert second.metrics == {"val_auc": 0.8, "val_accuracy": 0.7, "test_auc": 0.75}
    assert resolve_bundle_path("xray:1") == (tmp_path / "one").resolve()
    assert resolve_bundle_path(tmp_path / "three") == tmp_path / "three"
    assert (meddx_home / "registry.db").is_file()


def test_unknown_names_list_what_is_registered(tmp_path: Path) -> None:
    register_bundle(_bundle(tmp_path / "one", "xray"))
    with pytest.raises(BundleError, match="xray"):
        get_bundle("mri")
    with pytest.raises(BundleError, match="no such bundle folder"):
        resolve_bundle_path("./missing/bundle")


def test_a_data_folder_named_like_a_bundle_means_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`meddx predict img ...` run beside a data folder called `img`: the folder is not a bundle
    (no config.json), so the registered bundle `img` is meant; a real bundle folder still wins."""
    record = register_bundle(_bundle(tmp_path / "bundles" / "img", "img"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "img" / "train").mkdir(parents=True)  # a data folder, same name
    assert resolve_bundle_path("img") == Path(record.path)
    (tmp_path / "other").mkdir()  # not a bundle, not registered: left to the bundle loader's error
    assert resolve_bundle_path("other") == Path("other")
    local = _bundle(tmp_path / "local", "img")  # a bundle folder given by its own name
    monkeypatch.chdir(local.parent)
    assert resolve_bundle_path("local") == Path("local")


def test_load_bundle_resolves_a_name_beside_a_data_folder_as_the_cli_does(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python API took the data folder `img` for the bundle and failed ("incomplete bundle"),
    where `meddx predict img ...` loads the registered `img`; a bundle folder given by name still wins."""
    register_bundle(_bundle(tmp_path / "bundles" / "img", "img"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "img" / "train").mkdir(parents=True)
    assert load_bundle("img").config["name"] == "img"
    _bundle(tmp_path / "local", "other-name")
    assert load_bundle("local").config["name"] == "other-name"
    with pytest.raises(BundleError, match="incomplete bundle"):  # not a bundle, not registered: named as before
        (tmp_path / "notes").mkdir()
        load_bundle("notes")


def test_an_empty_name_or_an_unknown_version_never_picks_some_bundle(tmp_path: Path) -> None:
    """Found by an outside-in audit: ``meddx predict "" ...`` (an unset $MODEL) or ``:1`` used whichever
    bundle the registry listed first."""
    register_bundle(_bundle(tmp_path / "one", "xray"))
    for ref in ("", ":1", " "):
        with pytest.raises(BundleError, match="no name|empty bundle reference"):
            resolve_bundle_path(ref)
    with pytest.raises(BundleError, match="no registered bundle .xray:9.: xray has no version 9; versions: 1"):
        get_bundle("xray:9")
