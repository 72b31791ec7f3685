"""2D images whose pixels are not square (PixelSpacing or ImagerPixelSpacing rows != columns) are
drawn at their aspect, as volume slices are at their voxel spacing: the overlay PNG stretched along
the longer pixel side, the comparison figure's axes at height/width = dy/dx, and the JSON says how
(``spacing``, ``figure_pixels``). They were drawn with square pixels, squashing the anatomy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.integration.cli_helpers import run_cli
from tests.unit.data.test_dicom_voi import write_xray
from tests.unit.explain.test_peak_and_spacing import _drawn_ratios

H, W = 30, 40  # rows, columns
DY, DX = 0.2, 0.1  # mm: each pixel twice as tall as wide, so the picture is 6 mm x 4 mm


def test_the_comparison_axes_are_at_the_pixel_aspect_and_say_so() -> None:
    from meddx.explain.figures import comparison_figure

    image = np.random.default_rng(0).random((1, H, W))
    maps = {"gradcam": np.random.default_rng(1).random((7, 7)), "occlusion": np.random.default_rng(2).random((7, 7))}
    fig = comparison_figure(image, maps, spacing=(DY, DX))
    assert [ax.get_aspect() for ax in fig.axes] == [pytest.approx(DY / DX)] * 3  # was 1.0 ("equal")
    assert _drawn_ratios(fig) == [pytest.approx(H * DY / (W * DX), rel=0.02)] * 3
    assert "pixels drawn to scale: spacing 0.2 x 0.1 mm (y x x)" in [t.get_text() for t in fig.texts]
    square = comparison_figure(image, maps)
    assert _drawn_ratios(square) == [pytest.approx(H / W, rel=0.02)] * 3


@pytest.mark.parametrize("spacing,shape", [
    ((DY, DX), (2 * H, W)),  # taller pixels: rows stretched
    ((DX, DY), (H, 2 * W)),  # wider pixels: columns stretched
    ((0.1, 0.1), (H, W)),  # square
    (None, (H, W)),
    ((0.0, 0.1), (H, W)),  # a broken header: square
    ((5.0, 0.1), (H, W)),  # an aspect of 50: taken for a header error, not a 50-fold PNG
])
def test_the_overlay_png_is_the_image_at_its_pixel_aspect(tmp_path: Path, spacing: tuple | None,
                                                          shape: tuple) -> None:
    from meddx.explain.figures import overlay_png

    image = np.random.default_rng(0).random((1, H, W))
    path = overlay_png(image, np.random.default_rng(1).random((7, 7)), tmp_path / "o.png", spacing=spacing)
    with Image.open(path) as png:
        assert (png.height, png.width) == shape


def test_a_stretched_overlay_keeps_the_picture(tmp_path: Path) -> None:
    """Each stored row, drawn twice as tall, is still where it was: a bright top half stays the top half."""
    from meddx.explain.figures import overlay_png

    image = np.zeros((1, H, W))
    image[0, : H // 2] = 1.0
    path = overlay_png(image, np.zeros((7, 7)), tmp_path / "o.png", spacing=(DY, DX))
    grey = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert grey.shape == (2 * H, W)
    assert grey[: H - 1].min() > 200 and grey[H + 1:].max() < 50


@pytest.fixture(scope="module")
def bundle_2d(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    root = tmp_path_factory.mktemp("aspect")
    torch.manual_seed(0)
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=28).eval()
    config = {"name": "cr", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": [], "dicom_voi": True}
    bundle = save_bundle(root / "b", net=net, config=config, metrics={}, model_card="# card")
    pixels = np.random.default_rng(0).integers(0, 4096, size=(H, W))
    scan = write_xray(root / "cr.dcm", pixels, modality="CR", ImagerPixelSpacing=[DY, DX])
    return bundle, scan


def test_explain_cli_draws_a_dicom_with_non_square_pixels_at_its_aspect(bundle_2d, tmp_path: Path, capsys,
                                                                      monkeypatch) -> None:
    import meddx.explain.figures as figures

    bundle, scan = bundle_2d
    drawn: list = []
    save = figures._save_figure
    monkeypatch.setattr(figures, "_save_figure", lambda fig, path, **k: drawn.append(fig) or save(fig, path, **k))
    out = tmp_path / "out"
    result = run_cli(["explain", str(bundle), str(scan), "-m", "gradcam", "-m", "occlusion", "--out", str(out),
                      "--json"], capsys)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["spacing"] for r in rows] == [[DY, DX]] * 2
    assert all(r["figure_pixels"] == "pixels drawn to scale: spacing 0.2 x 0.1 mm (y x x)" for r in rows)
    overlays = sorted(p for p in out.glob("*.png") if not p.name.endswith("-methods.png"))
    assert len(overlays) == 2
    for p in overlays:
        with Image.open(p) as png:
            assert (png.height, png.width) == (2 * H, W)  # was (H, W): 3 mm tall for 4 mm wide
    (fig,) = drawn  # the comparison of the two methods
    assert [ax.get_aspect() for ax in fig.axes] == [pytest.approx(DY / DX)] * 3


def test_the_server_draws_an_uploaded_xray_at_its_pixel_aspect_as_the_cli_does(bundle_2d) -> None:
    """POST /predict?explain=gradcam with the CR of 0.2 x 0.1 mm pixels: the server's overlay was drawn
    with square pixels (3 mm tall for 4 mm wide) while ``meddx explain`` drew the same file to scale."""
    import base64
    import io

    from tests.unit.explain.test_peak_and_spacing import served_explanation

    bundle, scan = bundle_2d
    out = served_explanation(bundle, Path(scan).read_bytes())
    with Image.open(io.BytesIO(base64.b64decode(out["explanation"]["overlay_png_base64"]))) as png:
        scale = png.width // W  # the server draws small images an integer number of times larger
        assert scale >= 1 and (png.height, png.width) == (2 * H * scale, W * scale)  # was (H, W) times scale
