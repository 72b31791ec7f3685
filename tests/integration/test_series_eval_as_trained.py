"""``meddx evaluate`` and ``cv`` on a long-format series read as training read it: the labels file,
the window and the patient column (defects found by an audit of time series and tables).

Synthetic stays with a known rule: a stay died iff one of its lactate values exceeds 4 within
48 h. Two stays per patient (``subject_id`` in the labels file); every fifth stay also has a
harmless lactate at 60 h, so a bundle trained without ``--window-hours`` has a 60 h window.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli

N_STAYS = 160


def _write(folder: Path) -> tuple[Path, Path]:
    """``series.csv`` and ``labels.csv`` (``patient_id,label,split,subject_id``) in ``folder``."""
    rng = np.random.default_rng(11)
    folder.mkdir(parents=True, exist_ok=True)
    series, labels = folder / "series.csv", folder / "labels.csv"
    with series.open("w", newline="") as fs, labels.open("w", newline="") as fl:
        ws, wl = csv.writer(fs), csv.writer(fl)
        ws.writerow(["patient_id", "time", "variable", "value"])
        wl.writerow(["patient_id", "label", "split", "subject_id"])
        for i in range(N_STAYS):
            sid, died = f"s{i:03d}", bool(rng.random() < 0.4)
            ws.writerow([sid, "", "Age", int(rng.integers(20, 90))])
            times = np.sort(rng.uniform(0, 47, int(rng.integers(3, 8))))
            values = rng.uniform(1.0, 3.5, len(times))
            if died:
                values[rng.integers(len(times))] = rng.uniform(5.0, 8.0)
            for t, x in zip(times, values):
                ws.writerow([sid, f"{t:.3f}", "lactate", f"{x:.3f}"])
                ws.writerow([sid, f"{t:.3f}", "HR", f"{80 + rng.normal(0, 10):.1f}"])
            if i % 5 == 0:
                ws.writerow([sid, "60", "lactate", "1.0"])
            subject = i // 2
            wl.writerow([sid, "died" if died else "survived", "test" if subject % 5 == 0 else "train", f"p{subject}"])
    return series, labels


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A logreg bundle trained from the data folder with the labels file given relative."""
    from meddx.cli.main import main

    data = tmp_path_factory.mktemp("data")
    series, labels = _write(data)
    out = tmp_path_factory.mktemp("bundle") / "b"
    with pytest.MonkeyPatch.context() as mp:  # module scope: its own data root, never the user's
        mp.setenv("MEDDX_HOME", str(tmp_path_factory.mktemp("home")))
        mp.chdir(data)
        try:
            main(["train", "--data", "series.csv", "--labels-file", "labels.csv", "--patient-column", "subject_id",
                  "--model", "logreg", "--output", str(out), "--no-progress"])
        except SystemExit as exc:
            assert not exc.code, f"training failed with exit code {exc.code}"
    return {"series": series, "labels": labels, "bundle": out}


def _evaluate(trained: dict, out: Path, capsys: pytest.CaptureFixture[str], *extra: str, split: str = "test") -> dict:
    result = run_cli(["evaluate", str(trained["bundle"]), "--data", str(trained["series"]), "--split", split,
                      "--out", str(out), "--no-report", "--bootstrap", "50", *extra], capsys)
    assert result.code == 0, result.out + result.err
    return json.loads((out / "metrics.json").read_text())


def _probs(folder: Path) -> dict[str, float]:
    with (folder / "predictions.csv").open() as fh:
        return {row["id"]: float(row["p_died"]) for row in csv.DictReader(fh)}


def test_labels_file_is_stored_absolute_and_can_be_given(trained: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """From a folder holding another ``labels.csv`` (every label inverted) evaluate reads the
    training labels file; ``--labels-file`` reads the one given: AUC becomes exactly 1 - AUC."""
    config = json.loads((trained["bundle"] / "config.json").read_text())
    assert config["training"]["source_options"]["labels_file"] == str(trained["labels"].resolve())
    saved = json.loads((trained["bundle"] / "metrics.json").read_text())["test"]["auc"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rows = trained["labels"].read_text().splitlines()
    swap = {"died": "survived", "survived": "died"}
    flipped = [rows[0]] + [",".join([c[0], swap[c[1]], *c[2:]]) for c in (r.split(",") for r in rows[1:])]
    (elsewhere / "labels.csv").write_text("\n".join(flipped) + "\n")
    monkeypatch.chdir(elsewhere)
    assert _evaluate(trained, tmp_path / "ev", capsys)["auc"] == pytest.approx(saved, abs=1e-12)
    given = _evaluate(trained, tmp_path / "ev_given", capsys, "--labels-file", "labels.csv")
    assert given["auc"] == pytest.approx(1 - saved, abs=1e-12)


def test_evaluate_reads_another_file_with_the_bundle_window(trained: dict, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Late lactate values (80 h, after the bundle's 60 h window) in an external file change
    neither evaluate's nor predict's probability: both equal the training file's evaluation."""
    config = json.loads((trained["bundle"] / "config.json").read_text())
    assert config["series"]["window_hours"] == 60.0
    _evaluate(trained, tmp_path / "ev", capsys)
    before = _probs(tmp_path / "ev")
    ext = tmp_path / "ext"
    ext.mkdir()
    label_rows = [r for r in trained["labels"].read_text().splitlines()[1:] if r.split(",")[0] in before]
    (ext / "labels.csv").write_text("patient_id,label,split,subject_id\n" + "\n".join(label_rows) + "\n")
    lines = trained["series"].read_text().splitlines()
    test_rows = [r for r in lines[1:] if r.split(",")[0] in before]
    late = [f"{sid},80,lactate,9.5" for sid in sorted(before)[:5]]
    (ext / "series.csv").write_text("\n".join([lines[0], *test_rows, *late]) + "\n")
    result = run_cli(["evaluate", str(trained["bundle"]), "--data", str(ext / "series.csv"), "--labels-file",
                      str(ext / "labels.csv"), "--split", "test", "--out", str(tmp_path / "ev_ext"), "--no-report",
                      "--bootstrap", "20"], capsys)
    assert result.code == 0, result.out + result.err
    after = _probs(tmp_path / "ev_ext")
    assert after.keys() == before.keys()
    for sid in before:
        assert after[sid] == pytest.approx(before[sid], abs=1e-12), sid
    one = sorted(before)[0]
    (ext / "one.csv").write_text("\n".join([lines[0], *[r for r in test_rows if r.startswith(one + ",")],
                                            f"{one},80,lactate,9.5"]) + "\n")
    predicted = run_cli(["predict", str(trained["bundle"]), str(ext / "one.csv"), "--json"], capsys)
    assert predicted.code == 0, predicted.err
    # one record alone against a batch of them: a batched forward pass moves a probability by ~1e-8 (README,
    # "predicted"); the temperature fitted before the separable-validation fix (3659bd9) happened to hide it
    assert json.loads(predicted.out.splitlines()[0])["probabilities"]["died"] == pytest.approx(after[one], abs=1e-6)


def test_a_column_option_keeps_the_recorded_patient_column(trained: dict, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """``--label-column`` (even the training one) must not drop ``subject_id``: val is the same
    stays, carved by patient, and the CI resamples the patients (two stays each)."""
    plain = _evaluate(trained, tmp_path / "val", capsys, split="val")
    given = _evaluate(trained, tmp_path / "val_lc", capsys, "--label-column", "label", split="val")
    assert _probs(tmp_path / "val").keys() == _probs(tmp_path / "val_lc").keys()
    assert given["auc"] == plain["auc"] and given["n_patients"] == plain["n_patients"] == given["n"] // 2
    assert given["ci"]["unit"] == "patient" and given["ci"]["n_units"] == given["n"] // 2
    explicit = _evaluate(trained, tmp_path / "test_pc", capsys, "--id-column", "patient_id",
                         "--patient-column", "subject_id")
    assert explicit["ci"]["unit"] == "patient" and explicit["ci"]["n_units"] == explicit["n"] // 2


def test_cv_groups_folds_by_the_patient_column(trained: dict, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["cv", "--data", str(trained["series"]), "--labels-file", str(trained["labels"]),
                      "--patient-column", "subject_id", "--model", "logreg", "--no-baseline", "--folds", "2",
                      "--out", str(tmp_path / "cv")], capsys)
    assert result.code == 0, result.out + result.err
    summary = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert "grouped by patient (StratifiedGroupKFold" in summary["how"]
    with (tmp_path / "cv" / "oof_predictions.csv").open() as fh:
        folds = {(int(r["id"][1:]) // 2, r["fold"]) for r in csv.DictReader(fh)}
    subjects = [s for s, _ in folds]
    assert len(subjects) == len(set(subjects))  # every patient's two stays in one fold


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "older-bundle"])
def test_evaluate_maps_another_files_variables_by_name(trained: dict, tmp_path: Path, recorded: bool,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """An external file without any ``HR`` row sorts its variables as ``[lactate]``, not the
    bundle's ``[HR, lactate]``: evaluate must still read lactate as lactate (it read it as HR,
    index 0), so each stay gets the probability ``predict`` gives the same file; a variable the
    bundle does not know is an error naming it and its line."""
    config = json.loads((trained["bundle"] / "config.json").read_text())
    assert config["series"]["variables"] == ["HR", "lactate"]
    if not recorded:  # a bundle written before the reader recorded its variables: the fitted series has them
        import shutil

        bundle = tmp_path / "older"
        shutil.copytree(trained["bundle"], bundle)
        for key in ("variables", "static_names"):
            config["training"]["source_options"].pop(key)
        (bundle / "config.json").write_text(json.dumps(config))
        trained = {**trained, "bundle": bundle}
    test_ids = [r.split(",")[0] for r in trained["labels"].read_text().splitlines()[1:] if ",test," in r]
    ext = tmp_path / "ext"
    ext.mkdir()
    label_rows = [r for r in trained["labels"].read_text().splitlines()[1:] if r.split(",")[0] in test_ids]
    (ext / "labels.csv").write_text("patient_id,label,split,subject_id\n" + "\n".join(label_rows) + "\n")
    lines = trained["series"].read_text().splitlines()
    rows = [r for r in lines[1:] if r.split(",")[0] in test_ids and ",HR," not in r]
    (ext / "series.csv").write_text("\n".join([lines[0], *rows]) + "\n")
    result = run_cli(["evaluate", str(trained["bundle"]), "--data", str(ext / "series.csv"), "--labels-file",
                      str(ext / "labels.csv"), "--split", "test", "--out", str(tmp_path / "ev"), "--no-report",
                      "--bootstrap", "20"], capsys)
    assert result.code == 0, result.out + result.err
    evaluated = _probs(tmp_path / "ev")
    predicted = run_cli(["predict", str(trained["bundle"]), str(ext / "series.csv"), "--json"], capsys)
    assert predicted.code == 0, predicted.err
    by_name = {json.loads(line)["source"]: json.loads(line)["probabilities"]["died"]
               for line in predicted.out.splitlines() if line.startswith("{")}
    assert len(evaluated) == len(test_ids)
    for sid in test_ids:
        key = next(k for k in by_name if k == sid or k.endswith(":" + sid))
        assert evaluated[sid] == pytest.approx(by_name[key], abs=1e-9), sid
    (ext / "extra.csv").write_text("\n".join([lines[0], *rows, f"{test_ids[0]},1.0,Temp,39"]) + "\n")
    refused = run_cli(["evaluate", str(trained["bundle"]), "--data", str(ext / "extra.csv"), "--labels-file",
                       str(ext / "labels.csv"), "--split", "test", "--out", str(tmp_path / "ev2"), "--no-report"],
                      capsys)
    assert refused.code == 2
    assert "'Temp'" in refused.err and f"line {len(rows) + 2}" in refused.err
