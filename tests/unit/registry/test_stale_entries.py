"""A bundle folder deleted behind the registry's back: every command names the registry reference
and how to drop the row, `registry list` marks it, and `registry remove` drops it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from meddx.bundle.bundle import save_bundle
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.registry.store import (
    get_bundle,
    list_bundles,
    production_version,
    promote,
    register_bundle,
    remove_bundle,
    resolve_bundle_path,
    stage_history,
)
from meddx.transforms.image import ImagePreprocessor
from tests.integration.cli_helpers import run_cli


def _bundle(path: Path, name: str) -> Path:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": name, "task": "binary", "label_names": ["a", "b"], "preprocessing": pre.to_dict(),
              "model": {"name": "seed-cnn", "args": {}, "num_classes": 2}, "training": {"data": "synthetic"}}
    metrics = {"val": {"auc": 0.8, "accuracy": 0.7}, "test": {"auc": 0.75, "accuracy": 0.7}}
    return save_bundle(path, net=create_model("seed-cnn"), config=config, metrics=metrics, model_card="")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    result = run_cli(argv, capsys)
    return result.code, result.out, result.err


def test_a_deleted_folder_names_the_registry_reference_and_the_remove_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Was: `meddx predict demo-lesions x.png` after `rm -r .../demo-lesions/v1` said only
    "<path>: not a bundle folder (no such directory)", a path the user never typed."""
    folder = _bundle(tmp_path / "bundles" / "demo-lesions" / "v1", "demo-lesions")
    register_bundle(folder)
    shutil.rmtree(folder)
    remove_hint = "meddx registry remove demo-lesions --version 1"
    for ref in ("demo-lesions", "demo-lesions:1"):
        with pytest.raises(BundleError, match="demo-lesions v1 .*no longer exists.*" + remove_hint):
            resolve_bundle_path(ref)
    with pytest.raises(BundleError, match=remove_hint):
        promote("demo-lesions", 1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo-lesions").mkdir()  # a data folder of the same name must not hide the reason
    with pytest.raises(BundleError, match=remove_hint):
        resolve_bundle_path("demo-lesions")
    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    for argv in (["predict", "demo-lesions", str(png)], ["registry", "show", "demo-lesions"]):
        code, _, err = _run(argv, capsys)
        assert code == 2 and err.count("\n") == 1 and "demo-lesions v1" in err and remove_hint in err, (argv, err)


def test_registry_list_marks_a_missing_folder_and_keeps_names_whole(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    gone = _bundle(tmp_path / "gone", "demo-lesions")
    register_bundle(gone)
    register_bundle(_bundle(tmp_path / "kept", "other-bundle-name"))
    shutil.rmtree(gone)
    monkeypatch.delenv("COLUMNS", raising=False)
    code, out, _ = _run(["registry", "list"], capsys)
    assert code == 0 and "…" not in out  # piped: whole lines, the name was shown as "demo-l…"
    assert out.count("(missing)") == 1 and "other-bundle-name" in out
    assert "demo-lesions v1: folder missing; remove the entry with `meddx registry remove demo-lesions --version 1`" in out
    monkeypatch.setenv("COLUMNS", "80")  # a narrow terminal folds cells instead of cutting them
    code, out, _ = _run(["registry", "list"], capsys)
    assert code == 0 and "…" not in out
    code, out, _ = _run(["registry", "list", "--json"], capsys)
    exists = {r["name"]: r["folder_exists"] for r in json.loads(out)}
    assert exists == {"demo-lesions": False, "other-bundle-name": True}


def test_remove_drops_the_row_and_its_stage_but_never_the_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = register_bundle(_bundle(tmp_path / "one", "xray"))
    second = register_bundle(_bundle(tmp_path / "two", "xray"))
    promote("xray", 1)
    promote("xray", 2)
    shutil.rmtree(second.path)
    code, out, err = _run(["registry", "remove", "xray", "--version", "2"], capsys)
    assert code == 0, err
    assert "removed xray v2" in out and "folder already gone" in out and "xray production: v1" in out
    assert [r.version for r in list_bundles("xray")] == [1]
    assert production_version("xray") == 1 and get_bundle("xray").path == first.path
    assert [e["action"] for e in stage_history("xray")] == ["promote", "promote", "remove"]
    # a row whose folder still exists: unregistered, the folder untouched
    removed = remove_bundle("xray", 1)
    assert removed.path == first.path and (Path(first.path) / "weights.safetensors").is_file()
    assert list_bundles("xray") == [] and production_version("xray") is None
    # the next bundle of the name gets a new number (removed v1 and v2 are never reused: the stage
    # history and audit logs that name them keep meaning the removed bundles), and is not production
    again = register_bundle(_bundle(tmp_path / "three", "xray"))
    assert again.version == 3 and production_version("xray") is None


def test_removing_an_unknown_version_lists_what_is_there(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register_bundle(_bundle(tmp_path / "one", "xray"))
    with pytest.raises(BundleError, match="no registered bundle xray:4 to remove; xray has versions 1"):
        remove_bundle("xray", 4)
    code, _, err = _run(["registry", "remove", "mri", "--version", "1"], capsys)
    assert code == 2 and "nothing is registered as 'mri'" in err and err.count("\n") == 1
    assert [r.version for r in list_bundles("xray")] == [1]


def test_load_bundle_takes_a_registry_reference_and_a_home_relative_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the docs audit: `load_bundle("~/.meddx/bundles/x/v1")` and `load_bundle("x")`
    were "not a bundle folder" in Python while the CLI takes both."""
    from meddx.bundle.bundle import load_bundle

    folder = _bundle(tmp_path / "home" / "bundles" / "lesions" / "v1", "lesions")
    register_bundle(folder)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    for ref in ("lesions", "lesions:1", "~/bundles/lesions/v1", folder):
        assert load_bundle(ref).path.resolve() == folder.resolve()
    with pytest.raises(BundleError, match="no registered bundle 'lesion'"):
        load_bundle("lesion")
