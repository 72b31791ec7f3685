"""An empty MEDDX_HOME means the default data root (~/.meddx), not the current folder; a relative one
is made absolute, as bundles record paths under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.paths import bundles_dir, meddx_home, registry_db


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_meddx_home_is_the_default_root(value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MEDDX_HOME", value)
    monkeypatch.chdir(cwd)
    assert meddx_home() == home / ".meddx"
    assert bundles_dir() == home / ".meddx" / "bundles" and registry_db() == home / ".meddx" / "registry.db"
    assert list(cwd.iterdir()) == []  # nothing created where the command ran


def test_set_meddx_home_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "root"))
    assert meddx_home() == tmp_path / "root" and (tmp_path / "root").is_dir()


def test_relative_meddx_home_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # bundles record their run folder (training.run_dir): a relative one breaks from another folder
    monkeypatch.setenv("MEDDX_HOME", "rel-root")
    monkeypatch.chdir(tmp_path)
    from meddx.core.paths import runs_dir

    assert meddx_home().is_absolute() and runs_dir().is_absolute()
    assert runs_dir().resolve() == (tmp_path / "rel-root" / "runs").resolve()
