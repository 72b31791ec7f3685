"""The peak an explanation reports is the point its figure shows (the largest |attribution|), and
volume figures draw voxels at the spacing the file records, saying which spacing they used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.explain.api import Explanation
from tests.integration.cli_helpers import run_cli


def _explanation(attribution: np.ndarray, method: str = "integrated-gradients") -> Explanation:
    return Explanation(source="x", method=method, target="pos", probability=0.9,
                       attribution=attribution.astype(np.float32), seconds=0.0)


def test_the_json_peak_of_a_signed_map_is_its_largest_absolute_value_with_its_sign():
    a = np.array([[0.2, -0.9], [0.5, 0.1]])  # signed maximum 0.5 at (1, 0); |maximum| 0.9 at (0, 1)
    row = _explanation(a).to_dict()
    assert row["peak"] == [0, 1] and row["peak_value"] == pytest.approx(-0.9)
    everywhere_negative = _explanation(np.array([-0.01, -0.02, -3.0, 0.0]), "occlusion").to_dict()
    assert everywhere_negative["peak"] == [2] and everywhere_negative["peak_value"] == pytest.approx(-3.0)
    cam = _explanation(np.array([[0.0, 0.3], [0.7, 0.1]]), "gradcam").to_dict()  # non-negative: its maximum
    assert cam["peak"] == [1, 0] and cam["peak_value"] == pytest.approx(0.7)
    assert _explanation(np.zeros(0)).to_dict()["peak"] is None


def test_a_small_peak_value_keeps_its_size_and_sign():
    """Gradients of a logit on normalised pixels can be 1e-7: rounded to 6 decimals, the peak's
    value read 0.0 (or -0.0), which says nothing of its size and hides the sign it is there for."""
    row = _explanation(np.array([[1e-8, -3.4e-7], [2e-7, 0.0]])).to_dict()
    assert row["peak"] == [0, 1] and row["peak_value"] == pytest.approx(-3.4e-7, rel=1e-5)
    assert _explanation(np.array([0.1234567891, -0.01])).to_dict()["peak_value"] == pytest.approx(0.123457, abs=1e-9)


def _titles(fig) -> list[str]:  # type: ignore[no-untyped-def]
    return [ax.get_title() for ax in fig.axes]


def test_the_volume_figure_slices_through_the_json_peak():
    from meddx.explain.figures import image_peak, volume_figure

    attr = np.zeros((4, 4, 4))
    attr[1, 2, 3] = -2.0  # the largest |value|, negative
    attr[3, 0, 0] = 1.0   # the signed maximum
    volume = np.random.default_rng(0).random((1, 8, 8, 8))
    peak = _explanation(attr).to_dict()["peak"]
    assert peak == [1, 2, 3]
    mapped = image_peak(attr, (8, 8, 8))
    assert mapped == (3, 5, 7)  # the centre of model voxel (1, 2, 3) on the 2x finer volume grid
    assert _titles(volume_figure(volume, attr)) == ["axial 3", "coronal 5", "sagittal 7"]


def _drawn_ratios(fig) -> list[float]:  # type: ignore[no-untyped-def]
    """Height / width of each slice as drawn on the canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    boxes = [ax.get_window_extent() for ax in fig.axes]
    return [b.height / b.width for b in boxes]


def test_volume_slices_are_drawn_at_the_voxel_spacing_and_the_figure_says_so():
    from meddx.explain.figures import volume_figure

    volume = np.random.default_rng(1).random((1, 8, 40, 40))  # 8 slices of 5 mm, 40 x 40 pixels of 0.7 mm
    attr = np.random.default_rng(2).random((8, 40, 40))
    axial, coronal, sagittal = _drawn_ratios(volume_figure(volume, attr, spacing=(5.0, 0.7, 0.7)))
    assert axial == pytest.approx(1.0, rel=0.02)
    assert coronal == pytest.approx(8 * 5.0 / (40 * 0.7), rel=0.02)  # 40 mm tall, 28 mm wide
    assert sagittal == pytest.approx(8 * 5.0 / (40 * 0.7), rel=0.02)
    fig = volume_figure(volume, attr, spacing=(5.0, 0.7, 0.7))
    assert "voxels drawn to scale: spacing 5 x 0.7 x 0.7 mm (z x y x x)" in [t.get_text() for t in fig.texts]
    square = volume_figure(volume, attr, spacing=None)
    assert _drawn_ratios(square)[1] == pytest.approx(8 / 40, rel=0.02)
    assert "voxels drawn square: no voxel spacing recorded" in [t.get_text() for t in square.texts]
    broken = volume_figure(volume, attr, spacing=(0.0, 0.7, 0.7))  # a header with a zero spacing
    assert _drawn_ratios(broken)[1] == pytest.approx(8 / 40, rel=0.02)
    assert any("drawn square" in t.get_text() for t in broken.texts)


@pytest.fixture(scope="module")
def bundle_3d(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import nibabel as nib

    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    root = tmp_path_factory.mktemp("spacing")
    torch.manual_seed(0)
    pre = ImagePreprocessor((12, 12, 12), 1).fit([np.arange(960, dtype=np.float32).reshape(1, 6, 10, 16)])
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=12, spatial_dims=3).eval()
    config = {"name": "ct", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 3,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 12, "spatial_dims": 3},
                        "num_classes": 2}, "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    bundle = save_bundle(root / "b", net=net, config=config, metrics={}, model_card="# card")
    # nibabel's axes are (x, y, z): 16 x 10 voxels of 0.7 mm in plane, 6 slices of 5 mm
    scan = root / "ct.nii.gz"
    nib.save(nib.Nifti1Image(np.random.default_rng(0).random((16, 10, 6)).astype(np.float32),
                             np.diag([0.7, 0.7, 5.0, 1.0])), scan)
    return bundle, scan


def test_explain_cli_draws_a_volume_at_its_spacing_and_records_it(bundle_3d, tmp_path, capsys, monkeypatch):
    import meddx.explain.figures as figures

    bundle, scan = bundle_3d
    drawn: list = []
    save = figures._save_figure
    monkeypatch.setattr(figures, "_save_figure", lambda fig, path, **k: drawn.append(fig) or save(fig, path, **k))
    result = run_cli(["explain", str(bundle), str(scan), "-m", "gradcam", "-m", "occlusion", "--out",
                      str(tmp_path / "out"), "--json"], capsys)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["spacing"] for r in rows] == [[5.0, 0.7, 0.7]] * 2
    assert all(r["figure_voxels"] == "voxels drawn to scale: spacing 5 x 0.7 x 0.7 mm (z x y x x)" for r in rows)
    assert len(drawn) == 2
    for fig in drawn:  # the coronal slice of the (6, 10, 16) volume: 30 mm tall, 11.2 mm wide
        assert _drawn_ratios(fig)[1] == pytest.approx(6 * 5.0 / (16 * 0.7), rel=0.02)
    for row in rows:  # the figure slices through the JSON's peak, mapped to the volume
        assert [ax.get_title() for ax in drawn[rows.index(row)].axes] == \
            [f"{v} {p}" for v, p in zip(["axial", "coronal", "sagittal"], row["image_peak"])]
    assert json.loads((tmp_path / "out" / "explanations.json").read_text())[0]["spacing"] == [5.0, 0.7, 0.7]


def test_a_volume_given_as_an_array_is_drawn_with_square_voxels_and_says_so(bundle_3d, tmp_path, monkeypatch):
    import meddx.explain.figures as figures
    from meddx.explain.api import as_predictor, explain, write_explanations

    bundle, _ = bundle_3d
    predictor = as_predictor(bundle)
    volume = np.random.default_rng(3).random((1, 6, 10, 16)).astype(np.float32)
    (e,) = explain(predictor, [volume], "gradcam")
    assert e.to_dict()["spacing"] is None
    assert e.to_dict()["figure_voxels"] == "voxels drawn square: no voxel spacing recorded"
    drawn: list = []
    save = figures._save_figure
    monkeypatch.setattr(figures, "_save_figure", lambda fig, path, **k: drawn.append(fig) or save(fig, path, **k))
    write_explanations(predictor, [e], [volume], tmp_path / "arr")
    assert _drawn_ratios(drawn[0])[1] == pytest.approx(6 / 16, rel=0.02)


def test_the_server_draws_an_uploaded_volume_at_its_spacing_as_the_cli_does(bundle_3d, monkeypatch):
    """POST /predict?explain=gradcam with the NIfTI of 0.7 x 0.7 x 5 mm voxels: the server drew the
    figure with square voxels (squashed five times along z) while ``meddx explain`` drew the same
    file to scale."""
    import meddx.explain.figures as figures

    bundle, scan = bundle_3d
    drawn: list = []
    save = figures._save_figure
    monkeypatch.setattr(figures, "_save_figure", lambda fig, path, **k: drawn.append(fig) or save(fig, path, **k))
    out = served_explanation(bundle, scan.read_bytes())
    assert out["explanation"]["overlay_png_base64"]
    fig = drawn[-1]  # the answer's figure (the first explanation also draws a warm-up one)
    assert _drawn_ratios(fig)[1] == pytest.approx(6 * 5.0 / (16 * 0.7), rel=0.02)  # was 6 / 16
    assert "voxels drawn to scale: spacing 5 x 0.7 x 0.7 mm (z x y x x)" in [t.get_text() for t in fig.texts]


def test_the_three_slices_of_a_signed_map_share_its_colour_map():
    """A signed map (occlusion, integrated gradients) whose only negative voxel lies in the
    sagittal slice: the axial and coronal slices were drawn in inferno (the colours of a
    non-negative map) and the sagittal one in red/blue, so one value had two colours in one figure."""
    from meddx.explain.figures import volume_figure

    attr = np.full((8, 8, 8), 0.5)
    attr[2, 3, 4], attr[0, 0, 4] = 1.0, -0.8  # the peak; a negative voxel in the x = 4 plane only
    fig = volume_figure(np.zeros((1, 8, 8, 8)), attr)  # a flat image: the colour is the map's alone
    colours = [ax.get_images()[0].get_array()[1, 1] for ax in fig.axes]  # a +0.5 voxel in each slice
    assert [ax.get_title() for ax in fig.axes] == ["axial 2", "coronal 3", "sagittal 4"]
    np.testing.assert_allclose(colours[0], colours[2])
    np.testing.assert_allclose(colours[1], colours[2])
    assert colours[2][0] > colours[2][1] and colours[2][0] > colours[2][2] * 1.5  # red: evidence for the class


def served_explanation(bundle: Path, data: bytes) -> dict:
    """The server's answer to POST /predict?explain=gradcam with ``data``, through its own upload
    reading and explanation code (``serving.routes``), without starting a server."""
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from meddx.bundle.bundle import load_bundle
    from meddx.serving.inputs import _prepare_image
    from meddx.serving.routes import _run

    async def submit(x):  # type: ignore[no-untyped-def]
        return {}

    predictor = load_bundle(bundle)
    served = SimpleNamespace(name=predictor.name, modality="image", predictor=predictor, config=predictor.config,
                             batcher=SimpleNamespace(submit=submit), summary={"explain_methods": ["gradcam"]},
                             explain_lock=threading.RLock(), explainer=None, cam_layer=None)
    from meddx.serving.settings import ServeSettings

    settings = ServeSettings(max_pixels=10**7, max_voxels=10**8)
    payload, raw_input = _prepare_image(served, data, settings)
    with ThreadPoolExecutor(1) as pool:
        request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(executor=pool)))
        return asyncio.run(_run(request, served, payload, raw_input, "gradcam"))
