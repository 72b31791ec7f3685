"""``meddx predict`` of one file gives the probability ``meddx evaluate`` wrote for it, to the bit.

Found by measurement: ``predict`` ran a lone file in a pass of one, ``evaluate`` ran the split in one
pass of 8, and on CPU the two passes run other kernels, so the two probabilities of one PNG differed
by a float32 step (``bundle.pass_rows`` now pads every pass)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli
from tests.integration.test_evaluate_fitted_split_warning import _bundle, _manifest  # 24 PNGs, 8 a split


def _csv_probs(path: Path) -> dict[str, float]:
    with path.open() as fh:
        return {row["id"]: float(row["p_pos"]) for row in csv.DictReader(fh)}


def test_predict_one_file_matches_evaluate_predictions_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(tmp_path / "data")
    bundle = _bundle(tmp_path / "b", manifest)
    out = tmp_path / "ev"
    ev = run_cli(["evaluate", str(bundle), "--data", str(manifest), "--split", "test", "--out", str(out),
                  "--bootstrap", "0", "--no-verify", "--no-report"], capsys)
    assert ev.code == 0, ev.err
    written = _csv_probs(out / "predictions.csv")
    assert len(written) == 8
    ids = sorted(written)
    files = {sid: next((tmp_path / "data" / "img").glob(f"{Path(sid).stem}.png")) for sid in ids}
    alone = {}
    for sid in ids[:3]:  # each file on its own, as `meddx predict one.png` runs it
        res = run_cli(["predict", str(bundle), str(files[sid]), "--json"], capsys)
        assert res.code == 0, res.err
        alone[sid] = json.loads(res.out.strip().splitlines()[0])["probabilities"]["pos"]
    three = run_cli(["predict", str(bundle), *(str(files[s]) for s in ids[:3]), "--json"], capsys)
    together = [json.loads(line)["probabilities"]["pos"] for line in three.out.strip().splitlines()]
    assert [alone[s] for s in ids[:3]] == [written[s] for s in ids[:3]] == together
