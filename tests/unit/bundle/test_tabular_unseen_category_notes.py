"""Rows to predict with a category no training row had get a note naming the column.

Found by a walk through docs/tabular.md as a hospital user (helper "walk", stop 48): a row with
``site`` ``Lugano`` (training: Basel, Genève, Zürich) or ``sex`` ``X`` (training: F, M) was scored
with no word, where a far-out number gets a note (test_tabular_range_notes.py). It is read as
``<col>=other``, an input no training row set; a new site is allowed, but the user is told.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from meddx.bundle import load_bundle
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    folder = tmp_path_factory.mktemp("categories")
    rng = np.random.default_rng(0)
    sites = ["Basel", "Genève", "Zürich"]
    table = folder / "train.csv"
    table.write_text("marker,site,sex,label\n" + "".join(
        f"{m:.3f},{sites[i % 3]},{'FM'[i % 2]},{int(m + 0.3 * rng.normal() > 0)}\n"
        for i, m in enumerate(rng.normal(size=60))))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(folder / "home"))
        return load_bundle(fit(TrainConfig(data=str(table), seed=0, ci_resamples=0), progress=False).bundle_path)


def test_a_category_unseen_in_training_is_noted_per_column(predictor, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.predict_tabular import predict_tabular

    rows = tmp_path / "rows.csv"
    rows.write_text("marker,site,sex\n0.1,Basel,F\n0.2,Lugano,M\n-0.3,Lugano,\n0.4,Zürich,X\n")
    predict_tabular(predictor, [rows], None, "auto", True)
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 4  # every row still predicted; stdout stays JSON lines
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: column 'site': 2 of 4 row(s) hold a category no training row had (e.g. 'Lugano' in rows.csv:row2; "
        "training had Basel, Genève, Zürich); read as site=other, which no training row was, so the model learnt "
        "nothing for it: check the spelling and coding",
        "note: column 'sex': 1 of 4 row(s) hold a category no training row had (e.g. 'X' in rows.csv:row4; "
        "training had F, M); read as sex=other, which no training row was, so the model learnt nothing for it: "
        "check the spelling and coding"], err


def test_known_categories_and_empty_cells_are_not_noted(predictor, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.cli.predict_tabular import predict_tabular

    rows = tmp_path / "rows.csv"
    rows.write_text("marker,site,sex\n0.1,Basel,F\n0.2,Genève,\n")
    predict_tabular(predictor, [rows], None, "auto", True)
    assert "note:" not in capsys.readouterr().err
