"""Tables through the real CLI: train, evaluate, predict (with explanations), cv, data info/verify.

The synthetic table has a known rule: label = 1 when x1 + 2*x2 + 0.8*[site == north] + noise > 0;
x3 is pure noise; x1 and site have missing cells ('?' and empty). A model that learns the rule
reaches AUC > 0.95, so 0.9 is a floor a broken pipeline would not clear.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


def write_table(path: Path, n: int = 300, seed: int = 0, split: bool = True) -> Path:
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    site = rng.choice(["north", "south", "east"], n)
    y = (x1 + 2 * x2 + 0.8 * (site == "north") + rng.normal(scale=0.3, size=n) > 0).astype(int)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "x1", "x2", "x3", "site", *(["split"] if split else []), "label"])
        for i in range(n):
            cells = [f"p{seed}-{i}", f"{x1[i]:.4f}", f"{x2[i]:.4f}", f"{x3[i]:.4f}", site[i]]
            if rng.random() < 0.1:
                cells[1] = "?"
            if rng.random() < 0.05:
                cells[4] = ""
            writer.writerow([*cells, *(["test" if i < n // 5 else "train"] if split else []), y[i]])
    return path


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_table(tmp_path_factory.mktemp("tables") / "synthetic.csv")


def _train(table: Path, out: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    result = run_cli(["train", "--data", str(table), "--output", str(out), "--no-progress", *extra], capsys)
    assert result.code == 0, result.out + result.err
    return json.loads((out / "metrics.json").read_text())


def test_train_evaluate_predict_default_model(table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle"
    metrics = _train(table, bundle, capsys)
    config = json.loads((bundle / "config.json").read_text())
    assert config["modality"] == "tabular" and config["model"]["name"] == "logreg"
    assert {k: config["features"][k] for k in ("numeric", "categorical")} == {"numeric": ["x1", "x2", "x3"],
                                                                             "categorical": ["site"]}
    assert sorted(config["features"]["ranges"]) == ["x1", "x2", "x3"]  # training ranges, for predict's notes
    assert config["training"]["source_options"]["label_column"] == "label"
    assert metrics["test"]["n"] == 60 and metrics["test"]["auc"] >= 0.9
    assert metrics["test"]["ci"]["auc"]["bca"][0] <= metrics["test"]["auc"]
    assert "Input: a table row" in (bundle / "model_card.md").read_text()

    other = write_table(tmp_path / "site-b.csv", n=200, seed=7, split=False)
    result = run_cli(["evaluate", str(bundle), "--data", str(other), "--split", "train", "--out", str(tmp_path / "ev")],
                     capsys)
    assert result.code == 0, result.out + result.err
    evaluated = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert evaluated["n"] == 200 and evaluated["auc"] >= 0.9

    rows = tmp_path / "rows.csv"  # no label or split column, columns in another order, a '?' cell
    rows.write_text("site,x3,x2,x1,id\nnorth,0.1,2.0,1.0,a\nsouth,0.0,-2.0,?,b\nmars,0.5,-1.5,-1.0,c\n")
    result = run_cli(["predict", str(bundle), str(rows), "--json", "--explain", str(tmp_path / "ex")], capsys)
    assert result.code == 0, result.out + result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [p["source"] for p in lines] == ["rows.csv:a", "rows.csv:b", "rows.csv:c"]
    assert [p["label"] for p in lines] == ["label=1", "label=0", "label=0"]  # the rule, an unseen site included
    assert lines[0]["explanation"]["top"][0]["column"] == "x2"  # the strongest term of the rule
    assert (tmp_path / "ex" / "explanations.json").is_file()


def test_explanations_name_the_rule_columns(table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle.bundle import load_bundle
    from meddx.explain.tabular import top_features

    bundle = tmp_path / "gbm"
    metrics = _train(table, bundle, capsys, "--model", "gbm")
    assert metrics["test"]["auc"] >= 0.9
    predictor = load_bundle(bundle)
    names, rows = predictor.read_rows(write_table(tmp_path / "more.csv", n=60, seed=3, split=False))
    found = top_features(predictor, rows, top=1)
    assert found[0]["method"] == "ablation"
    share = np.mean([f["top"][0]["column"] in ("x1", "x2") for f in found if f["top"][0]["attribution"] != 0])
    assert share >= 0.8  # x3 (noise) and site (weak) rarely lead

    # the same attributions through the one explanation interface and `meddx explain`
    from meddx.explain.api import explain, methods_for

    assert methods_for(predictor) == ("ablation",)
    more = tmp_path / "more.csv"
    unified = explain(predictor, [more], "auto")
    assert len(unified) == 60 and unified[0].attribution.shape == (4,)
    assert unified[0].extra["columns"] == ["x1", "x2", "x3", "site"]
    assert [u.extra["top"][0]["column"] for u in unified[:5]] == [f["top"][0]["column"] for f in found[:5]]
    result = run_cli(["explain", str(bundle), str(more), "--out", str(tmp_path / "why"), "--json"], capsys)
    assert result.code == 0, result.err
    first = json.loads(result.out.splitlines()[0])
    assert first["method"] == "ablation" and first["source"] == names[0] == "more.csv:p3-0"  # FILE:ID, the file named once
    assert (tmp_path / "why" / "explanations.json").is_file()


@pytest.mark.slow
def test_mlp_trains_through_lightning(table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    metrics = _train(table, tmp_path / "mlp", capsys, "--model", "mlp", "--epochs", "30")
    run = Path(json.loads((tmp_path / "mlp" / "config.json").read_text())["training"]["run_dir"])
    assert json.loads((run / "trainer.json").read_text())["epochs_run"] >= 1
    assert (run / "checkpoints" / "last.ckpt").is_file() and metrics["test"]["auc"] >= 0.9


def test_cross_validation(table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cv"
    result = run_cli(["cv", "--data", str(table), "--folds", "3", "--out", str(out)], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((out / "cv.json").read_text())
    assert summary["n"] == 240 and summary["pooled"]["auc"]["estimate"] >= 0.9  # the 60 test rows are never used
    assert len((out / "oof_predictions.csv").read_text().splitlines()) == 241
    assert "pooled out-of-fold AUC" in result.out


def test_data_info_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dups.data"  # no header; row 3 copies row 1 on the test split with another label
    path.write_text("1,2,north,train,0\n3,?,south,train,1\n1,2,north,test,1\n5,6,east,test,0\n7,8,east,train,1\n")
    flags = ["--columns", "a,b,site,split,y"]
    result = run_cli(["data", "info", str(path), *flags, "--json"], capsys)
    assert result.code == 0, result.err
    info = json.loads(result.out)
    assert info["kind"] == "table" and info["splits"]["train"]["count"] == 3
    b = next(c for c in info["columns"] if c["name"] == "b")
    assert b["missing"] == 1 and b["type"] == "numeric" and b["max"] == 8.0
    result = run_cli(["data", "verify", str(path), *flags, "--report", str(tmp_path / "v.json")], capsys)
    assert result.code == 1  # a row shared between train and test is leakage
    report = json.loads((tmp_path / "v.json").read_text())
    assert report["summary"]["exact_duplicate_groups_cross_split"] == 1
    assert report["conflicting_labels"][0]["ids"] == ["row1", "row3"]
    result = run_cli(["data", "info", str(path)], capsys)
    assert result.code == 2 and "--columns" in result.err


def test_evaluate_a_graded_table_of_one_class(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bundle trained with --positive-labels (a graded label, 1-4 = disease) evaluated on an
    external file of confirmed cases only, then of negatives only: the reader refused both (every
    value positive; no positive value). The rate each measures equals the share of predictions on
    the bundle's side of its threshold."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(400):
        x1, x2 = rng.normal(size=2)
        grade = int(rng.integers(1, 5)) if x1 + 2 * x2 + rng.normal(scale=0.3) > 0 else 0
        rows.append([f"q{i}", f"{x1:.4f}", f"{x2:.4f}", "test" if i < 80 else "train", grade])
    header = ["id", "x1", "x2", "split", "num"]

    def write(path: Path, kept: list[list]) -> Path:
        with path.open("w", newline="") as fh:
            csv.writer(fh).writerows([header, *kept])
        return path

    bundle = tmp_path / "bundle"
    metrics = _train(write(tmp_path / "graded.csv", rows), bundle, capsys, "--positive-labels", "1,2,3,4")
    assert metrics["test"]["label_names"] == ["num=0", "num in {1,2,3,4}"] and metrics["test"]["auc"] >= 0.9
    threshold = json.loads((bundle / "config.json").read_text())["decision"]["threshold"]
    for only, rate in (("positives", "sensitivity"), ("negatives", "specificity")):
        kept = [r[:3] + ["train", r[4]] for r in rows if (r[4] > 0) == (only == "positives") and r[4] != 3]
        out = tmp_path / f"eval-{only}"
        result = run_cli(["evaluate", str(bundle), "--data", str(write(tmp_path / f"{only}.csv", kept)),
                          "--split", "train", "--out", str(out), "--bootstrap", "100"], capsys)
        assert result.code == 0, result.out + result.err
        evaluated = json.loads((out / "metrics.json").read_text())
        with (out / "predictions.csv").open() as f:
            above = [float(r["p_num in {1,2,3,4}"]) >= threshold for r in csv.DictReader(f)]
        expected = np.mean(above) if only == "positives" else 1 - np.mean(above)
        assert evaluated["n"] == len(kept) == len(above) > 100 and evaluated["auc"] is None
        assert evaluated["label_names"] == ["num=0", "num in {1,2,3,4}"]
        assert evaluated["per_class"]["num in {1,2,3,4}"][rate] == pytest.approx(expected)
        assert any("one class only" in w and rate in w for w in evaluated["warnings"])


def test_evaluate_keeps_the_patient_column_and_reads_a_test_only_file(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Found by an audit: ``--label-column`` (even the training one) dropped the recorded patient
    column, so val was re-carved by row and the CI resampled rows while saying patients; and an
    external file whose split column holds only ``test`` was refused. Two rows per patient."""
    with write_table(tmp_path / "raw.csv", n=300, seed=5).open() as fh:
        rows = list(csv.reader(fh))
    table = tmp_path / "t.csv"
    with table.open("w", newline="") as fh:
        csv.writer(fh).writerows([rows[0] + ["subject"], *[r + [f"s{i // 2}"] for i, r in enumerate(rows[1:])]])
    bundle = tmp_path / "bundle"
    _train(table, bundle, capsys, "--patient-column", "subject")

    def evaluate(name: str, *extra: str, data: Path = table, split: str = "val") -> tuple[dict, list[str]]:
        out = tmp_path / name
        result = run_cli(["evaluate", str(bundle), "--data", str(data), "--split", split, "--out", str(out),
                          "--no-report", "--bootstrap", "50", *extra], capsys)
        assert result.code == 0, result.out + result.err
        with (out / "predictions.csv").open() as fh:
            ids = [r["id"] for r in csv.DictReader(fh)]
        return json.loads((out / "metrics.json").read_text()), ids

    plain, plain_ids = evaluate("val")
    given, given_ids = evaluate("val_lc", "--label-column", "label")
    assert given_ids == plain_ids and given["auc"] == plain["auc"]
    assert given["n_patients"] == given["n"] // 2 and given["ci"]["unit"] == "patient"
    assert given["ci"]["n_units"] == given["n"] // 2
    site2 = tmp_path / "site2.csv"  # the test rows only: every split cell is 'test'
    with site2.open("w", newline="") as fh:
        csv.writer(fh).writerows([rows[0], *[r for r in rows[1:] if r[5] == "test"]])
    external, ids = evaluate("site2", data=site2, split="test")
    assert external["n"] == len(ids) == 60 and external["auc"] >= 0.9
    assert external["ci"]["unit"] == "sample"  # site2 has no 'subject' column: rows, not patients, and it says so
    assert any("no column 'subject'" in n for n in external["dataset"]["notes"])
    refused = run_cli(["train", "--data", str(site2), "--output", str(tmp_path / "no"), "--no-progress"], capsys)
    assert refused.code == 2 and "no training rows" in refused.err
