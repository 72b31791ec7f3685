"""A feature column missing in most rows is named by predict and evaluate (helper "tables49", stop 49).

Walking predict → evaluate with the UCI files: a Cleveland bundle scored the Hungarian file, whose ``ca``
is missing in 291 of 294 rows, ``thal`` in 266 and ``slope`` in 190 (Cleveland: 4, 2 and 0 of 303), without
a word: each such cell is read as the training median (``ca`` 0), so those rows are scored without the
column. Bundles now record each column's training missing share (``features.missing``), and a column
missing in most rows (more than half, 2+ rows), and in a quarter more of them than in training, gets a note. A column
blank in every row of a file that ``evaluate`` reads is kept for the bundle (training drops such a column;
before, evaluate dropped it too and stopped: "table lacks column(s) 'bp' that the model uses").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.unit.bundle.tiny_table import tiny_table_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_table_bundle(tmp_path_factory.mktemp("missing"))


def _rows(path: Path, blank_bp: int, n: int = 30) -> Path:
    rng = np.random.default_rng(1)
    path.write_text("marker,bp,label\n" + "".join(
        f"{m:.3f},{'' if i < blank_bp else f'{120 + 5 * rng.normal():.1f}'},{int(m > 0)}\n"
        for i, m in enumerate(rng.normal(size=n))))
    return path


def test_a_column_missing_in_most_rows_is_named(bundle: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle import load_bundle
    from meddx.cli.predict_tabular import predict_tabular
    from meddx.evaluation.evaluate import evaluate_bundle

    predictor = load_bundle(bundle)
    assert predictor.config["features"]["missing"] == {"marker": 0.0, "bp": 0.0}
    median = predictor.preprocessor.medians_["bp"]
    gone = _rows(tmp_path / "gone.csv", blank_bp=30)
    predict_tabular(predictor, [gone], None, "auto", as_json=True)
    expected = (f"column 'bp': missing in 30 of 30 row(s) (e.g. gone.csv:row1; training rows: 0.0% missing); each "
                f"such cell is read as the training median {median:g}, so those rows are scored without it: check "
                "that the column was exported")
    assert f"note: {expected}" in capsys.readouterr().err.splitlines()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(bundle.parents[2]))
        metrics, target = evaluate_bundle(str(bundle), str(gone), split="train", out=tmp_path / "e", verify=False,
                                          report=False)
    said = expected.replace("gone.csv:row1", "row1")
    assert said in metrics["warnings"] and said in json.loads(target.read_text())["warnings"], metrics["warnings"]


def test_a_few_missing_cells_are_not_named(bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle import load_bundle
    from meddx.cli.predict_tabular import predict_tabular

    predict_tabular(load_bundle(bundle), [_rows(tmp_path / "few.csv", blank_bp=3)], None, "auto", as_json=True)
    assert "missing in" not in capsys.readouterr().err
