"""Registry stages: promote, roll back to the previous promotion, history kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from meddx.core.errors import BundleError
from meddx.registry import store
from tests.unit.serving.serving_samples import tiny_bundle


@pytest.fixture
def three_versions(tmp_path: Path) -> str:
    first = tiny_bundle(tmp_path / "v1")
    for v in (1, 2, 3):
        folder = first if v == 1 else Path(shutil.copytree(first, tmp_path / f"v{v}"))
        store.register_bundle(folder)
    return "unit"


def test_promote_and_rollback_walk_the_history(three_versions: str) -> None:
    name = three_versions
    assert store.production_version(name) is None
    assert store.promote(name, 1) == 1
    assert store.promote(name, 3) == 3
    assert store.promote(name, 3) == 3  # no-op: already there
    assert store.promote(name, 2) == 2
    assert store.production_version(name) == 2
    assert store.rollback(name) == 3
    assert store.rollback(name) == 1
    with pytest.raises(BundleError, match="only v1 was promoted"):
        store.rollback(name)
    assert store.production_version(name) == 1
    actions = [(h["action"], h["version"]) for h in store.stage_history(name)]
    assert actions == [("promote", 1), ("promote", 3), ("promote", 2), ("rollback", 3), ("rollback", 1)]
    assert store.stages() == {(name, "production"): 1}


def test_stages_are_independent_and_checked(three_versions: str) -> None:
    name = three_versions
    store.promote(name, 2, stage="staging")
    assert store.stage_version(name, "staging") == 2 and store.production_version(name) is None
    with pytest.raises(BundleError, match="no registered bundle"):
        store.promote(name, 9)
    with pytest.raises(BundleError, match="stage"):
        store.promote(name, 1, stage="Prod; DROP TABLE")
    with pytest.raises(BundleError, match="nothing was promoted"):
        store.rollback(name)
    assert [r.version for r in store.list_bundles(name)] == [3, 2, 1]  # existing behaviour kept


def test_promoting_a_folder_that_gained_a_pickle_is_refused(three_versions: str) -> None:
    folder = Path(store.get_bundle("unit:2").path)
    (folder / "extra.pkl").write_bytes(b"\x80\x04\x95")
    with pytest.raises(BundleError, match="extra.pkl"):
        store.promote("unit", 2)
    assert store.production_version("unit") is None


def test_a_bare_name_means_the_production_version(three_versions: str, tmp_path: Path) -> None:
    """Found by an audit: after promote 1, promote 2, rollback, ``meddx serve`` served v1 while
    ``meddx predict NAME`` and ``registry show NAME`` used v3 (the latest), a version never promoted."""
    name = three_versions
    assert store.get_bundle(name).version == 3  # nothing promoted: the latest
    store.promote(name, 1)
    store.promote(name, 2)
    store.rollback(name)
    assert store.get_bundle(name).version == 1
    assert store.resolve_bundle_path(name) == Path(store.get_bundle(f"{name}:1").path)
    assert store.get_bundle(f"{name}:3").version == 3  # an explicit version is still any version
    store.promote(name, 2, stage="staging")  # another stage does not change what the name means
    assert store.get_bundle(name).version == 1
