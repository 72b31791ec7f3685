"""Editing ``seg_tta`` before ``--resume`` is honoured: it acts only after the last epoch, as ``tta`` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from meddx.training.config import TrainConfig
from meddx.training.resume_edits import _check_config


def test_a_seg_tta_edit_is_honoured_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started = TrainConfig(data="x").model_dump(mode="json")
    _check_config(tmp_path, TrainConfig(data="x", seg_tta="off"), started, None)
    assert 'edits a resume honours (they act after training): seg_tta "off" (was "auto")' in capsys.readouterr().err
