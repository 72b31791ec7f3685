"""``--text`` given to a bundle that does not read documents: ``meddx predict`` and ``meddx explain``
printed a multi-line usage box (not the one-line ``meddx: error:`` every other bad input gets), and
the note text must never be echoed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.integration.cli_helpers import run_cli

NOTE = "Patient Quillfeather Osgood reports chest pain"


def _image_bundle(folder: Path) -> Path:
    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    torch.manual_seed(0)
    images = [np.random.default_rng(i).integers(0, 255, (1, 32, 32), dtype=np.uint8) for i in range(4)]
    pre = ImagePreprocessor((28, 28), 1).fit(images)
    config = {"name": "xray", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5, "rule": "youden"}, "tta": []}
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28).eval()
    return save_bundle(folder, net=net, config=config, metrics={}, model_card="# card")


@pytest.mark.parametrize("command", ["predict", "explain"])
def test_text_for_an_image_bundle_is_one_line_naming_what_it_reads(command: str, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    bundle = _image_bundle(tmp_path / "xray")
    argv = [command, str(bundle), "--text", NOTE] + (["--out", str(tmp_path / "expl")] if command == "explain" else [])
    result = run_cli(argv, capsys)
    assert result.code == 2
    assert result.err.startswith("meddx: error: --text:") and result.err.count("\n") == 1, result.err
    assert "'xray' reads images, not documents" in result.err
    assert "Quillfeather" not in result.out + result.err
    assert not (tmp_path / "expl").exists()
