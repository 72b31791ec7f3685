"""Reading Parquet without pyarrow names the extra to install, as every other missing optional package
does (helper "tables49", stop 49).

Before, pandas' own ``ImportError`` ("Unable to find a usable engine; tried using: 'pyarrow',
'fastparquet'") became meddx's own messages: a ``DataError`` quoting pandas for a text source (exit 1),
a ``ConfigError`` without the file for ``meddx deid``; neither was the one-line
:class:`~meddx.core.extras.MissingExtraError` (a ``ModuleNotFoundError`` too) that names the ``text``
extra, which pyproject.toml gives pyarrow.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from meddx.core.extras import MissingExtraError


@pytest.fixture()
def notes(tmp_path: Path) -> Path:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")  # to write the file; then it goes missing
    path = tmp_path / "notes.parquet"
    pd.DataFrame({"text": ["chest pain on exertion", "no acute distress"] * 5,
                  "label": ["cardiac", "normal"] * 5}).to_parquet(path, index=False)
    return path


EXPECTED = ("notes.parquet: reading Parquet needs the package 'pyarrow', which is not installed; it comes with the "
            "'text' extra: pip install 'meddx[text]'")


def test_a_text_source_in_parquet_names_the_text_extra(notes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.text import load_text_source

    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed: importing it fails
    with pytest.raises(MissingExtraError) as info:
        load_text_source(notes)
    assert str(info.value).endswith(EXPECTED) and isinstance(info.value, ModuleNotFoundError)


def test_deid_of_a_parquet_table_names_the_text_extra(notes: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.deid import deid_path

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError) as info:
        deid_path(notes, tmp_path / "out.parquet")
    assert str(info.value).endswith(EXPECTED)
    assert not (tmp_path / "out.parquet").exists()


def test_the_cli_says_it_on_one_line(notes: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.main import main

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "info", str(notes)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert EXPECTED in err, err
