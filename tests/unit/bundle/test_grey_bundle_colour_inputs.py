"""``meddx predict`` with a grey (1-channel) bundle on the files a ward sends: an RGB copy of a
grey picture (PNG or lossless), a 16-bit PNG of it (values x 257) and an RGB JPEG all predict
(exit 0, no error), and the copies of one picture give the grey PNG's probabilities."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli


@pytest.fixture(scope="module")
def grey_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    root = tmp_path_factory.mktemp("grey_bundle")
    torch.manual_seed(0)
    pre = ImagePreprocessor((16, 16), 1).fit([np.arange(256, dtype=np.float32).reshape(1, 16, 16)])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=16).eval()
    config = {"name": "grey", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 16}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    return save_bundle(root / "b", net=net, config=config, metrics={}, model_card="# card")


def test_rgb_and_16_bit_copies_of_a_grey_picture_predict_as_it_does(grey_bundle, tmp_path, capsys):
    from PIL import Image

    grey = np.random.default_rng(0).integers(0, 256, (16, 16), dtype=np.uint8)
    files = {"grey.png": grey, "rgb.png": np.stack([grey] * 3, -1), "grey16.png": grey.astype(np.uint16) * 257}
    for name, array in files.items():
        Image.fromarray(array).save(tmp_path / name)
    colour = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(colour).save(tmp_path / "colour.jpg", quality=90)
    paths = [str(tmp_path / n) for n in [*files, "colour.jpg"]]

    result = run_cli(["predict", str(grey_bundle), *paths, "--json"], capsys)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["source"] for r in rows] == paths
    reference = rows[0]["probabilities"]["pos"]
    for row in rows[1:3]:
        assert row["probabilities"]["pos"] == pytest.approx(reference, abs=1e-6), row["source"]
    assert 0.0 <= rows[3]["probabilities"]["pos"] <= 1.0 and rows[3]["label"] in ("neg", "pos")
