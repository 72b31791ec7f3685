"""Time series through the CLI on a synthetic rule with a known answer: a stay is positive iff its
lactate crosses 4.0 in the last 12 hours of the 48-hour window (``data.synthetic_series``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


@pytest.fixture(scope="module")
def long_csv(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from meddx.data.synthetic_series import make_threshold_series, write_long_csv

    source = make_threshold_series(400, seed=3)
    series, labels = write_long_csv(source, tmp_path_factory.mktemp("series"))
    return {"source": source, "series": series, "labels": labels}


@pytest.fixture(scope="module")
def gbm_bundle(long_csv: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from meddx.cli.main import main

    out = tmp_path_factory.mktemp("bundle") / "syn"
    with pytest.MonkeyPatch.context() as mp:  # module scope: its own data root, never the user's
        mp.setenv("MEDDX_HOME", str(tmp_path_factory.mktemp("series_home")))
        try:
            main(["train", "--data", str(long_csv["series"]), "--labels-file", str(long_csv["labels"]),
                  "--name", "syn-series", "--output", str(out), "--no-progress"])
        except SystemExit as exc:
            assert not exc.code, f"training failed with exit code {exc.code}"
    return out


def _write_patient(record: object, variables: list[str], static_names: list[str], path: Path) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["patient_id", "time", "variable", "value"])
        for name, value in zip(static_names, record.static):  # type: ignore[attr-defined]
            if np.isfinite(value):
                w.writerow([record.id, "", name, float(value)])  # type: ignore[attr-defined]
        for t, v, x in zip(record.times, record.variables, record.values):  # type: ignore[attr-defined]
            w.writerow([record.id, float(t), variables[int(v)], float(x)])  # type: ignore[attr-defined]
    return path


def test_default_model_learns_the_rule_and_the_bundle_reports_it(gbm_bundle: Path) -> None:
    config = json.loads((gbm_bundle / "config.json").read_text())
    metrics = json.loads((gbm_bundle / "metrics.json").read_text())
    assert config["modality"] == "series" and config["model"]["name"] == "gbm"
    assert config["preprocessing"]["pipeline"] == "aggregate"
    assert metrics["test"]["auc"] >= 0.9
    low, high = metrics["test"]["ci"]["auc"]["bca"]
    assert low < metrics["test"]["auc"] < high
    assert "time-series variables" in (gbm_bundle / "model_card.md").read_text()


def test_evaluate_rereads_the_source_as_training_did(gbm_bundle: Path, long_csv: dict, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["evaluate", str(gbm_bundle), "--data", str(long_csv["series"]), "--split", "test",
                      "--out", str(tmp_path / "ev")], capsys)
    assert result.code == 0, result.err
    saved = json.loads((gbm_bundle / "metrics.json").read_text())["test"]["auc"]
    again = json.loads((tmp_path / "ev" / "metrics.json").read_text())["auc"]
    assert again == pytest.approx(saved, abs=1e-9)


def test_predict_names_late_lactate_as_the_reason(gbm_bundle: Path, long_csv: dict, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    source = long_csv["source"]
    test = source.split("test")
    positive = next(r for r, y in zip(test.records, test.labels) if y == 1)
    patient = _write_patient(positive, source.variables, source.static_names, tmp_path / "patient.csv")
    result = run_cli(["predict", str(gbm_bundle), str(patient), "--json", "--explain", str(tmp_path / "why")], capsys)
    assert result.code == 0, result.err
    row = json.loads(result.out.strip().splitlines()[0])
    assert row["label"] == "died" and row["risk"] > 0.5 and row["method"] == "occlusion"
    top = row["top_contributors"][0]
    assert top["variable"] == "lactate" and top["hours"][0] >= 36 and top["contribution"] > 0
    assert len(list((tmp_path / "why").glob("*-occlusion.png"))) == 1
    assert positive.id in row["source"]
    explained = run_cli(["explain", str(gbm_bundle), str(patient), "--out", str(tmp_path / "ex"), "--json"], capsys)
    assert explained.code == 0, explained.err
    summary = json.loads(explained.out.splitlines()[0])
    assert summary["method"] == "occlusion" and summary["shape"] == [len(source.variables), 48]
    assert len(list((tmp_path / "ex").glob("*-occlusion.png"))) == 1
    # a folder of patient files: one prediction per stay, in file order
    negative = next(r for r, y in zip(test.records, test.labels) if y == 0)
    ward = tmp_path / "ward"
    (ward / "a").mkdir(parents=True)
    _write_patient(positive, source.variables, source.static_names, ward / "a" / "p1.csv")
    _write_patient(negative, source.variables, source.static_names, ward / "p2.csv")
    result = run_cli(["predict", str(gbm_bundle), str(ward), "--json"], capsys)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.strip().splitlines()]
    assert [positive.id in rows[0]["source"], negative.id in rows[1]["source"]] == [True, True]
    assert rows[0]["risk"] > rows[1]["risk"]


def test_predict_refuses_a_variable_the_bundle_does_not_know(gbm_bundle: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,time,variable,value\np1,1.0,troponin,0.3\n")
    result = run_cli(["predict", str(gbm_bundle), str(bad)], capsys)
    assert result.code == 2 and "troponin" in result.err and "line 2" in result.err


def test_cv_on_series_reports_folds_and_the_pooled_auc(long_csv: dict, tmp_path: Path, few_resamples: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["cv", str(few_resamples),
                      "--data", str(long_csv["series"]), "--labels-file", str(long_csv["labels"]),
                      "--model", "logreg", "--folds", "3", "--out", str(tmp_path / "cv")], capsys)
    assert result.code == 0, result.err
    summary = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert len(summary["folds"]) == 3 and summary["pooled"]["auc"]["estimate"] > 0.75
    assert summary["baseline"]["model"] == "gbm"


@pytest.mark.slow
def test_grud_learns_the_late_threshold_rule() -> None:
    """The issue's known-rule test: GRU-D reaches test AUROC >= .95."""
    from meddx.data.synthetic_series import make_threshold_series
    from meddx.training.config import TrainConfig
    from meddx.training.fit import fit

    source = make_threshold_series(600, seed=0)
    config = TrainConfig(data="synthetic", model="grud", epochs=20, name="grud-rule", ci_resamples=0,
                         verify=False, baseline=False)
    result = fit(config, source=source, progress=False)
    assert result.metrics["test"]["auc"] >= 0.95
    from meddx.bundle.bundle import load_bundle

    predictor = load_bundle(result.bundle_path)
    test = source.split("test")
    probs = predictor.predict_records(test.records)
    assert np.allclose(probs, result.predictions["test"].probs, atol=1e-5)

    from meddx.explain.api import explain

    positive = next(r for r, y, p in zip(test.records, test.labels, probs) if y == 1 and p[1] > 0.8)
    ig, occ = explain(predictor, [positive], ["integrated-gradients", "occlusion"])
    assert ig.attribution.shape == occ.attribution.shape == (len(source.variables), 48)
    for e in (ig, occ):
        top = e.extra["top"][0]
        assert top["variable"] == "lactate" and top["hours"][0] >= 36, (e.method, e.extra["top"])


def test_occlusion_faithfulness_on_stays_beats_random_orders(gbm_bundle: Path, long_csv: dict) -> None:
    from meddx.explain.evaluate import evaluate_explanations

    report, path = evaluate_explanations(gbm_bundle, str(long_csv["series"]), methods=["occlusion"], n=20,
                                         sanity_inputs=2)
    occlusion = report["methods"]["occlusion"]
    f = occlusion["faithfulness"]
    assert f["deletion_auc"]["mean"] < f["random_deletion_auc"]["mean"]
    assert f["insertion_auc"]["mean"] > f["random_insertion_auc"]["mean"]
    assert occlusion["randomisation"]["passed"] is None  # fitted trees: nothing to re-initialise
    assert path.parent == gbm_bundle / "explanations"
