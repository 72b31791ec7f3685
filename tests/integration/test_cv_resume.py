"""``meddx cv --resume FOLDER``: an interrupted cross-validation reuses its finished folds, trains the
others, and writes the cv.json and oof_predictions.csv a run never interrupted writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli
from test_tabular_cli import write_table


def _without_paths(summary: dict) -> dict:
    """cv.json less what names its folder (``out_dir``, each fold's ``bundle``)."""
    summary = {k: v for k, v in summary.items() if k != "out_dir"}
    summary["folds"] = [{k: v for k, v in f.items() if k != "bundle"} for f in summary["folds"]]
    return summary


def test_interrupted_cv_resumes_reusing_finished_folds(tmp_path: Path, meddx_home: Path, monkeypatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.training import fit as fitlib

    table = write_table(tmp_path / "synthetic.csv", n=150)
    config = tmp_path / "cv.yaml"
    # a torch MLP: a fold trained first in the resuming process must train as it would after the others
    config.write_text(f"data: {table}\nmodel: mlp\nepochs: 2\nci_resamples: 20\nseed: 3\n")
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    result = run_cli(["cv", str(config), "--folds", "3", "--out", str(whole)], capsys)
    assert result.code == 0, result.out + result.err

    real_fit, calls, stopped = fitlib.fit, [], []

    def fit_stopped_in_second_fold(*args, **kwargs):  # Ctrl-C while fold 1 trains, once
        calls.append(kwargs["source"].name)
        if len(calls) == 2 and not stopped:
            stopped.append(True)
            raise KeyboardInterrupt
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(fitlib, "fit", fit_stopped_in_second_fold)
    result = run_cli(["cv", str(config), "--folds", "3", "--out", str(broken)], capsys)
    assert result.code == 130, result.out + result.err
    assert f"resume with: meddx cv --resume {broken}" in result.err
    assert (broken / "fold0").is_dir() and not (broken / "fold1").exists() and not (broken / "cv.json").exists()
    fold0 = (broken / "fold0" / "weights.safetensors").stat().st_mtime_ns

    again = run_cli(["cv", str(config), "--folds", "3", "--out", str(broken)], capsys)  # not written over
    assert again.code == 2 and f"meddx cv --resume {broken}" in again.err

    calls.clear()
    result = run_cli(["cv", "--resume", str(broken)], capsys)  # the recorded settings
    assert result.code == 0, result.out + result.err
    assert calls == [f"{table.stem}-fold1", f"{table.stem}-fold2"] and "fold 0: reused" in result.err and "fold 1: training" in result.err
    assert "fold 2: training" in result.err  # the fold lines are notices: stderr
    assert (broken / "fold0" / "weights.safetensors").stat().st_mtime_ns == fold0  # not retrained
    first, resumed = (json.loads((d / "cv.json").read_text()) for d in (whole, broken))
    assert _without_paths(resumed) == _without_paths(first)  # every metric to the last digit
    assert (broken / "oof_predictions.csv").read_bytes() == (whole / "oof_predictions.csv").read_bytes()
    plan = json.loads((broken / "cv_plan.json").read_text())
    assert [(r["reused"], r["trained"]) for r in plan["resumes"]] == [([0], [1, 2])]

    from meddx.registry.runs import get_run

    run = get_run(str(broken))  # the resumed cross-validation is a run of the registry, finished
    assert (run.status, run.resumes) == ("finished", 1) and run.metrics["cv_auc"] == pytest.approx(first["mean"]["auc"])

    finished = run_cli(["cv", "--resume", str(broken)], capsys)
    assert finished.code == 2 and "finished" in finished.err


def test_resume_refuses_other_settings_and_changed_data(tmp_path: Path, meddx_home: Path, monkeypatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.training import fit as fitlib

    table = write_table(tmp_path / "synthetic.csv", n=150)
    out = tmp_path / "cv"

    real_fit, calls = fitlib.fit, []

    def interrupted(*args, **kwargs):  # Ctrl-C in fold 0 of the first run, in fold 1 of the second
        calls.append(1)
        if len(calls) != 2:
            raise KeyboardInterrupt
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(fitlib, "fit", interrupted)
    command = ["cv", "--data", str(table), "--folds", "3", "--seed", "1", "--out", str(out)]
    result = run_cli(command, capsys)  # no fold finished: nothing to resume, the folder is left empty
    assert result.code == 130 and "none finished" in result.err and not any(out.iterdir()), result.err
    result = run_cli(command, capsys)
    assert result.code == 130 and f"meddx cv --resume {out}" in result.err, result.out + result.err

    for flags, said in ((["--seed", "2"], "seed 1 there, 2 now"), (["--folds", "4"], "folds 3 there, 4 now"),
                        (["--epochs", "7"], "epochs null there, 7 now")):
        result = run_cli(["cv", "--resume", str(out), *flags], capsys)
        assert result.code == 2 and said in result.err, result.err
    result = run_cli(["cv", "--resume", str(out), "--out", str(tmp_path / "elsewhere")], capsys)
    assert result.code == 2 and "give one" in result.err

    lines = table.read_text().splitlines()
    head, label = lines[-1].rsplit(",", 1)
    lines[-1] = f"{head},{1 - int(label)}"
    table.write_text("\n".join(lines) + "\n")  # one label changed
    result = run_cli(["cv", "--resume", str(out)], capsys)
    assert result.code == 2 and "the data is not what the cross-validation started on" in result.err, result.err
