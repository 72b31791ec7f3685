"""``meddx train --resume`` and ``meddx evaluate BUNDLE --split val`` on the val samples the run
carved, after the near-copy search changed (here: monkeypatched to find nothing), through the CLI.

Before the membership was recorded, the resume was refused ("the carving changed") and evaluate
re-carved, and silently scored, another validation set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from tests.unit.data.test_carve_near_copies import _image_folder


def test_resume_and_evaluate_read_back_the_carved_val(tmp_path: Path, meddx_home: Path, capsys,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import meddx.data.carve_groups as carve_groups

    root, _ = _image_folder(tmp_path / "images", n=12)
    first = run_cli(["train", "--data", str(root), "--model", "seed-cnn", "--epochs", "1", "--name", "carveids",
                     "--no-progress"], capsys)
    assert first.code == 0, first.err
    run_dir = next((meddx_home / "runs").iterdir())
    data = json.loads((run_dir / "data.json").read_text())
    bundle = meddx_home / "bundles" / "carveids" / "v1"
    out = tmp_path / "ev1"
    ev = run_cli(["evaluate", str(bundle), "--data", str(root), "--split", "val", "--out", str(out),
                  "--bootstrap", "0", "--no-verify", "--no-report"], capsys)
    assert ev.code == 0, ev.err
    started_val = _scored_ids(out)

    monkeypatch.setattr(carve_groups, "_image_groups", lambda *args, **kwargs: [])  # the search changed
    from meddx.data.sources import load_source

    assert sorted(load_source(root).split("val").ids) != started_val  # a carve now: another val
    plan = json.loads((run_dir / "plan.json").read_text())
    (run_dir / "plan.json").write_text(json.dumps({**plan, "epochs": 2}))
    resumed = run_cli(["train", "--resume", str(run_dir), "--no-progress"], capsys)
    assert resumed.code == 0, resumed.err  # was: "the carving changed"
    for version in ("v1", "v2"):
        out = tmp_path / f"ev-{version}"
        ev = run_cli(["evaluate", str(bundle.parent / version), "--data", str(root), "--split", "val", "--out",
                      str(out), "--bootstrap", "0", "--no-verify", "--no-report"], capsys)
        assert ev.code == 0, ev.err
        assert _scored_ids(out) == started_val
    assert len(started_val) == data["val_membership"]["n_val"]


def _scored_ids(out: Path) -> list[str]:
    with (out / "predictions.csv").open(newline="") as fh:
        return sorted(row["id"] for row in csv.DictReader(fh))
