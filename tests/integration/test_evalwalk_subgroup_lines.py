"""``meddx evaluate --attributes`` prints the subgroups it writes to metrics.json: per attribute a line
with the largest gap and its adjusted p-value, then one line per group with n and its metrics and
intervals, on stdout (results), the numbers equal to metrics.json's.

Found by the evaluation walk: the subgroups went to metrics.json and report.html, and the terminal
said nothing about them (only a warning for a small group). The bundle is an untrained network with
the records a trained one has, so the answer does not depend on training.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli


def _data(root: Path) -> tuple[Path, Path]:
    """A test-only manifest of 68 random 28 px PNGs (neg/pos alternating) and an attributes CSV:
    site A and B (32 each) and C (4, too small: warned), and a sex column coded 0/1 (34 each)."""
    from PIL import Image

    rng = np.random.default_rng(7)
    (root / "img").mkdir(parents=True)
    sites = ["A"] * 32 + ["B"] * 32 + ["C"] * 4
    with (root / "manifest.csv").open("w", newline="") as fh, (root / "attrs.csv").open("w", newline="") as fa:
        data, attrs = csv.writer(fh), csv.writer(fa)
        data.writerow(["path", "label", "split"])
        attrs.writerow(["id", "site", "sex"])
        for i, site in enumerate(sites):
            rel = f"img/{i}.png"
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(root / rel)
            data.writerow([rel, ["neg", "pos"][i % 2], "test"])
            attrs.writerow([rel, site, i // 2 % 2])
    return root / "manifest.csv", root / "attrs.csv"


def test_evaluate_prints_the_subgroups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, attrs = _data(tmp_path / "data")
    bundle = tiny_image_bundle(tmp_path / "b", label_names=["neg", "pos"], decision={"rule": "youden", "threshold": 0.5},
                               training={"seed": 0, "val_fraction": 0.2})
    out = tmp_path / "ev"
    res = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--attributes", str(attrs), "--out", str(out),
                   "--bootstrap", "50", "--no-verify", "--no-report"], capsys)
    assert res.code == 0, res.err
    subgroups = json.loads((out / "metrics.json").read_text())["subgroups"]
    lines = res.out.splitlines()
    for attribute in ("site", "sex"):
        head = next(line for line in lines if line.startswith(f"subgroups by {attribute}: "))
        gap = subgroups[attribute]["largest_gap"]
        assert f"adjusted p={gap['p_adjusted']:.3g} over {gap['n_comparisons']} comparisons" in head
        high, low = gap["between"]
        assert f"{gap['values'][0]:.3f} in {high} vs {gap['values'][1]:.3f} in {low}" in head
        for value, group in subgroups[attribute]["groups"].items():
            line = next(line for line in lines if line.startswith(f"  {value}: n={group['n']} "))
            auc, sens = group["auc"], group["sensitivity"]
            assert f"AUC {auc['estimate']:.3f} ({auc['bca'][0]:.3f}–{auc['bca'][1]:.3f})" in line
            assert f"sensitivity {sens['estimate']:.3f} ({sens['bca'][0]:.3f}–{sens['bca'][1]:.3f})" in line
            assert ("(subgroup warning)" in line) == bool(group["warning"])
    assert subgroups["site"]["groups"]["C"]["warning"]  # 4 cases: warned, so the gap is between A and B
    assert "subgroups by" not in res.err  # results on stdout, the warning lines on stderr
    assert "warning: subgroup site=C" in res.err
