"""Table sources: header or not, missing tokens, zeros as missing, graded labels, routing, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.sources import load_source
from meddx.data.tabular import is_tabular_spec, load_tabular_source, read_feature_table

HEART = ["age", "sex", "cp", "chol", "num"]
HEART_ROWS = ["63.0,1.0,1.0,233.0,0", "67.0,1.0,4.0,?,2", "67.0,1.0,4.0,229.0,1", "37.0,1.0,3.0,250.0,0",
              "41.0,0.0,?,204.0,4", "56.0,1.0,2.0,236.0,0"]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_headerless_file_with_question_marks_and_graded_label(tmp_path: Path) -> None:
    path = write(tmp_path / "heart.data", HEART_ROWS)
    src = load_tabular_source(path, columns=HEART, positive_labels=["1", "2", "3", "4"])
    train = src.split("train")
    assert src.modality == "tabular" and src.spatial_dims == 0 and src.task == "binary"
    assert src.label_names == ["num=0", "num in {1,2,3,4}"]  # named by the option (3 is absent here)
    assert train.labels.tolist() == [0, 1, 1, 0, 1, 0]
    assert list(train.table.columns) == ["age", "sex", "cp", "chol"] == src.feature_columns
    assert int(train.table.isna().sum().sum()) == 2  # the two '?' cells
    assert np.isnan(train.table["chol"][1]) and np.isnan(train.table["cp"][4])
    assert train.ids == [f"row{i}" for i in range(1, 7)] and train.patient_ids is None
    assert src.options["label_column"] == "num" and src.options["columns"] == HEART
    assert any("few values kept numeric" in n and "cp" in n for n in src.notes)


def test_without_columns_the_error_shows_the_first_row(tmp_path: Path) -> None:
    path = write(tmp_path / "heart.data", HEART_ROWS)
    with pytest.raises(DataError, match=r"no header row \(the first row is: 63.0, 1.0, 1.0, 233.0, 0\).*--columns"):
        load_tabular_source(path)


def test_header_zero_as_missing_and_binary_names(tmp_path: Path) -> None:
    path = write(tmp_path / "pima.csv", ["Pregnancies,Glucose,BMI,Outcome", "6,148,33.6,1", "1,0,26.6,0",
                                         "8,183,0,1", "0,89,28.1,0"])
    src = load_tabular_source(path, zero_as_missing=["glucose", "BMI"])
    table = src.split("train").table
    assert src.label_names == ["Outcome=0", "Outcome=1"] and src.split("train").labels.tolist() == [1, 0, 1, 0]
    assert np.isnan(table["Glucose"][1]) and np.isnan(table["BMI"][2])
    assert table["Pregnancies"][3] == 0.0  # zero is a real value where not named
    assert any("1 zero(s) in 'Glucose' read as missing" in n for n in src.notes)


def test_categories_ids_patients_splits_and_multiclass(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", ["id,patient_id,site,grade,score,split,label",
                                      "a,p1,north,1,0.5,train,low", "b,p1,south,2,0.7,train,high",
                                      "c,p2,north,3,?,val,mid", "d,p3,,1,0.1,test,low", "e,p4,east,2,0.3,train,mid"])
    src = load_tabular_source(path, categorical_columns=["grade"])
    assert src.task == "multiclass" and src.label_names == ["high", "low", "mid"]
    assert src.categorical == ["site", "grade"] and src.numeric == ["score"]
    assert list(src.splits) == ["train", "val", "test"]
    train = src.split("train")
    assert train.ids == ["a", "b", "e"] and train.patient_ids == ["p1", "p1", "p4"]
    assert train.table["grade"].tolist() == ["1", "2", "2"]
    assert src.split("test").table["site"].tolist() == [None]


def test_label_column_default_is_the_last_column(tmp_path: Path) -> None:
    src = load_tabular_source(write(tmp_path / "t.csv", ["a,b,dx", "1,2,yes", "3,4,no", "5,6,yes"]))
    assert src.label_names == ["no", "yes"] and "the last column" in " ".join(src.notes)


@pytest.mark.parametrize(("lines", "kwargs", "message"), [
    ([], {}, "empty file"),
    (["a,b,label"], {}, "no data rows"),
    (["a,b,label", "1,2,0", "3,4,1"], {"label_column": "target"}, r"no label column 'target'.*available columns: a, b, label"),
    (["a,b,label", "1,2,0", "3,4,?"], {}, r"label column 'label' is empty or missing in 1 row\(s\) \(row 2\)"),
    (["a,b,label"] + [f"{i},{i},{i % 2}" for i in range(12)] + ["x,1,0"], {},
     r"row 13, column 'a': 'x' is not a number.*--missing-values 'x'"),
    (["a,b,label", "1,2,0", "3,4,1"], {"positive_labels": ["3"]}, r"none of the positive label\(s\) 3 occurs"),
    (["a,b,label", "1,2,0", "3,4,0"], {}, "holds a single value"),
    (["a,b,label", "1,2,0", "3,4"], {}, "row 2 has 2 cells but the header has 3 columns"),
    (["a,b,label", "1,2,0", "3,4,1"], {"zero_as_missing": ["c"]}, r"--zero-as-missing names 'c'"),
    (["a,a,label", "1,2,0"], {}, "appears twice"),
])
def test_errors_name_file_row_and_column(tmp_path: Path, lines: list[str], kwargs: dict, message: str) -> None:
    path = write(tmp_path / "bad.csv", lines)
    with pytest.raises(DataError, match=message) as err:
        load_tabular_source(path, **kwargs)
    assert str(path) in str(err.value)


def test_custom_missing_token(tmp_path: Path) -> None:
    lines = ["a,b,label"] + [f"{i},{i},{i % 2}" for i in range(12)] + ["-,1,0"]
    src = load_tabular_source(write(tmp_path / "t.csv", lines), missing_values=["-"])
    assert src.numeric == ["a", "b"] and int(src.split("train").table["a"].isna().sum()) == 1


def test_routing_by_content_and_prefix(tmp_path: Path) -> None:
    table = write(tmp_path / "t.csv", ["age,sex,label", "50,m,1", "60,f,0"])
    notes = write(tmp_path / "n.csv", ["text,label", "short note,1", "another,0"])
    long_text = write(tmp_path / "l.csv", ["body,score", f"{'words ' * 12},1", f"{'more ' * 12},0"])
    manifest = write(tmp_path / "m.csv", ["path,label", "a.png,1"])
    files = write(tmp_path / "f.csv", ["file,size,label", "a.png,3,1"])
    series = write(tmp_path / "s.csv", ["patient_id,time,variable,value", "1,0,HR,80"])
    odd = write(tmp_path / "x.txt", ["1,2,0", "3,4,1"])
    assert is_tabular_spec(table) and is_tabular_spec(write(tmp_path / "h.data", HEART_ROWS))
    assert not any(is_tabular_spec(p) for p in (notes, long_text, manifest, files, series, odd, tmp_path / "no.csv"))
    assert is_tabular_spec(f"tabular:{odd}")
    src = load_source(f"tabular:{odd}", options={"columns": ["a", "b", "y"], "text_column": "ignored"})
    assert src.modality == "tabular" and "val" in src.splits  # load_source carves validation as for any source


def test_rows_to_predict_read_with_training_options(tmp_path: Path) -> None:
    options = {"columns": HEART, "label_column": "num", "zero_as_missing": ["chol"]}
    # no header, training width (label column present)
    ids, table = read_feature_table(write(tmp_path / "a.data", ["50,1,?,0,1"]), options, ["age", "sex", "cp", "chol"], [])
    assert ids == ["a.data:row1"] and np.isnan(table["cp"][0]) and np.isnan(table["chol"][0])
    # a header without the label, other column order, an id column
    ids, table = read_feature_table(write(tmp_path / "b.csv", ["id,chol,cp,sex,age", "x7,200,4,1,50"]), options,
                                    ["age", "sex", "cp", "chol"], [])
    assert ids == ["b.csv:x7"] and table.iloc[0].tolist() == [50.0, 1.0, 4.0, 200.0]
    with pytest.raises(DataError, match=r"missing feature column\(s\) chol"):
        read_feature_table(write(tmp_path / "c.csv", ["age,sex,cp", "1,1,1"]), options, ["age", "sex", "cp", "chol"], [])


def test_a_typo_in_rows_to_predict_gets_advice_that_predict_can_follow(tmp_path: Path) -> None:
    """``predict`` reads with the model's fixed settings: it must not advise a training flag it lacks."""
    path = write(tmp_path / "p.csv", ["a,b"] + [f"{i},{i}" for i in range(12)] + ["12O,1"])
    with pytest.raises(DataError, match=r"row 13, column 'a': '12O' is not a number") as err:
        read_feature_table(path, {}, ["a", "b"], [])
    assert "retrain with --missing-values '12O'" in str(err.value) and "pass --missing-values" not in str(err.value)
