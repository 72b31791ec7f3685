"""A registered bundle folder whose content was replaced by another bundle (``rm -r v1 && cp -r
incoming/ v1``) went on answering to the old name: ``predict xray:1`` ran the other model while
``registry list``/``show`` named the one registered. Resolving the name now refuses, in one line,
naming both and the commands that index the folder anew; the folder's own path still predicts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import one_line, run_cli
from PIL import Image

from meddx.bundle.bundle import load_bundle
from meddx.core.errors import BundleError
from meddx.registry.store import register_bundle
from tests.unit.registry.test_stale_entries import _bundle


def test_a_folder_now_holding_another_bundle_is_not_run_under_the_registered_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _bundle(tmp_path / "bundles" / "xray" / "v1", "xray")
    register_bundle(folder)
    png = tmp_path / "chest.png"
    Image.fromarray(np.full((28, 28), 90, np.uint8)).save(png)
    assert run_cli(["predict", "xray:1", str(png), "--json"], capsys).code == 0

    other = _bundle(tmp_path / "incoming" / "ct", "ct")
    shutil.rmtree(folder)
    shutil.copytree(other, folder)

    for argv in (["predict", "xray:1", str(png)], ["predict", "xray", str(png)], ["registry", "show", "xray"],
                 ["registry", "promote", "xray:1"]):
        line = one_line(run_cli(argv, capsys))
        assert f"xray v1 is registered at {folder.resolve()}" in line and "now holds another bundle" in line, argv
        assert "'ct'" in line and "meddx registry remove xray --version 1" in line
    with pytest.raises(BundleError, match="now holds another bundle"):
        load_bundle("xray")
    listed = run_cli(["registry", "list"], capsys)
    assert listed.code == 0 and "(now holds another bundle)" in listed.out
    assert "xray v1: its folder now holds another bundle" in listed.out
    listed = run_cli(["registry", "list", "--json"], capsys)
    assert json.loads(listed.out)[0]["folder_replaced"] is True

    assert run_cli(["predict", str(folder), str(png)], capsys).code == 0  # a path means that folder, as it is
    assert run_cli(["registry", "remove", "xray", "--version", "1"], capsys).code == 0
    added = run_cli(["registry", "add", str(folder)], capsys)
    assert added.code == 0 and "registered as ct:1" in added.out
