"""Segmentation evaluation integrity: units never mixed, measurements per axis and unbiased,
per-case measurements written, source classes read truthfully, outputs never collide or go stale,
training cases found in any layout. Synthetic data with known answers."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from meddx.core.errors import DataError, LeakageError
from meddx.data.synthetic_seg import write_seg_folder


def _hc_predictor(ellipse: str = "moments") -> object:
    from meddx.bundle.seg_predictor import SegPredictor

    p = SegPredictor.__new__(SegPredictor)
    p.label_names, p.largest_component, p.ellipse = ["background", "head"], {}, ellipse
    p.measurement, p.preprocessor = "head_circumference", SimpleNamespace(spatial_dims=2)
    return p


def _ellipse_map(h: int, w: int, a: float, b: float) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w].astype(float)
    return ((((xx - w / 2) / a) ** 2 + ((yy - h / 2) / b) ** 2) < 1).astype(float)


# --- D5: non-square pixels ----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["moments", "contour"])
def test_head_circumference_with_non_square_pixels_is_measured_per_axis(method: str) -> None:
    from meddx.bundle.seg_predictor import SegOutput
    from meddx.evaluation.measure import head_circumference_mm

    # 200 x 100 px semi-axes, columns 0.1 mm and rows 0.2 mm: a circle of radius 20 mm
    m = _ellipse_map(300, 500, 200, 100)
    out = SegOutput(labels=m.astype(np.uint8), probs=np.stack([1 - m, m]).astype(np.float32))
    truth = 2 * math.pi * 20
    assert head_circumference_mm(m.astype(np.uint8), (0.2, 0.1), method) == pytest.approx(truth, abs=0.15)
    assert _hc_predictor(method).measure(out, (0.2, 0.1))["head_circumference_mm"] == pytest.approx(truth, abs=0.15)
    # square pixels: the single number and the pair agree
    assert head_circumference_mm(m, 0.1, method) == pytest.approx(head_circumference_mm(m, (0.1, 0.1), method))


# --- D6: soft moments unbiased at blurred edges ---------------------------------------------------
@pytest.mark.parametrize("shape,axes,sigma", [((96, 128), (40, 28), 2.0), ((540, 800), (250, 180), 5.0)])
def test_soft_moment_hc_is_unbiased_on_a_blurred_ellipse(shape: tuple[int, int], axes: tuple[int, int],
                                                         sigma: float) -> None:
    from scipy import ndimage

    from meddx.bundle.seg_predictor import SegOutput
    from meddx.evaluation.measure import ellipse_from_mask, ellipse_perimeter

    fg = np.clip(ndimage.gaussian_filter(_ellipse_map(*shape, *axes), sigma), 0, 1)
    probs = np.stack([1 - fg, fg]).astype(np.float32)
    p = _hc_predictor()
    written = p.postprocess(SegOutput(labels=probs.argmax(0).astype(np.uint8), probs=probs))
    hc = p.measure(written, (0.1, 0.1))["head_circumference_mm"]
    truth = ellipse_perimeter(*axes) * 0.1
    assert hc == pytest.approx(truth, rel=1e-3)  # the one-sided band was 0.4-0.5% low here
    # the mask predict writes (rasterised: its own moments are within a few tenths of a percent)
    assert ellipse_from_mask(written.labels).perimeter * 0.1 == pytest.approx(hc, rel=3e-3)


# --- D7: per-case HC in cases.csv ---------------------------------------------------------------
def test_case_table_writes_head_circumference_per_case(tmp_path: Path) -> None:
    from meddx.evaluation.seg_metrics import write_case_table

    metrics = {"head": {"dice": 0.9, "iou": 0.8, "hd95": 1.0, "asd": 0.5, "volume_true": 10.0, "volume_pred": 11.0}}
    rows = [{"id": "a", "metrics": metrics, "hc_mm": 171.25, "hc_reference_mm": 170.0},
            {"id": "b", "metrics": metrics, "hc_mm": None, "hc_reference_mm": 99.5}]
    with open(write_case_table(tmp_path / "cases.csv", rows, ["background", "head"]), newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [(r["hc_mm"], r["hc_reference_mm"]) for r in table] == [("171.25", "170"), ("", "99.5")]


# --- D1: pixel sizes for some cases only ----------------------------------------------------------
def _manifest(tmp_path: Path, sizes: list[str]) -> Path:
    data = write_seg_folder(tmp_path / "shapes", n=len(sizes), size=32, seed=2)
    lines = ["image,mask,pixel_size_mm"] + [f"images/case_{i:03d}.png,labels/case_{i:03d}.png,{s}"
                                            for i, s in enumerate(sizes)]
    path = data / "manifest.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_manifest_with_pixel_sizes_for_some_cases_only_is_refused(tmp_path: Path) -> None:
    from meddx.data.segmentation import load_seg_source

    path = _manifest(tmp_path, ["0.2", "", "0.2", "n/a", "0.2", "0.2"])
    with pytest.raises(DataError, match=r"pixel_size_mm .* 2 case\(s\) \(case_001, case_003\)"):
        load_seg_source(path)
    lenient = load_seg_source(path, test_fraction=0, val_fraction=0, lenient_labels=True)  # data verify reports it
    assert any("case_001, case_003" in n for n in lenient.notes)
    for sizes in (["0.2"] * 6, [""] * 6):  # all or none: one unit
        load_seg_source(_manifest(tmp_path / sizes[0], sizes))


def test_evaluate_split_refuses_cases_with_and_without_spacing() -> None:
    from meddx.data.segmentation import SegCase
    from meddx.evaluation.seg_evaluate import SegEvalSettings, evaluate_split

    mask = np.zeros((8, 8), dtype=np.int64)
    mask[2:6, 2:6] = 1
    cases = [SegCase(f"c{i}", mask[None].astype(np.float32), mask, sp, None, f"c{i}.png", f"c{i}_m.png", {})
             for i, sp in enumerate([(0.5, 0.5), None])]
    source = SimpleNamespace(origin="mixed", split=lambda s: _Split(2), load_case=lambda s, i: cases[i],
                             spatial_dims=2)
    predictor = SimpleNamespace(label_names=["background", "fg"], measurement=None,
                                predict_case=lambda img, sp: SimpleNamespace(labels=mask.astype(np.uint8)))
    with pytest.raises(DataError, match=r"case c1 .* no spacing .* case c0"):
        evaluate_split(predictor, source, "test", SegEvalSettings(n_resamples=0))


class _Split:
    def __init__(self, n: int) -> None:
        self.ids, self.patient_ids = [f"c{i}" for i in range(n)], None

    def __len__(self) -> int:
        return len(self.ids)


# --- D8: the source's own classes -----------------------------------------------------------------
def _bundle(names: list[str], dims: int = 2, **training: object) -> SimpleNamespace:
    return SimpleNamespace(label_names=names, spatial_dims=dims, name="b3", config={"training": training})


def test_source_classes_are_read_not_forced_and_mapped_or_refused(tmp_path: Path) -> None:
    from meddx.data.segmentation import load_seg_source
    from meddx.evaluation.seg_as_trained import align_seg_labels, check_seg_compatible

    data = write_seg_folder(tmp_path / "two", n=6, size=32, classes=2, seed=3)
    (data / "labels.json").unlink()  # values {0, 1} without names
    source = load_seg_source(data, test_fraction=0, val_fraction=0)
    assert source.label_names == ["background", "foreground"]
    bundle = _bundle(["background", "ellipse", "box"])
    warnings = align_seg_labels(bundle, source)
    check_seg_compatible(bundle, source)
    assert source.label_names == bundle.label_names and "['box']" in warnings[0] and "no class ['box']" in source.notes[-1]
    assert set(np.unique(source.load_case("train", 0).mask)) <= {0, 1}
    # named classes map by name: a source naming only "box" puts its value 1 on the bundle's 2
    (data / "labels.json").write_text(json.dumps({"0": "background", "1": "box"}))
    named = load_seg_source(data, test_fraction=0, val_fraction=0)
    align_seg_labels(bundle, named)
    assert set(np.unique(named.load_case("train", 0).mask)) == {0, 2}
    # an unknown class, and other dimensions, are refused with the source's own classes
    (data / "labels.json").write_text(json.dumps({"0": "background", "1": "tumour"}))
    other = load_seg_source(data, test_fraction=0, val_fraction=0)
    align_seg_labels(bundle, other)
    with pytest.raises(DataError, match=r"classes \['background', 'tumour'\] \(from its names file\)"):
        check_seg_compatible(bundle, other)
    (data / "labels.json").unlink()
    fresh = load_seg_source(data, test_fraction=0, val_fraction=0)
    volume = _bundle(["background", "left", "right"], dims=3)
    assert align_seg_labels(volume, fresh) == []
    with pytest.raises(DataError, match=r"2D images with classes \['background', 'foreground'\] \(inferred"):
        check_seg_compatible(volume, fresh)


# --- D4: output folders ---------------------------------------------------------------------------
def test_default_folders_differ_for_sources_with_the_same_name(tmp_path: Path) -> None:
    from meddx.evaluation.output_dirs import comparison_dir, evaluation_dir

    (tmp_path / "a" / "img").mkdir(parents=True)
    (tmp_path / "b" / "img").mkdir(parents=True)
    one, two = (evaluation_dir(tmp_path, "img", tmp_path / s / "img", "test") for s in "ab")
    assert one != two and one.name.startswith("img-test-")
    assert evaluation_dir(tmp_path, "img", str(tmp_path / "a" / "img") + "/", "test") == one  # same source: same
    assert comparison_dir(tmp_path, tmp_path / "x", "b", "img", tmp_path / "a" / "img", "test") != comparison_dir(
        tmp_path, tmp_path / "y", "b", "img", tmp_path / "a" / "img", "test")


def test_reused_folder_keeps_no_stale_overlays_and_loses_nothing_on_failure(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.evaluation import seg_evaluate
    from meddx.evaluation.seg_evaluate import STAGED_OVERLAYS, write_outputs

    out = tmp_path / "ev"
    (out / "overlays").mkdir(parents=True)
    for name in ("worst-old1.png", "best-old2.png", "worst-c1.png"):
        (out / "overlays" / name).write_bytes(b"old")
    (out / "metrics.json").write_text("{}")
    metrics = {"split": "test", "overlays": {"worst": [str(out / "overlays" / "worst-c1.png")], "best": []}}
    rows = [{"id": "c1", "metrics": {"fg": {"dice": 1.0}}}]

    def stage() -> None:
        (out / STAGED_OVERLAYS).mkdir(exist_ok=True)
        (out / STAGED_OVERLAYS / "worst-c1.png").write_bytes(b"new")

    stage()
    monkeypatch.setattr("meddx.evaluation.seg_report.write_seg_report", _boom)
    with pytest.raises(OSError):
        write_outputs(out, metrics, rows, ["background", "fg"], title="t")
    assert sorted(p.name for p in (out / "overlays").iterdir()) == ["best-old2.png", "worst-c1.png", "worst-old1.png"]
    assert (out / "overlays" / "worst-c1.png").read_bytes() == b"old" and (out / "metrics.json").read_text() == "{}"
    monkeypatch.undo()
    stage()
    write_outputs(out, metrics, rows, ["background", "fg"], title="t")
    assert [p.name for p in (out / "overlays").iterdir()] == ["worst-c1.png"]
    assert (out / "overlays" / "worst-c1.png").read_bytes() == b"new" and not (out / STAGED_OVERLAYS).exists()
    assert json.loads((out / "metrics.json").read_text())["overlays"] == metrics["overlays"]
    assert seg_evaluate.STAGED_OVERLAYS not in {p.name for p in out.iterdir()}


def _boom(*args: object, **kwargs: object) -> None:
    raise OSError("disk full")


# --- D2/D3: training cases found through another layout --------------------------------------------
def test_training_cases_are_found_by_image_content_in_another_layout(tmp_path: Path) -> None:
    from meddx.core.files import file_digest
    from meddx.data.segmentation import load_seg_source
    from meddx.evaluation.seg_seen import check_unseen

    data = write_seg_folder(tmp_path / "pairs", n=10, size=32, seed=4)
    trained = load_seg_source(data, test_fraction=0.2, val_fraction=0.1, seed=0)
    cases = {s: {"ids": list(trained.split(s).ids), "image_sha256": [file_digest(p) for p in trained.split(s).images]}
             for s in ("train", "val")}
    bundle = _bundle(["background", "ellipse"], data=str(data), cases=cases)
    assert check_unseen(bundle, trained, "test", str(data)) == []  # its own test split: unseen
    flat = tmp_path / "flat"  # the same images as a flat folder, carved with another seed
    flat.mkdir()
    for i in range(10):
        shutil.copy(data / "images" / f"case_{i:03d}.png", flat / f"scan{i}.png")
        shutil.copy(data / "labels" / f"case_{i:03d}.png", flat / f"scan{i}_mask.png")
    other = load_seg_source(flat, test_fraction=0.5, val_fraction=0, seed=7)
    with pytest.raises(LeakageError, match=r"of 5 test cases of .*flat were training data of bundle 'b3' .*image content"):
        check_unseen(bundle, other, "test", str(flat))
    warned = check_unseen(bundle, other, "train", str(flat))  # asked for knowingly: a warning
    assert warned and "not held-out" in warned[0]
    assert "not checked" in check_unseen(_bundle(["background", "ellipse"]), other, "test", str(flat))[0]
