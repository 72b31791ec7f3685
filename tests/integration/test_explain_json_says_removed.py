"""``meddx explain ... --out DIR --overwrite --json`` says which earlier files it removed.

Found by review: the line ``removed: N files of the earlier run ...`` was printed only with the
table; with ``--json`` the earlier run's files went without a word. Now it goes to stderr, so stdout
stays one JSON line per explanation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.integration.cli_helpers import run_cli


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from meddx.bundle.bundle import save_bundle
    from meddx.data.synthetic import make_lesion_source, write_image_folder
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    root = tmp_path_factory.mktemp("json_removed")
    data = write_image_folder(make_lesion_source(1, 1, 4, size=28, seed=5, contrast=2.0), root / "data")
    pre = ImagePreprocessor((28, 28), 1).fit([np.random.default_rng(0).random((1, 28, 28)).astype(np.float32)])
    torch.manual_seed(0)
    bundle = save_bundle(
        root / "cls", net=create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28).eval(), metrics={},
        model_card="# cls",
        config={"name": "cls", "task": "binary", "label_names": ["normal", "lesion"],
                "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
                "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []})
    return {"bundle": bundle, "images": sorted(str(p) for p in (data / "test").glob("*/*.png"))}


def test_with_json_the_removal_is_said_on_stderr(setup: dict, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out, images = tmp_path / "expl", setup["images"]
    assert len(images) == 4
    first = run_cli(["explain", str(setup["bundle"]), *images, "-m", "saliency", "--out", str(out)], capsys)
    assert first.code == 0, first.err
    again = run_cli(["explain", str(setup["bundle"]), images[0], "-m", "saliency", "--out", str(out), "--overwrite",
                     "--json"], capsys)
    assert again.code == 0, again.err
    assert [json.loads(line)["method"] for line in again.out.splitlines()] == ["saliency"]
    assert "removed: 3 files of the earlier run" in again.err
    assert sorted(p.name for p in out.iterdir()) == [f"0001-{Path(images[0]).name}-saliency.png", "explanations.json"]
