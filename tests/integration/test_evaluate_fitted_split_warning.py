"""``meddx evaluate`` / ``meddx compare`` on the split a bundle was fitted (train) or selected
(val) on warn, in metrics.json, the printed summary and report.html; on test, and on another
source's val, they do not.

Found by an acceptance walk: ``meddx evaluate BUNDLE --data SRC --split val`` printed metrics
with no word that the threshold, temperature and kept epoch had been chosen on those samples.
The bundle is an untrained network with the records a trained one has (``config.json``).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli


def _manifest(root: Path) -> Path:
    """24 random 28 px PNGs, 8 per split, alternating neg/pos."""
    from PIL import Image

    rng = np.random.default_rng(5)
    (root / "img").mkdir(parents=True)
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "split"])
        for i in range(24):
            rel = f"img/{i}.png"
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(root / rel)
            writer.writerow([rel, ["neg", "pos"][i % 2], ["train", "val", "test"][i // 8]])
    return root / "manifest.csv"


def _bundle(path: Path, data: Path) -> Path:
    return tiny_image_bundle(path, label_names=["neg", "pos"], decision={"rule": "youden", "threshold": 0.5},
                             training={"data": str(data), "data_path": str(data.resolve()), "seed": 0,
                                       "val_fraction": 0.2, "kept_epoch": ["best"], "epochs": 10, "epochs_run": 4})


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Path, Path]:
    manifest = _manifest(tmp_path / "data")
    return _bundle(tmp_path / "b", manifest), manifest


@pytest.mark.parametrize("split", ["val", "train"])
def test_fitted_split_warns_everywhere(split: str, setup: tuple[Path, Path], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    bundle, manifest = setup
    out = tmp_path / "ev"
    ev = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--split", split, "--out", str(out),
                  "--bootstrap", "0", "--no-verify"], capsys)
    assert ev.code == 0, ev.err
    head = f"{split} is not held out for bundle 'cxr': "
    warnings = json.loads((out / "metrics.json").read_text())["warnings"]
    assert warnings and warnings[0].startswith(head)
    expected = (["weights were fitted on it"] if split == "train" else
                ["decision threshold (youden)", "calibration temperature", "best validation score was kept",
                 "early stopping on it ended training after epoch 4 of 10"])
    assert all(e in warnings[0] for e in expected)
    assert f"warning: {warnings[0]}" in ev.err.splitlines()
    assert "is not held out for bundle" in (out / "report.html").read_text()
    js = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--split", split, "--out", str(out),
                  "--bootstrap", "0", "--no-verify", "--no-report", "--json"], capsys)
    assert js.code == 0, js.err
    assert json.loads(js.out)["warnings"][0] == warnings[0]  # --json stays one JSON document


def test_test_split_and_an_external_val_do_not_warn(setup: tuple[Path, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    bundle, manifest = setup
    ev = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--split", "test", "--out", str(tmp_path / "t"),
                  "--bootstrap", "0", "--no-verify", "--no-report"], capsys)
    assert ev.code == 0, ev.err
    assert not any("held out" in w for w in json.loads((tmp_path / "t" / "metrics.json").read_text())["warnings"])
    assert "held out" not in ev.out + ev.err
    external = tmp_path / "external"
    shutil.copytree(manifest.parent, external)  # the same layout, another file: held out from this bundle
    ev = run_cli(["evaluate", str(bundle), "--data", str(external / "manifest.csv"), "--split", "val",
                  "--out", str(tmp_path / "x"), "--bootstrap", "0", "--no-verify", "--no-report"], capsys)
    assert ev.code == 0, ev.err
    assert not any("held out" in w for w in json.loads((tmp_path / "x" / "metrics.json").read_text())["warnings"])


def test_compare_on_val_warns_for_each_bundle(setup: tuple[Path, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bundle, manifest = setup
    other = tmp_path / "b2"
    shutil.copytree(bundle, other)
    for split, n in (("val", 2), ("test", 0)):
        out = tmp_path / f"cmp-{split}"
        cmp = run_cli(["compare", str(bundle), str(other), "--data", str(manifest), "--split", split,
                       "--out", str(out), "--bootstrap", "10"], capsys)
        assert cmp.code == 0, cmp.err
        warnings = json.loads((out / "comparison.json").read_text())["warnings"]
        assert [w.split(":")[0] for w in warnings] == [f"val is not held out for bundle {r} 'cxr'"
                                                       for r in ("A", "B")][:n]
        assert sum(line.startswith("warning: val is not held out") for line in cmp.err.splitlines()) == n
