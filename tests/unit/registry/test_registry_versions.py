"""Registry version numbers are never reused after a removal, and an unknown name gets close matches.

Found by an audit: ``next_version`` was ``MAX(version) + 1`` over the registered rows, so removing the
latest version (say a stale ``xray`` v2 whose folder was deleted) gave the next ``xray`` bundle the
number 2 again: ``xray:2`` in the stage history, the serving audit log and a paper's methods then
named two different models. And ``registry show xrya`` listed every name without pointing at ``xray``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.core.errors import BundleError
from meddx.registry.store import get_bundle, next_version, promote, register_bundle, remove_bundle, stage_history


def _bundle(path: Path, name: str) -> Path:
    """A minimal folder ``register_bundle`` accepts (config and files; weights are never read)."""
    path.mkdir(parents=True)
    config = {"format": "meddx-bundle/1", "name": name, "task": "binary", "label_names": ["a", "b"],
              "model": {"name": "seed-cnn", "args": {}, "num_classes": 2}, "preprocessing": {}}
    (path / "config.json").write_text(json.dumps(config))
    (path / "metrics.json").write_text("{}")
    for f in ("weights.safetensors", "model_card.md", "meddx_version"):
        (path / f).write_text("x")
    return path


def test_a_removed_version_number_is_not_given_to_the_next_bundle(meddx_home: Path, tmp_path: Path) -> None:
    register_bundle(_bundle(tmp_path / "one", "xray"))
    two = register_bundle(_bundle(tmp_path / "two", "xray"))
    promote("xray", 2)
    remove_bundle("xray", 2)
    assert next_version("xray") == 3
    assert register_bundle(_bundle(tmp_path / "three", "xray")).version == 3
    assert [(e["action"], e["version"]) for e in stage_history("xray")] == [("promote", 2), ("remove", 2)]
    with pytest.raises(BundleError, match="xray:2 was removed from the registry .* never reused"):
        register_bundle(_bundle(tmp_path / "four", "xray"), version=2)
    assert register_bundle(two.path, version=2).version == 2  # the same folder may come back under its number


def test_an_unknown_name_suggests_the_close_ones(meddx_home: Path, tmp_path: Path) -> None:
    for name in ("xray", "derm-lesions", "chest-ct"):
        register_bundle(_bundle(tmp_path / name, name))
    with pytest.raises(BundleError, match=r"no registered bundle 'xrya'; did you mean 'xray'\?"):
        get_bundle("xrya")
    with pytest.raises(BundleError, match=r"did you mean 'derm-lesions'\?"):
        get_bundle("Derm-Lesion")
    with pytest.raises(BundleError, match="registered: chest-ct, derm-lesions, xray"):
        get_bundle("pathology")
