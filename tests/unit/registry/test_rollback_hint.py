"""A rollback that cannot happen suggests a promote command; running that command must work."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from meddx.bundle.bundle import save_bundle
from meddx.models.registry import create_model
from meddx.registry.store import register_bundle, stage_version
from meddx.transforms.image import ImagePreprocessor


def _bundle(path: Path, name: str) -> Path:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": name, "task": "binary", "label_names": ["a", "b"], "preprocessing": pre.to_dict(),
              "model": {"name": "seed-cnn", "args": {}, "num_classes": 2}, "training": {"data": "synthetic"}}
    return save_bundle(path, net=create_model("seed-cnn"), config=config, metrics={}, model_card="")


@pytest.mark.parametrize("stage", ["staging", "production"])
def test_the_suggested_promote_command_moves_the_stage_rolled_back(stage: str, tmp_path: Path,
                                                                    meddx_home: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Found by a docs walk: `meddx registry rollback xray --stage staging` with nothing promoted
    suggested `meddx registry promote xray VERSION`, which moves production, not staging."""
    register_bundle(_bundle(tmp_path / "one", "xray"))
    code, _, err = _meddx(["registry", "rollback", "xray", "--stage", stage], capsys)
    assert code == 2 and err.startswith("meddx: error: cannot roll back"), err
    suggested = re.search(r"`meddx (registry promote [^`]+)`", err)
    assert suggested, err
    code, out, err = _meddx(shlex.split(suggested.group(1).replace("VERSION", "1")), capsys)
    assert code == 0, err
    assert stage_version("xray", stage) == 1 and out.startswith(f"xray {stage}: v1")


def _meddx(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the console entry point (the one-line error handling included): exit code, stdout, stderr."""
    from meddx.cli.main import main

    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
