"""``meddx explain``'s warning for an image unlike the training images comes from the explanation's own
prediction pass: before, the CLI ran ``predict_files`` over the inputs again only to judge them, one
more forward pass of the network. The warning is the one ``meddx predict`` gives, and a bundle with
the typicality record runs the network exactly as often as the same bundle without it."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from tests.integration.bundle_helpers import tiny_image_bundle
from tests.integration.cli_helpers import run_cli


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An untrained seed CNN without a typicality record, the same network with one fitted on noise
    images, and two inputs: a noise image like those and a blank one unlike them."""
    from PIL import Image

    from meddx.bundle.bundle import load_bundle, save_bundle
    from meddx.bundle.typicality import FILE, fit_for_bundle

    root = tmp_path_factory.mktemp("explain_typicality")
    plain = tiny_image_bundle(root / "plain", label_names=["normal", "lesion"], decision={"threshold": 0.5},
                              training={})
    predictor = load_bundle(plain)
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (1, 28, 28), dtype=np.uint8) for _ in range(64)]
    val_features: list = []
    predictor.predict_tensor(predictor.preprocess(noise[40:]), calibrated=False, features=val_features)
    summary, data = fit_for_bundle(predictor, predictor.preprocess(noise[:40]).numpy(), np.arange(40) % 2,
                                   val_features, "binary")
    config = json.loads((plain / "config.json").read_text())
    config["typicality"] = summary
    checked = save_bundle(root / "checked", net=predictor.net, config=config, metrics={}, model_card="",
                          extra_files={FILE: data})
    Image.fromarray(np.full((28, 28), 200, np.uint8)).save(root / "blank.png")
    Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(root / "noise.png")
    return {"plain": plain, "checked": checked, "blank": root / "blank.png", "noise": root / "noise.png",
            "root": root}


def _explain(bundles: dict[str, Path], which: str,
             capsys: pytest.CaptureFixture[str]) -> tuple[list[tuple[int, bool]], str]:
    """The network's forward passes during ``meddx explain`` of both inputs with two methods (batch size,
    and whether it was a prediction pass, under inference mode, rather than an attribution's), and stderr."""
    import torch

    from meddx.models.vision import SeedCNN

    passes: list[tuple[int, bool]] = []
    forward = SeedCNN.forward

    def counting(self, x):  # type: ignore[no-untyped-def]
        passes.append((len(x), torch.is_inference_mode_enabled()))
        return forward(self, x)

    with mock.patch.object(SeedCNN, "forward", counting):
        result = run_cli(["explain", str(bundles[which]), str(bundles["blank"]), str(bundles["noise"]),
                          "-m", "saliency", "-m", "gradcam", "-o", str(bundles["root"] / f"out-{which}")], capsys)
    assert result.code == 0, result.err
    return passes, result.err


def test_the_warning_is_predict_s_and_costs_no_forward_pass(bundles: dict[str, Path],
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from meddx.bundle.bundle import load_bundle

    plain_passes, plain_err = _explain(bundles, "plain", capsys)
    checked_passes, checked_err = _explain(bundles, "checked", capsys)
    # was one more (predict_files over both inputs, for the warning), and one prediction pass per method
    assert checked_passes == plain_passes
    from meddx.bundle.pass_rows import BLOCK_ROWS

    # one per image, padded with copies of it to a block (bundle.pass_rows: the same bits as in a batch)
    assert [size for size, predicting in checked_passes if predicting] == [BLOCK_ROWS, BLOCK_ROWS]
    assert "unlike the images" not in plain_err
    predicted = load_bundle(bundles["checked"]).predict_files([bundles["blank"], bundles["noise"]])
    expected = [f"warning: {p.extra['typicality_warning']}" for p in predicted if p.extra.get("typicality_warning")]
    assert len(expected) == 1 and str(bundles["blank"]) in expected[0]  # the blank image only
    assert [line for line in checked_err.splitlines() if "unlike the images" in line] == expected  # once per image
