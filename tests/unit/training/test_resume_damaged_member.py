"""``--resume`` of an ensemble whose later network's ``members/<m>/checkpoints/last.ckpt`` is damaged:
refused on one line naming that file, before anything trains.

Found by review: only the run folder's ``last.ckpt`` (network 1) was checked. A cut member checkpoint
ended in torch's zip-reader traceback when that network resumed, and one damaged inside (CRC
mismatch, which ``torch.load`` does not check) resumed training from the damaged state.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from meddx.core.errors import ConfigError
from meddx.training.run import resume_config


def _ensemble(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    state = {"state_dict": {"w": torch.arange(4096, dtype=torch.float32)}, "epoch": 3}
    for folder in (run, run / "members" / "1"):
        (folder / "checkpoints").mkdir(parents=True)
        torch.save(state, folder / "checkpoints" / "last.ckpt")
        torch.save(state, folder / "checkpoints" / "best-epoch=002.ckpt")
    (run / "config.json").write_text(json.dumps({"data": "x.csv"}))
    return run


def test_a_cut_later_network_checkpoint_is_refused_naming_it(tmp_path: Path) -> None:
    run = _ensemble(tmp_path)
    last = run / "members" / "1" / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[: len(last.read_bytes()) // 2])
    with pytest.raises(ConfigError, match=r"members/1/checkpoints/last\.ckpt: not a readable checkpoint") as info:
        resume_config(run)
    assert "best-epoch=002.ckpt beside it reads whole" in str(info.value) and "\n" not in str(info.value)


def test_a_later_network_checkpoint_damaged_inside_is_refused(tmp_path: Path) -> None:
    run = _ensemble(tmp_path)
    last = run / "members" / "1" / "checkpoints" / "last.ckpt"
    data = bytearray(last.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 2000):
        data[i] ^= 0xFF
    last.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match=r"members/1/checkpoints/last\.ckpt: not a readable checkpoint"):
        resume_config(run)
