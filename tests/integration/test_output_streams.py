"""One rule for every verb: results on stdout, ``note:`` and ``warning:`` lines on stderr.

``meddx predict`` and ``meddx deid`` printed their notes on stderr, but ``meddx train``'s summary,
``evaluate``, ``compare`` and ``data info``/``data verify`` printed them on stdout, inside the
table a user redirects (``meddx evaluate B --data D --split val > metrics.txt`` kept the warning
that val is not held out, and a terminal showed nothing). ``--json`` output is unchanged: the
notes and warnings are inside the JSON, and stdout is one JSON document.

One tiny run shared by the module: the 24 random PNGs of the fitted-split test (8 per split, so the
reader notes a "small validation split"), a seed CNN trained for 1 epoch.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli
from tests.integration.test_evaluate_fitted_split_warning import _manifest  # 8 train, 8 val, 8 test

SMALL_VAL = "note: small validation split: val has 8 sample(s)"


def _labelled(text: str, label: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(label)]


def _said(text: str) -> bool:
    """Whether ``text`` holds the reader's note on the small val split, labelled or not."""
    return "small validation split" in text


def _noted(text: str) -> bool:
    """Whether ``text`` holds the reader's note as its own ``note:`` line."""
    return any(line.startswith(SMALL_VAL) for line in text.splitlines())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, few_resamples: Path) -> dict:
    """``meddx train`` on the manifest, with what it wrote on stdout and on stderr."""
    from meddx.cli.main import main

    root = tmp_path_factory.mktemp("streams")
    manifest = _manifest(root / "data")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MEDDX_HOME", str(root / "home"))
        mp.setenv("COLUMNS", "200")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(["train", str(few_resamples), "--data", str(manifest), "--model", "seed-cnn", "--epochs", "1",
                      "--no-progress", "--out", str(root / "bundle")])
            except SystemExit as exc:
                assert not exc.code, err.getvalue()
    return {"root": root, "manifest": manifest, "bundle": root / "bundle", "out": out.getvalue(),
            "err": err.getvalue()}


def test_train_prints_its_summary_on_stdout_and_the_data_notes_on_stderr(run: dict) -> None:
    assert _noted(run["err"]), run["err"]
    assert not _said(run["out"]) and not _labelled(run["out"], "note:") and not _labelled(run["out"], "warning:")
    assert any(line.startswith("val: AUC") for line in run["out"].splitlines()), run["out"]
    assert f"bundle: {run['bundle']}" in run["out"].splitlines()


def test_evaluate_prints_metrics_on_stdout_and_the_warning_on_stderr(run: dict, tmp_path: Path, capsys) -> None:
    argv = ["evaluate", str(run["bundle"]), "--data", str(run["manifest"]), "--split", "val", "--bootstrap", "0",
            "--no-verify", "--no-report"]
    result = run_cli([*argv, "--out", str(tmp_path / "ev")], capsys)
    assert result.code == 0, result.err
    warnings = json.loads((tmp_path / "ev" / "metrics.json").read_text())["warnings"]
    assert warnings[0].startswith("val is not held out for bundle")
    assert _labelled(result.err, "warning:") == [f"warning: {w}" for w in warnings]
    assert not _labelled(result.out, "warning:") and "held out" not in result.out
    assert result.out.splitlines()[0].startswith("val: n=8  AUC")
    assert result.out.splitlines()[-1] == f"metrics: {tmp_path / 'ev' / 'metrics.json'}"
    # --json as before: one JSON document on stdout holding the warnings, none printed beside it
    js = run_cli([*argv, "--out", str(tmp_path / "js"), "--json"], capsys)
    assert js.code == 0, js.err
    assert json.loads(js.out)["warnings"] == warnings and "warning:" not in js.err


def test_compare_prints_the_comparison_on_stdout_and_the_warnings_on_stderr(run: dict, tmp_path: Path,
                                                                           capsys) -> None:
    result = run_cli(["compare", str(run["bundle"]), str(run["bundle"]), "--data", str(run["manifest"]), "--split",
                      "val", "--bootstrap", "10", "--out", str(tmp_path / "cmp")], capsys)
    assert result.code == 0, result.err
    warnings = json.loads((tmp_path / "cmp" / "comparison.json").read_text())["warnings"]
    assert len(warnings) == 2 and _labelled(result.err, "warning:") == [f"warning: {w}" for w in warnings]
    assert not _labelled(result.out, "warning:") and "held out" not in result.out
    assert result.out.splitlines()[-1] == f"comparison: {tmp_path / 'cmp' / 'comparison.json'}"


def test_data_info_prints_the_summary_on_stdout_and_the_notes_on_stderr(run: dict, capsys) -> None:
    result = run_cli(["data", "info", str(run["manifest"])], capsys)
    assert result.code == 0, result.err
    assert _noted(result.err) and not _said(result.out) and not _labelled(result.out, "note:")
    assert "samples per split" in result.out
    as_json = run_cli(["data", "info", str(run["manifest"]), "--json"], capsys)  # as before: the notes inside
    assert any(_said(n) for n in json.loads(as_json.out)["notes"]) and "note:" not in as_json.err


def test_data_verify_prints_the_checks_on_stdout_and_the_notes_on_stderr(run: dict, tmp_path: Path,
                                                                        capsys) -> None:
    report = tmp_path / "verify.json"
    result = run_cli(["data", "verify", str(run["manifest"]), "--report", str(report)], capsys)
    assert result.code == 0, result.err
    assert _noted(result.err) and not _said(result.out) and not _labelled(result.out, "note:")
    assert result.out.splitlines()[-1] == f"report: {report}"


def test_predict_prints_the_table_on_stdout_and_the_decision_note_on_stderr(run: dict, tmp_path: Path,
                                                                            capsys) -> None:
    images = sorted(str(p) for p in (run["manifest"].parent / "img").glob("*.png"))[:6]
    said = 0
    for threshold in (0.001, 0.999):  # every image is off the argmax at one of the two
        bundle = tiny_image_bundle(tmp_path / f"b{threshold}", label_names=["neg", "pos"],
                                   decision={"rule": f"fixed:{threshold}", "threshold": threshold},
                                   training={"data": "x.npz", "seed": 0, "val_fraction": 0.1})
        result = run_cli(["predict", str(bundle), *images], capsys)
        assert result.code == 0, result.err
        notes = [line for line in _labelled(result.err, "note:") if "not the most probable class" in line]
        said += len(notes)
        assert not _labelled(result.out, "note:") and "most probable" not in result.out
        assert sum(Path(image).name in result.out for image in images) == len(images)  # the table: every file
    assert said >= 1
