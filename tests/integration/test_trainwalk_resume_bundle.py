"""``meddx train --resume`` given a bundle folder names the run folder to resume instead.

Found walking issue 2's training item as a user: the path a run prints last is its ``bundle:``
folder, and ``--resume`` of it said only "nothing to resume (no checkpoints/last.ckpt)", as for an
empty folder; the bundle's ``config.json`` records the run it came from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_cli


def test_resume_of_a_bundle_folder_names_its_run(tmp_path: Path, meddx_home: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundles" / "small" / "v1"
    bundle.mkdir(parents=True)
    (bundle / "weights.safetensors").write_bytes(b"\0" * 8)
    run = tmp_path / "runs" / "small-20261125-120000"
    (bundle / "config.json").write_text(json.dumps({"format": 1, "training": {"run_dir": str(run)}}))
    result = run_cli(["train", "--resume", str(bundle)], capsys)
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"meddx: error: {bundle}: a bundle folder, not a run folder; --resume takes the run folder it came from: "
        f"meddx train --resume {run}"]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli(["train", "--resume", str(empty)], capsys)  # an empty folder: as before
    assert result.err.strip() == f"meddx: error: {empty}: nothing to resume (no checkpoints/last.ckpt)"
