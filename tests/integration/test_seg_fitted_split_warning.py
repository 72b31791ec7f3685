"""``meddx evaluate`` of a segmentation bundle on its training source's ``val`` says the test-time
passes, post-processing (and checkpoint, where it was the best) were chosen there; ``test`` does not.

Found by an acceptance walk (see test_evaluate_fitted_split_warning.py for classifiers).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


def test_seg_val_warns_and_test_does_not(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.data.synthetic_seg import write_seg_folder

    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    data = write_seg_folder(tmp_path / "shapes", n=16, spatial_dims=2, size=32, classes=2, seed=1)
    trained = run_cli(["train", "--data", str(data), "--name", "tiny", "--no-progress", "--seed", "0",
                       "--epochs", "1"], capsys)
    assert trained.code == 0, trained.err + trained.out
    bundle = tmp_path / "home" / "bundles" / "tiny" / "v1"
    seen = {}
    for split in ("val", "test"):
        out = tmp_path / f"ev-{split}"
        ev = run_cli(["evaluate", str(bundle), "--data", str(data), "--split", split, "--out", str(out),
                      "--bootstrap", "0"], capsys)
        assert ev.code == 0, ev.err
        seen[split] = (json.loads((out / "metrics.json").read_text())["warnings"], ev.err,
                       (out / "report.html").read_text())
    warnings, printed, report = seen["val"]
    assert warnings[0].startswith("val is not held out for bundle 'tiny': the test-time passes (mirroring, shifts, "
                                  "zoom) and post-processing")
    assert f"warning: {warnings[0]}" in printed.splitlines() and "is not held out for bundle" in report
    warnings, printed, report = seen["test"]
    assert not any("held out for bundle" in w for w in warnings) and "held out for bundle" not in printed + report
