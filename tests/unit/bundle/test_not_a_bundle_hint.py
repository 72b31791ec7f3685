"""Found by a docs walk: `meddx predict RUN_DIR x.png` (the run folder `meddx train` printed as
`run:`) and `meddx predict MEDDX_HOME/bundles/NAME x.png` said "incomplete bundle, missing
weights.safetensors, ..." without saying which folder to pass instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.bundle.bundle import read_bundle_config
from meddx.core.errors import BundleError


def _fake_versions(home: Path, run_dir: Path) -> Path:
    """bundles/lesions/v1 and v2 with a config.json each; v2 records ``run_dir`` as its run."""
    for version, run in ((1, home / "runs" / "other"), (2, run_dir)):
        folder = home / "bundles" / "lesions" / f"v{version}"
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps({"training": {"run_dir": str(run)}}))
    return home / "bundles" / "lesions"


def test_run_folder_names_the_bundle_it_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    run = tmp_path / "runs" / "lesions-20261125-050000"
    (run / "checkpoints").mkdir(parents=True)
    (run / "plan.json").write_text("{}")
    _fake_versions(tmp_path, run)
    with pytest.raises(BundleError) as err:
        read_bundle_config(run)
    message = str(err.value)
    assert message == f"{run}: a training run folder, not a bundle: its bundle is {tmp_path / 'bundles/lesions/v2'}"


def test_run_folder_without_a_saved_bundle_says_where_to_look(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    run = tmp_path / "runs" / "cut-short"
    (run / "checkpoints").mkdir(parents=True)
    with pytest.raises(BundleError, match=r"a training run folder, not a bundle: pass the bundle folder `meddx train` "
                                          r"printed \(`bundle: \.\.\.`\) or its registered name"):
        read_bundle_config(run)


def test_name_folder_lists_its_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path))
    name_folder = _fake_versions(tmp_path, tmp_path / "runs" / "r")
    with pytest.raises(BundleError) as err:
        read_bundle_config(name_folder)
    assert str(err.value) == (f"{name_folder}: a folder of bundle versions (v1, v2), not a bundle: pass one of them, "
                              f"e.g. {name_folder / 'v2'}, or the registered name `lesions:2`")


def test_other_folders_keep_the_missing_files_message(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"incomplete bundle, missing weights\.safetensors, config\.json"):
        read_bundle_config(tmp_path)
