"""Fixtures for the integration tests: synthetic data with a known answer, one shared training run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="session")
def lesion_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An image folder (train/val/test, PNG) of easy synthetic lesions: a good model gets AUC ~1."""
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    root = tmp_path_factory.mktemp("lesions")
    write_image_folder(make_lesion_source(300, 100, 200, size=28, seed=11, contrast=2.0), root)
    return root


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, lesion_folder: Path) -> dict:
    """One CLI training run shared by the tests that only read its outputs."""
    from meddx.cli.main import main

    home = tmp_path_factory.mktemp("trained_home")
    old = os.environ.get("MEDDX_HOME")
    os.environ["MEDDX_HOME"] = str(home)
    try:
        try:
            main(["train", "--data", str(lesion_folder), "--model", "seed-cnn", "--epochs", "12",
                  "--name", "lesions", "--lr", "0.005", "--no-progress", "--seed", "1"])
        except SystemExit as exc:
            assert not exc.code, f"training failed with exit code {exc.code}"
    finally:
        if old is None:
            os.environ.pop("MEDDX_HOME", None)
        else:
            os.environ["MEDDX_HOME"] = old
    bundle = home / "bundles" / "lesions" / "v1"
    runs = sorted((home / "runs").iterdir())
    return {"home": home, "bundle": bundle, "run_dir": runs[0], "folder": lesion_folder}
