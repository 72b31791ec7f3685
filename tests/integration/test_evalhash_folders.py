"""``meddx evaluate`` with other options (an extra operating point, another seed, no report)
writes to its own default folder and keeps the earlier evaluation's files; the same options
again refresh one folder; a default evaluation keeps the folder name it always had.

Found by a README walk: ``meddx evaluate B --data D`` then the same with ``--operating-point
'sensitivity>=0.95'`` wrote into the same ``evaluations/SOURCE-SPLIT-HASH`` (a hash of the
source's location only) and overwrote the first metrics.json, predictions.csv and report.html.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli
from tests.integration.test_evaluate_fitted_split_warning import _bundle, _manifest  # 24 PNGs, 8 a split


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Path, Path]:
    manifest = _manifest(tmp_path / "data")
    return _bundle(tmp_path / "b", manifest), manifest


def _evaluate(bundle: Path, manifest: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    ev = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--split", "test", *extra], capsys)
    assert ev.code == 0, ev.err
    return Path(next(line for line in ev.out.splitlines() if line.startswith("metrics: "))[9:]).parent


def test_other_options_keep_the_first_evaluation_and_the_default_name(
        setup: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    bundle, manifest = setup
    first = _evaluate(bundle, manifest, capsys)
    key = hashlib.sha256(str(manifest.resolve()).encode() + b"\0").hexdigest()[:8]
    assert first == bundle / "evaluations" / f"{first.name.rsplit('-', 2)[0]}-test-{key}"  # the name it always had
    before = json.loads((first / "metrics.json").read_text())
    second = _evaluate(bundle, manifest, capsys, "--operating-point", "sensitivity>=0.95")
    assert second != first and second.parent == first.parent
    assert json.loads((first / "metrics.json").read_text()) == before  # the first is not overwritten
    assert not before.get("operating_points")
    assert json.loads((second / "metrics.json").read_text())["operating_points"]
    for folder in (first, second):
        assert {"metrics.json", "predictions.csv", "report.html"} <= {p.name for p in folder.iterdir()}
    assert _evaluate(bundle, manifest, capsys, "--seed", "3", "--bootstrap", "20") not in (first, second)
    assert len(list(first.parent.iterdir())) == 3


def test_the_same_options_again_refresh_one_folder(setup: tuple[Path, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bundle, manifest = setup
    options = ("--bootstrap", "20", "--level", "0.9", "--no-verify")
    one = _evaluate(bundle, manifest, capsys, *options)
    (one / "metrics.json").write_text("{}")
    assert _evaluate(bundle, manifest, capsys, *options) == one
    assert json.loads((one / "metrics.json").read_text())["n"] == 8  # refreshed
    assert [p.name for p in one.parent.iterdir()] == [one.name]
    assert _evaluate(bundle, manifest, capsys, *options[:2]) != one  # --level 0.9 was one of the options


def test_a_run_without_report_keeps_the_earlier_report(setup: tuple[Path, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    bundle, manifest = setup
    with_report = _evaluate(bundle, manifest, capsys, "--bootstrap", "0")
    without = _evaluate(bundle, manifest, capsys, "--bootstrap", "0", "--no-report")
    assert without != with_report
    assert (with_report / "report.html").is_file() and (with_report / "metrics.json").is_file()
    assert not (without / "report.html").exists()  # no report of another run beside these metrics
