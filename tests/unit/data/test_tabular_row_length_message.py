"""A row of the wrong length names what the user can do where the file is read.

``meddx predict BUNDLE rows.csv`` with a short row said "...; fix the row or --columns", a flag
only ``meddx train`` has. Training still names ``--columns``; predicting names the row, and for a
file without a header, the header row that would name its columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from meddx.data.tabular import load_tabular_source
from tests.unit.bundle.test_tabular_user_row_ids import bundle  # noqa: F401 (the module's fixture)


def test_training_names_the_columns_flag(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("marker,bp,label\n" + "".join(f"0.{i},12{i % 10},{i % 2}\n" for i in range(20)) + "0.5,120\n")
    with pytest.raises(DataError, match=r"row 21 has 2 cells but the header has 3 columns .*; fix the row or --columns$"):
        load_tabular_source(table)


@pytest.mark.parametrize("text, fix", [
    ("marker,bp\n0.1,120\n0.2\n", "; fix that row of the file"),
    ("0.1,120\n0.2,121,5\n", "; fix that row, or add a header row naming the file's columns (a file without one is "
                             "read as the model's 2 training columns, in order)"),
])
def test_predicting_names_no_train_only_flag(bundle: Path, tmp_path: Path, text: str, fix: str,  # noqa: F811
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle import load_bundle
    from tests.integration.cli_helpers import run_cli

    rows = tmp_path / "rows.csv"
    rows.write_text(text)
    with pytest.raises(DataError) as info:  # the Python API
        load_bundle(bundle).predict_files([rows])
    assert str(info.value).endswith(fix) and "--columns" not in str(info.value), str(info.value)
    assert "row 2 has" in str(info.value)
    result = run_cli(["predict", str(bundle), str(rows)], capsys)  # the CLI
    assert result.code != 0 and fix in result.err and "--columns" not in result.err, result.err
