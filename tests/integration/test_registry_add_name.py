"""``meddx registry add FOLDER --name NAME`` files a bundle received from another site under the
team's own name (``pneumonia`` as ``pneumonia-siteB``) without touching the folder; ``registry
list/show``, ``predict NAME`` and ``serve`` resolve that name to the folder. One folder is one
registry entry: adding it under a second name is refused in one line naming both."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import one_line, run_cli, snapshot
from PIL import Image

from meddx.core.errors import BundleError, ConfigError
from meddx.registry.adding import add_bundle
from meddx.registry.store import get_bundle, list_bundles
from tests.unit.registry.test_stale_entries import _bundle


@pytest.fixture
def received(tmp_path: Path) -> Path:
    """A bundle folder copied from another site, its config naming it ``pneumonia``."""
    return _bundle(tmp_path / "incoming" / "pneumonia", "pneumonia")


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "chest.png"
    Image.fromarray(np.full((28, 28), 90, np.uint8)).save(path)
    return path


def test_add_name_files_the_folder_under_that_name_and_every_command_resolves_it(
        received: Path, png: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(received)
    added = run_cli(["registry", "add", str(received), "--name", "pneumonia-siteB"], capsys)
    assert added.code == 0, added.err
    assert added.out.strip() == (f"registered as pneumonia-siteB:1 ({received.resolve()}; its config.json names "
                                 "it 'pneumonia')")
    assert snapshot(received) == before  # the folder is not rewritten
    assert [(r.name, r.version, r.config_name) for r in list_bundles()] == [("pneumonia-siteB", 1, "pneumonia")]

    listed = run_cli(["registry", "list", "--json"], capsys)
    row = json.loads(listed.out)[0]
    assert (row["name"], row["config_name"], row["folder_replaced"]) == ("pneumonia-siteB", "pneumonia", False)
    table = run_cli(["registry", "list"], capsys)
    assert "pneumonia-siteB" in table.out and "now holds another bundle" not in table.out
    shown = json.loads(run_cli(["registry", "show", "pneumonia-siteB"], capsys).out)
    assert shown["record"]["path"] == str(received.resolve()) and shown["config"]["name"] == "pneumonia"

    by_name = run_cli(["predict", "pneumonia-siteB:1", str(png), "--json"], capsys)
    by_path = run_cli(["predict", str(received), str(png), "--json"], capsys)
    assert by_name.code == 0 and by_name.out == by_path.out and by_name.out.strip()
    assert "did you mean 'pneumonia-siteB'" in one_line(run_cli(["predict", "pneumonia", str(png)], capsys))


def test_a_folder_is_filed_under_one_name_only(received: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["registry", "add", str(received), "--name", "pneumonia-siteB"], capsys).code == 0
    line = one_line(run_cli(["registry", "add", str(received), "--name", "chest-b"], capsys))
    assert f"{received.resolve()} is already registered as pneumonia-siteB:1, not as chest-b" in line
    assert "meddx registry remove pneumonia-siteB --version 1" in line
    for argv in (["registry", "add", str(received), "--name", "pneumonia-siteB"], ["registry", "add", str(received)]):
        again = run_cli(argv, capsys)  # the name it has, or none: named, not added twice
        assert again.code == 0 and again.out.strip() == f"{received.resolve()} is already registered as pneumonia-siteB:1"
    assert [(r.name, r.version) for r in list_bundles()] == [("pneumonia-siteB", 1)]

    # a folder registered under its own name is not filed under a second one either
    other = _bundle(received.parent / "xray", "xray")
    assert run_cli(["registry", "add", str(other)], capsys).code == 0
    assert "already registered as xray:1, not as xray-b" in one_line(
        run_cli(["registry", "add", str(other), "--name", "xray-b"], capsys))


def test_names_are_checked_as_train_checks_them_and_versions_count_per_name(
        received: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("../x", "a:2", "-lead", "two words", ""):
        line = one_line(run_cli(["registry", "add", str(received), "--name", bad], capsys))
        assert f"name {bad!r}: use letters, digits" in line, line
    with pytest.raises(ConfigError, match="use letters, digits"):
        add_bundle(received, name="a/b")
    assert list_bundles() == []

    record, added = add_bundle(received, name="pneumonia-siteB")  # the Python API the command uses
    assert added and (record.name, record.version, record.config_name) == ("pneumonia-siteB", 1, "pneumonia")
    update = _bundle(tmp_path / "incoming-2" / "pneumonia", "pneumonia")
    assert run_cli(["registry", "add", str(update), "--name", "pneumonia-siteB"], capsys).out.startswith(
        "registered as pneumonia-siteB:2 (")
    own = _bundle(tmp_path / "ours" / "pneumonia", "pneumonia")
    assert run_cli(["registry", "add", str(own)], capsys).out.startswith("registered as pneumonia:1 (")
    assert run_cli(["registry", "add", str(_bundle(tmp_path / "same" / "xray", "xray")), "--name", "xray"],
                   capsys).out.startswith("registered as xray:1 (")  # its own name: nothing to remember
    assert {(r.name, r.version): r.config_name for r in list_bundles()} == {
        ("pneumonia-siteB", 2): "pneumonia", ("pneumonia-siteB", 1): "pneumonia", ("pneumonia", 1): None,
        ("xray", 1): None}


def test_a_renamed_entry_whose_folder_now_holds_another_bundle_is_still_refused(
        received: Path, tmp_path: Path, png: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_bundle(received, name="pneumonia-siteB")
    assert get_bundle("pneumonia-siteB").path == str(received.resolve())
    shutil.rmtree(received)
    shutil.copytree(_bundle(tmp_path / "other" / "ct", "ct"), received)
    line = one_line(run_cli(["predict", "pneumonia-siteB", str(png)], capsys))
    assert "now holds another bundle" in line and "'ct'" in line
    assert f"meddx registry add {received.resolve()} --name pneumonia-siteB" in line
    with pytest.raises(BundleError, match="now holds another bundle"):
        get_bundle("pneumonia-siteB:1")
    assert json.loads(run_cli(["registry", "list", "--json"], capsys).out)[0]["folder_replaced"] is True


def test_serve_answers_to_the_filed_name(received: Path, tmp_path: Path, png: Path) -> None:
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key
    from tests.integration.serve_helpers import async_client, auth, test_settings

    add_bundle(received, name="pneumonia-siteB")
    viewer, _ = create_key("viewer", "test viewer")

    async def main() -> None:
        app = create_app(test_settings())
        async with async_client(app) as c:
            models = (await c.get("/v1/models", headers=auth(viewer))).json()["models"]
            assert [(m["name"], m["version"]) for m in models] == [("pneumonia-siteB", 1)], models
            r = await c.post("/v1/models/pneumonia-siteB/predict", headers=auth(viewer),
                             files={"file": ("chest.png", png.read_bytes(), "image/png")})
            assert r.status_code == 200, r.text
            assert set(r.json()["probabilities"]) == {"a", "b"}

    asyncio.run(main())
