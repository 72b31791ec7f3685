"""Two table files of the same name in different folders are told apart in a row's error.

``meddx predict TABLE site_a/rows.csv site_b/rows.csv``: an overflowing row was named "row 1 of
rows.csv" whichever file held it (``row_labels`` named the file by its name only). Now a file whose
name another input shares is named by its path as given (``bundle.tabular_predictor.file_names``);
a name no other input shares stays the bare name, as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.core.errors import DataError
from tests.unit.bundle.test_tabular_user_row_ids import bundle  # noqa: F401 (the module's fixture)


def _sites(folder: Path, bad: str) -> list[Path]:
    """``site_a/rows.csv`` and ``site_b/rows.csv`` (relative, as a user types them), the ``bad`` site's
    second row overflowing float32."""
    paths = []
    for site in ("site_a", "site_b"):
        (folder / site).mkdir(exist_ok=True)
        marker = "1e39" if site == bad else "0.2"
        (folder / site / "rows.csv").write_text(f"marker,bp\n0.1,120\n{marker},118\n")
        paths.append(Path(site) / "rows.csv")
    return paths


@pytest.mark.parametrize("bad", ["site_a", "site_b"])
def test_each_files_error_names_its_path(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                         bad: str) -> None:
    from meddx.bundle import load_bundle
    from meddx.cli.predict_tabular import predict_tabular

    monkeypatch.chdir(tmp_path)
    paths = _sites(tmp_path, bad)
    predictor = load_bundle(bundle)
    expected = f"column 'marker' (row 2 of {Path(bad) / 'rows.csv'}): 1e+39"
    with pytest.raises(DataError) as info:
        predict_tabular(predictor, paths, None, "auto", True)  # meddx predict
    assert str(info.value).startswith(expected), str(info.value)
    with pytest.raises(DataError) as info:
        predictor.predict_files(paths)  # the Python API
    assert str(info.value).startswith(expected), str(info.value)


def test_a_name_no_other_input_shares_stays_the_name() -> None:
    from meddx.bundle.tabular_predictor import file_names

    assert file_names([Path("x/a.csv"), Path("y/b.csv"), Path("z/a.csv")]) == ["x/a.csv", "b.csv", "z/a.csv"]
    assert file_names(["tabular:x/a.csv", "y/a.csv"]) == ["x/a.csv", "y/a.csv"]  # the reader's prefix is not shown
