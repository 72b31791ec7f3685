"""A bundle loaded or promoted by its registry name reads its ``config.json`` once.

Found by reading the path of ``load_bundle("xray")``: the registry's check that the folder still holds the
registered bundle (``same_bundle``) read and parsed ``config.json``, then loading read and parsed it
again (``read_bundle_config``); ``promote`` did the same. Two reads are two chances for the folder to
change between them (the check passes on one file, the predictor loads another). Now the row travels to
``read_bundle_config(registered=)`` and the check runs on the config as loading read it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from meddx.bundle.bundle import load_bundle
from meddx.core.errors import BundleError
from meddx.registry.store import promote, register_bundle
from tests.unit.registry.test_stale_entries import _bundle


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every read of a file named ``config.json`` (text or bytes), in order."""
    seen: list[Path] = []
    text, data = Path.read_text, Path.read_bytes

    def read_text(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.name == "config.json":
            seen.append(self)
        return text(self, *args, **kwargs)

    def read_bytes(self: Path):  # type: ignore[no-untyped-def]
        if self.name == "config.json":
            seen.append(self)
        return data(self)

    monkeypatch.setattr(Path, "read_text", read_text)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return seen


@pytest.mark.parametrize("ref", ["xray", "xray:1"])
def test_loading_by_name_reads_the_config_once(tmp_path: Path, reads: list[Path], ref: str) -> None:
    register_bundle(_bundle(tmp_path / "bundles" / "xray" / "v1", "xray"))
    reads.clear()
    assert load_bundle(ref).config["name"] == "xray"
    assert len(reads) == 1, reads


def test_promoting_reads_the_config_once(tmp_path: Path, reads: list[Path]) -> None:
    register_bundle(_bundle(tmp_path / "bundles" / "xray" / "v1", "xray"))
    reads.clear()
    assert promote("xray", 1) == 1
    assert len(reads) == 1, reads


def test_the_one_read_still_refuses_a_replaced_folder(tmp_path: Path) -> None:
    # guard: the check that read the file before runs on the config loading read
    folder = register_bundle(_bundle(tmp_path / "bundles" / "xray" / "v1", "xray")).path
    other = _bundle(tmp_path / "incoming" / "ct", "ct")
    shutil.rmtree(folder)
    shutil.copytree(other, folder)
    for action in (lambda: load_bundle("xray"), lambda: promote("xray", 1)):
        with pytest.raises(BundleError, match="xray v1 is registered at .* now holds another bundle"):
            action()
    assert load_bundle(folder).config["name"] == "ct"  # by its path it is the bundle it holds
