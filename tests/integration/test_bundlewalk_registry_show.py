"""``meddx registry show PATH`` for a bundle copied from another machine and not registered here said
"no registered bundle 'PATH'; ... (see `meddx registry list`, or pass a bundle folder path)": a bundle
folder path was what the user had passed. It now says the folder is a bundle the registry does not
know and gives the ``registry add`` command; registered folders, names and versions show as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_helpers import one_line, run_cli

from meddx.registry.store import register_bundle
from tests.unit.registry.test_stale_entries import _bundle


def test_show_of_an_unregistered_bundle_folder_says_to_add_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    registered = _bundle(tmp_path / "home-a" / "xray" / "v1", "xray")
    register_bundle(registered)
    copied = shutil.copytree(registered, tmp_path / "from-site-b" / "xray-v1")
    monkeypatch.chdir(tmp_path)

    line = one_line(run_cli(["registry", "show", "from-site-b/xray-v1"], capsys))
    assert "from-site-b/xray-v1: a bundle folder that is not registered" in line
    assert "meddx registry add from-site-b/xray-v1" in line and "pass a bundle folder path" not in line

    for ref in ("xray", "xray:1", str(registered)):  # unchanged: names, versions and a registered folder
        shown = run_cli(["registry", "show", ref], capsys)
        assert shown.code == 0, shown.err
        assert json.loads(shown.out)["record"]["path"] == str(registered.resolve())

    assert run_cli(["registry", "add", str(copied)], capsys).code == 0
    shown = run_cli(["registry", "show", "from-site-b/xray-v1"], capsys)
    assert shown.code == 0 and json.loads(shown.out)["record"]["version"] == 2
