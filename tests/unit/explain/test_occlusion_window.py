"""``meddx explain --method occlusion --window N [--stride S]``: the occlusion cube chosen on the
command line, checked before any work, passed to Captum and recorded in the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from meddx.core.errors import ConfigError
from meddx.explain.image import image_attributions, occlusion_geometry
from tests.integration.cli_helpers import run_cli

ROWS, COLS = slice(4, 12), slice(8, 16)  # the block the model reads, aligned to a 4 px grid


class _BlockSum2D(nn.Module):
    """logit 0 = sum of the input over one 8x8 block of a 16x16 image (logit 1 = 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1)  # so the input checks know it reads 1-channel 2D images

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = x[:, 0, ROWS, COLS].sum(dim=(1, 2))
        return torch.stack([score, torch.zeros_like(score)], dim=1) + 0 * self.conv.weight.sum()


def _expected(x: np.ndarray, window: int) -> np.ndarray:
    """Occlusion of a block-sum model with non-overlapping windows (stride = window): hiding a
    window lowers the logit by the sum of its pixels inside the block; every pixel of the window
    gets that drop."""
    inside = np.zeros_like(x)
    inside[ROWS, COLS] = x[ROWS, COLS]
    out = np.zeros_like(x)
    for r in range(0, x.shape[0], window):
        for c in range(0, x.shape[1], window):
            out[r:r + window, c:c + window] = inside[r:r + window, c:c + window].sum()
    return out


def test_a_window_and_stride_give_the_known_occlusion_map_of_a_block_sum_model():
    x = torch.rand(1, 1, 16, 16, generator=torch.Generator().manual_seed(0)) + 0.5
    attr = image_attributions(_BlockSum2D(), x, "occlusion", target=0, window=4, stride=4)[0]
    np.testing.assert_allclose(attr, _expected(x[0, 0].numpy(), 4), rtol=1e-5, atol=1e-5)
    assert occlusion_geometry((16, 16), 4, 4) == ((4, 4), (4, 4), 16)
    assert occlusion_geometry((16, 16), 4) == ((4, 4), (2, 2), 49)  # the stride defaults to half the window
    assert occlusion_geometry((40, 40, 40), stride=7) == ((14, 14, 14), (7, 7, 7), 125)  # default 3D window


@pytest.mark.parametrize("window, stride, named, allowed", [(0, None, "window 0", "1 to 16"),
                                                            (-3, None, "window -3", "1 to 16"),
                                                            (17, None, "window 17", "1 to 16"),
                                                            (4, 5, "stride 5", "1 to 4"),
                                                            (4, 0, "stride 0", "1 to 4"),
                                                            (True, None, "window True", "1 to 16")])
def test_a_window_or_stride_outside_the_model_input_is_refused_naming_it(window, stride, named, allowed):
    with pytest.raises(ConfigError, match=f"{named}: expected a whole number from {allowed}"):
        occlusion_geometry((16, 16), window, stride)
    with pytest.raises(ConfigError, match=named):
        image_attributions(_BlockSum2D(), torch.rand(1, 1, 16, 16), "occlusion", target=0, window=window, stride=stride)


@pytest.fixture(scope="module")
def bundle_2d(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from PIL import Image

    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    root = tmp_path_factory.mktemp("occlusion_window")
    torch.manual_seed(0)
    pre = ImagePreprocessor((16, 16), 1).fit([np.arange(256, dtype=np.float32).reshape(1, 16, 16)])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=16).eval()
    config = {"name": "flat", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 16}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    bundle = save_bundle(root / "b", net=net, config=config, metrics={}, model_card="# card")
    image = root / "x.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16), dtype=np.uint8)).save(image)
    return bundle, image


def test_explain_cli_window_and_stride_reach_the_map_and_the_json(bundle_2d, tmp_path, capsys, monkeypatch):
    import meddx.explain.api as api

    bundle, image = bundle_2d
    load = api.as_predictor

    def with_block_sum(b):  # type: ignore[no-untyped-def]
        predictor = load(b)
        predictor.net = _BlockSum2D()
        return predictor

    monkeypatch.setattr(api, "as_predictor", with_block_sum)
    out = tmp_path / "out"
    result = run_cli(["explain", str(bundle), str(image), "--method", "occlusion", "--window", "4", "--stride", "4",
                      "--target", "neg", "--out", str(out), "--json"], capsys)
    assert result.code == 0, result.err
    assert "occlusion: 16 forward passes per image (window 4x4, stride 4x4 of the 16x16 model input)" in result.err
    (row,) = map(json.loads, result.out.splitlines())
    assert row["window"] == [4, 4] and row["stride"] == [4, 4] and row["forward_passes"] == 16
    assert row["target"] == "neg"
    assert json.loads((out / "explanations.json").read_text())[0]["window"] == [4, 4]
    predictor = with_block_sum(bundle)
    x = predictor.preprocess([predictor.read(image)])
    e = api.explain(predictor, [image], "occlusion", target="neg", window=4, stride=4)[0]
    np.testing.assert_allclose(e.attribution, _expected(x[0, 0].numpy(), 4), rtol=1e-4, atol=1e-4)
    assert row["peak"] == [int(i) for i in np.unravel_index(np.abs(e.attribution).argmax(), (16, 16))]
    default = run_cli(["explain", str(bundle), str(image), "-m", "occlusion", "--out", str(tmp_path / "d"), "--json"],
                      capsys)
    assert json.loads(default.out)["window"] == [2, 2] and json.loads(default.out)["stride"] == [1, 1]


@pytest.mark.parametrize("args, message", [
    (["--window", "0"], "--window 0: expected a whole number from 1 to 16 (the smallest side of the 16x16 model"),
    (["--window", "17"], "--window 17: expected a whole number from 1 to 16"),
    (["--window", "-2"], "--window -2: expected a whole number from 1 to 16"),
    (["--window", "4", "--stride", "5"], "--stride 5: expected a whole number from 1 to 4"),
    (["--stride", "0"], "--stride 0: expected a whole number from 1 to 2"),
])
def test_explain_cli_refuses_a_bad_window_or_stride_in_one_line_before_any_work(bundle_2d, tmp_path, capsys,
                                                                               args, message):
    bundle, image = bundle_2d
    out = tmp_path / "never"
    result = run_cli(["explain", str(bundle), str(image), "-m", "occlusion", *args, "--out", str(out)], capsys)
    assert result.code == 2 and message in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert not out.exists()


def test_explain_cli_window_without_occlusion_is_refused_not_ignored(bundle_2d, tmp_path, capsys):
    bundle, image = bundle_2d
    result = run_cli(["explain", str(bundle), str(image), "-m", "gradcam", "--window", "4", "--out",
                      str(tmp_path / "o")], capsys)
    assert result.code == 2 and "--window 4: applies to occlusion only; add -m occlusion" in result.err
    allowed = run_cli(["explain", str(bundle), str(image), "-m", "all", "--window", "4", "--out",
                       str(tmp_path / "all"), "--json"], capsys)
    assert allowed.code == 0, allowed.err
    rows = {r["method"]: r for r in map(json.loads, allowed.out.splitlines())}
    assert rows["occlusion"]["window"] == [4, 4] and "window" not in rows["gradcam"]


def test_explain_evaluate_uses_the_window_and_records_it(bundle_2d, tmp_path, capsys):
    from meddx.data.synthetic import make_lesion_source, write_image_folder

    bundle, _ = bundle_2d
    folder = write_image_folder(make_lesion_source(4, 2, 4, size=16, seed=3, contrast=2.0), tmp_path / "data")
    result = run_cli(["explain", str(bundle), "--evaluate", "--data", str(folder), "-m", "occlusion", "--n", "3",
                      "--window", "4", "--stride", "4", "--json"], capsys)
    assert result.code == 0, result.err
    report = json.loads(next((bundle / "explanations").glob("faithfulness-*-test.json")).read_text())
    assert report["settings"]["occlusion"] == {"window": [4, 4], "stride": [4, 4], "forward_passes": 16}
    bad = run_cli(["explain", str(bundle), "--evaluate", "--data", str(folder), "-m", "occlusion", "--window", "20"],
                  capsys)
    assert bad.code == 2 and "--window 20: expected a whole number from 1 to 16" in bad.err
