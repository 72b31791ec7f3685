"""``--resume`` of a run whose ``last.ckpt`` is damaged: refused with what to do, never trained on.

Found by an audit: the check was ``zipfile.is_zipfile``, which reads only the archive's end. A
checkpoint damaged inside (2,000 bytes flipped a third of the way in: a bad copy, a failing disk)
passed it, and ``torch.load`` (which checks no CRC) resumed training from the damaged optimiser
state without a word. Every member's CRC-32 is now checked, and the error names the best epoch's
checkpoint when that one reads whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.core.errors import ConfigError
from meddx.training.run import resume_config


def _run_folder(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"data": "x.npz"}))
    state = {"state_dict": {"w": torch.arange(4096, dtype=torch.float32)}, "epoch": 3}
    torch.save(state, run / "checkpoints" / "last.ckpt")
    torch.save(state, run / "checkpoints" / "best-epoch=002.ckpt")
    return run


def _flip(path: Path, start: float, count: int = 2000) -> None:
    data = bytearray(path.read_bytes())
    first = int(len(data) * start)
    for i in range(first, first + count):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_a_checkpoint_damaged_inside_is_refused_naming_the_whole_best_one(tmp_path: Path) -> None:
    run = _run_folder(tmp_path)
    last = run / "checkpoints" / "last.ckpt"
    assert resume_config(run)[1] == run
    _flip(last, 0.3)
    with pytest.raises(ConfigError, match=r"last.ckpt: not a readable checkpoint \(member .* is damaged \(CRC mismatch"
                                          r"\)\); the best epoch's checkpoint best-epoch=002.ckpt beside it reads whole: "
                                          r"copy it over last.ckpt"):
        resume_config(run)


def test_a_truncated_checkpoint_without_a_whole_best_one_says_start_a_new_run(tmp_path: Path) -> None:
    run = _run_folder(tmp_path)
    last = run / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    _flip(run / "checkpoints" / "best-epoch=002.ckpt", 0.3)
    with pytest.raises(ConfigError, match=r"truncated or not written by meddx.*; start a new run$"):
        resume_config(run)
