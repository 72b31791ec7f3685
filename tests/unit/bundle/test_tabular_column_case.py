"""Table columns named as a bundle's only when case is ignored (helper "tables49", stop 49).

``predict`` matched ``MARKER`` to the model's ``marker`` without a word, and ``evaluate`` refused the same
file ("task binary with labels ['LABEL=0', 'LABEL=1'] does not match bundle ...": its label names came
from the file's upper-case header). Now both read such columns under the bundle's names and say so; two
columns of one file (or keys of one served row) that differ only by case are refused, naming both.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.unit.bundle.tiny_table import tiny_table_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_table_bundle(tmp_path_factory.mktemp("case"))


def _rows(path: Path, header: str, n: int = 30) -> Path:
    rng = np.random.default_rng(1)
    path.write_text(header + "\n" + "".join(f"{m:.3f},{120 + 5 * rng.normal():.1f},{int(m > 0)}\n"
                                            for m in rng.normal(size=n)))
    return path


def test_predict_names_the_columns_matched_by_case(bundle: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle import load_bundle
    from meddx.cli.predict_tabular import predict_tabular

    predictor = load_bundle(bundle)
    upper = _rows(tmp_path / "upper.csv", "MARKER,bp,Label")
    same = _rows(tmp_path / "same.csv", "marker,bp,label")
    predict_tabular(predictor, [upper], None, "auto", as_json=True)
    captured = capsys.readouterr()
    assert ("note: upper.csv: 1 column(s) named as the model's only when case is ignored, read as its columns: "
            "'MARKER' as 'marker'; check that they hold the same measurements") in captured.err.splitlines()
    predict_tabular(predictor, [same], None, "auto", as_json=True)
    plain = capsys.readouterr()
    assert "case is ignored" not in plain.err
    assert [json.loads(line)["probabilities"] for line in captured.out.splitlines()] == \
        [json.loads(line)["probabilities"] for line in plain.out.splitlines()]


def test_evaluate_reads_a_file_whose_header_differs_by_case(bundle: Path, tmp_path: Path) -> None:
    from meddx.evaluation.evaluate import evaluate_bundle

    upper = _rows(tmp_path / "upper.csv", "MARKER,BP,LABEL")
    same = _rows(tmp_path / "same.csv", "marker,bp,label")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDDX_HOME", str(bundle.parents[2]))
        metrics, target = evaluate_bundle(str(bundle), str(upper), split="train", out=tmp_path / "e1",
                                          verify=False, report=False)
        plain, _ = evaluate_bundle(str(bundle), str(same), split="train", out=tmp_path / "e2", verify=False,
                                   report=False)
    note = ("upper.csv: 3 column(s) named as the model's only when case is ignored, read as its columns: "
            "'LABEL' as 'label', 'MARKER' as 'marker', 'BP' as 'bp'; check that they hold the same measurements")
    assert note in metrics["warnings"] and note in json.loads(target.read_text())["warnings"], metrics["warnings"]
    assert metrics["auc"] == plain["auc"] and metrics["label_names"] == plain["label_names"]
    assert not any("case is ignored" in w for w in plain["warnings"])


def test_columns_differing_only_by_case_are_refused(bundle: Path, tmp_path: Path) -> None:
    from meddx.bundle import load_bundle
    from meddx.core.errors import DataError

    predictor = load_bundle(bundle)
    both = tmp_path / "both.csv"
    both.write_text("marker,bp,MARKER\n0.1,120,0.2\n")
    with pytest.raises(DataError, match=r"both\.csv: column names 'marker' and 'MARKER' \(columns 1 and 3\) "
                                        r"differ only by case; meddx matches column names ignoring case"):
        predictor.read_rows(both)
    with pytest.raises(DataError, match=r"row: keys 'marker' and 'MARKER' differ only by case"):
        predictor.row_from_json({"marker": 0.1, "bp": 120, "MARKER": 0.2})
