"""``meddx evaluate`` on cases the model cannot tell apart (every image the same) warns that every case has
the same probability, and reports no calibration slope, instead of an AUC and slope read off rounding.

Found by the evaluation walk (a table bundle on rows whose features were all equal: AUC 0.507, slope
0.097, no word). The bundle is an untrained network with the records a trained one has.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli


def test_identical_cases_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    root = tmp_path / "data"
    (root / "img").mkdir(parents=True)
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "split"])
        for i in range(40):
            Image.fromarray(np.full((28, 28), 90, dtype=np.uint8)).save(root / f"img/{i}.png")
            writer.writerow([f"img/{i}.png", ["neg", "pos"][i % 3 == 0], "test"])
    bundle = tiny_image_bundle(tmp_path / "b", label_names=["neg", "pos"], decision={"rule": "youden", "threshold": 0.5},
                               training={"seed": 0, "val_fraction": 0.2})
    out = tmp_path / "ev"
    res = run_cli(["evaluate", str(bundle), "--data", str(root / "manifest.csv"), "--out", str(out),
                   "--bootstrap", "0", "--no-verify", "--no-report"], capsys)
    assert res.code == 0, res.err
    metrics = json.loads((out / "metrics.json").read_text())
    (warning,) = [w for w in metrics["warnings"] if "every case has the same probability" in w]
    assert warning.startswith("test: every case has the same probability of 'pos' ")
    assert f"warning: {warning}" in res.err
    assert metrics["calibration"]["before"]["slope"] is None
