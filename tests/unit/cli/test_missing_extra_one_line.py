"""A command whose optional extra is not installed says which extra to install, on one line
(DESIGN.md, Dependencies), instead of a ModuleNotFoundError traceback."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from meddx.cli.main import main
from meddx.core.extras import EXTRA_OF, missing_extra

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


@pytest.mark.parametrize("package", ["uvicorn", "fastapi"])
def test_serve_without_the_serve_extra_names_it(package: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, package, None)  # as if not installed: importing it fails
    with pytest.raises(SystemExit) as exit_info:
        main(["serve"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"'{package}'" in err and "pip install 'meddx[serve]'" in err


def test_debug_keeps_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(ModuleNotFoundError):
        main(["--debug", "serve"])


def test_only_missing_optional_packages_are_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "captum", None)
    assert "meddx[explain]" in str(missing_extra(ModuleNotFoundError("no captum", name="captum.attr")))
    # a core dependency, a submodule missing from an installed package, a plain ImportError: bugs, not extras
    assert missing_extra(ModuleNotFoundError("no monai", name="monai")) is None
    assert missing_extra(ModuleNotFoundError("no such part", name="fastapi.not_a_module")) is None
    assert missing_extra(ImportError("cannot import name 'x'", name="captum")) is None


def test_the_table_covers_every_optional_dependency_in_pyproject() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
    expected = {}
    for extra, requirements in extras.items():
        if extra in ("test", "all"):
            continue  # collections of the other extras (and test tools)
        for requirement in requirements:
            distribution = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)  # type: ignore[union-attr]
            expected[distribution.lower().replace("-", "_")] = extra
    assert {name: EXTRA_OF.get(name) for name in expected} == expected
    assert set(EXTRA_OF.values()) <= set(extras)
