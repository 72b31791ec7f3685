"""``meddx explain`` of table rows names a bad row by its own file, as ``meddx predict`` does.

Found by the review of 1669bc0: predict said "row 2 of b.csv", but explain, which concatenates the
files' rows before encoding them, said "(row 4)" for the second row of the second of two 2-row files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from tests.unit.bundle.tiny_table import tiny_table_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explain_rows")
    return tiny_table_bundle(folder)


def test_a_value_beyond_float32_names_its_row_in_its_own_file(bundle: Path, tmp_path: Path) -> None:
    from meddx.explain.api import explain

    ok, bad = tmp_path / "ok.csv", tmp_path / "bad.csv"
    ok.write_text("marker,bp\n0.1,120\n0.2,121\n")
    bad.write_text("marker,bp\n0.3,122\n1e39,119\n")
    with pytest.raises(DataError) as info:
        explain(str(bundle), [ok, bad])
    assert "(row 2 of bad.csv)" in str(info.value), info.value
    assert "(row 4)" not in str(info.value)


def test_two_files_of_one_name_are_told_apart(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.explain.api import explain

    for site, value in (("site_a", "0.1"), ("site_b", "1e39")):
        (tmp_path / site).mkdir()
        (tmp_path / site / "rows.csv").write_text(f"marker,bp\n0.3,122\n{value},119\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info:
        explain(str(bundle), [Path("site_a/rows.csv"), Path("site_b/rows.csv")])
    assert "(row 2 of site_b/rows.csv)" in str(info.value), info.value
