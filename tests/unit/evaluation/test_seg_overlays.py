"""Overlay PNGs (2D and 3D) and the segmentation HTML report."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from PIL import Image

from meddx.core.errors import DataError
from meddx.evaluation.measure import measurement_errors
from meddx.evaluation.seg_metrics import case_metrics, summarize_cases
from meddx.evaluation.seg_overlays import PRED_COLOURS, TRUTH_COLOURS, overlay_png, write_overlays
from meddx.evaluation.seg_report import render_seg_report, write_seg_report

NAMES = ["background", "liver", "tumour"]


def _has_colour(rgb: np.ndarray, colour: tuple[int, int, int]) -> int:
    return int(np.all(rgb == np.array(colour, dtype=np.uint8), axis=-1).sum())


def _case_2d(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = rng.normal(100, 20, (1, 96, 128)).astype(np.float32)
    rows, cols = np.indices((96, 128))
    truth = ((rows - 48) ** 2 + (cols - 60) ** 2 <= 25**2).astype(np.int64)
    truth[40:50, 55:65] = 2
    pred = ((rows - 50) ** 2 + (cols - 66) ** 2 <= 24**2).astype(np.int64)
    return image, truth, pred


def _panels(rgb: np.ndarray, header_rows: int) -> int:
    """Number of panels: runs of image columns separated by all-background columns."""
    body = rgb[header_rows:]
    gap = np.all(np.all(body == np.array((24, 24, 24), dtype=np.uint8), axis=-1), axis=0)
    return int(np.sum(np.diff(np.concatenate([[0], (~gap).astype(int)])) == 1))


def test_overlay_2d_png_with_truth_and_prediction_colours(tmp_path) -> None:
    image, truth, pred = _case_2d()
    path = overlay_png(tmp_path / "sub" / "case.png", image, truth, pred, NAMES, title="case 1")
    assert path.exists() and not list(path.parent.glob("*.tmp"))
    im = Image.open(path)
    im.load()
    assert im.format == "PNG" and im.mode == "RGB"
    rgb = np.asarray(im)
    assert max(rgb.shape[:2]) <= 512 + 80
    body = rgb[60:]  # below the legend
    assert _has_colour(body, TRUTH_COLOURS[0]) > 50  # liver truth outline
    assert _has_colour(body, PRED_COLOURS[0]) > 50  # liver prediction outline
    assert _has_colour(body, TRUTH_COLOURS[1]) > 10  # tumour truth (no tumour predicted)
    assert _has_colour(body, PRED_COLOURS[1]) == 0


def test_overlay_without_truth_and_downscaled(tmp_path) -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 4000, (2, 1000, 700)).astype(np.int16)
    pred = np.zeros((1000, 700), dtype=np.int64)
    pred[300:700, 200:500] = 1
    rgb = np.asarray(Image.open(overlay_png(tmp_path / "p.png", image, None, pred, NAMES)))
    assert rgb.shape[0] <= 512 + 80 and rgb.shape[1] <= 512
    assert _has_colour(rgb, PRED_COLOURS[0]) > 50 and _has_colour(rgb[40:], TRUTH_COLOURS[0]) == 0


def test_overlay_3d_has_three_panels(tmp_path) -> None:
    rng = np.random.default_rng(2)
    image = rng.normal(size=(1, 40, 60, 50))
    truth = np.zeros((40, 60, 50), dtype=np.int64)
    truth[10:30, 20:40, 15:35] = 1
    pred = np.roll(truth, 3, axis=2)
    path = overlay_png(tmp_path / "v.png", image, truth, pred, ["bg", "organ"], title=None)
    rgb = np.asarray(Image.open(path))
    header = int(np.flatnonzero(~np.all(rgb[:, 0] == (24, 24, 24), axis=-1))[0])
    assert _panels(rgb, header) == 3
    assert rgb.shape[1] > 2.5 * (rgb.shape[0] - header)
    assert _has_colour(rgb[header:], TRUTH_COLOURS[0]) > 0 and _has_colour(rgb[header:], PRED_COLOURS[0]) > 0


def test_overlay_errors(tmp_path) -> None:
    image, truth, pred = _case_2d()
    with pytest.raises(DataError, match="spatial shape"):
        overlay_png(tmp_path / "x.png", image, truth[:10], pred, NAMES)
    with pytest.raises(DataError, match="image"):
        overlay_png(tmp_path / "x.png", np.zeros((1, 2, 3, 4, 5)), None, np.zeros((2, 3, 4, 5)), NAMES)


def test_write_overlays_names(tmp_path) -> None:
    image, truth, pred = _case_2d()
    paths = write_overlays(tmp_path, [("pt/1 a", image, truth, pred), ("pt/1 a", image, None, pred)], NAMES)
    assert [p.name for p in paths] == ["pt_1_a.png", "pt_1_a_2.png"]
    assert all(p.exists() for p in paths)


def _summary(seed: int) -> dict:
    image, truth, pred = _case_2d(seed)
    rows = [{"id": f"c{i}", "metrics": case_metrics(np.roll(pred, i, axis=1), truth, NAMES)} for i in range(6)]
    return summarize_cases(rows, NAMES, n_resamples=50, distance_unit="voxels")


def test_report_has_classes_tables_and_images(tmp_path) -> None:
    image, truth, pred = _case_2d()
    png = overlay_png(tmp_path / "worst.png", image, truth, pred, NAMES, title="worst")
    metrics = {"label_names": NAMES, "val": _summary(0),
               "test": {**_summary(1), "measurement": measurement_errors([180.0, 170.5, None, 150.0],
                                                                         [181.0, 168.0, 160.0, 149.0],
                                                                         unit="mm", n_resamples=50)}}
    html = render_seg_report(metrics, title="Liver <seg>", overlays={"Worst test cases": [str(png)],
                                                                    "Best": [str(tmp_path / "missing.png")]})
    assert html.startswith("<!DOCTYPE html>") and "Liver &lt;seg&gt;" in html and "<script" not in html
    for name in ("liver", "tumour", "Validation split", "Test split", "Measurement", "HD95", "Mean absolute error"):
        assert name in html
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 1 and base64.b64decode(images[0]) == png.read_bytes()
    assert "Worst test cases" in html and "Overlay not found" in html
    out = write_seg_report(tmp_path / "r" / "report.html", _summary(2), title="single")
    text = out.read_text()
    assert "Summary" in text and "liver" in text and "data:image/png" not in text


def test_report_named_measurements() -> None:
    volumes = {f"volume_{n}": measurement_errors([1.0, 2.0, 3.0], [1.5, 2.0, 2.5], unit="mL", n_resamples=0)
               for n in ("liver", "tumour")}
    html = render_seg_report({**_summary(3), "split": "test", "measurement": volumes}, title="vol")
    assert "Measurement: volume liver" in html and "Measurement: volume tumour" in html
    assert "Mean absolute error (mL)" in html and "<dd>test</dd>" in html
