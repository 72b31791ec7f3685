"""Serving segmentation bundles: the served mask is the file ``meddx predict BUNDLE FILE --output
DIR`` writes (byte for byte), with each structure's size, area/volume and bounding box.

A 2D bundle is trained on synthetic shapes (seconds; the known answer is the drawn mask: the
served mask's Dice reaches what the CLI's does); a 3D bundle is built untrained (its masks need
only be masks) and fed a NIfTI whose affine permutes and flips the axes, so that the reorientation
to the bundle's RAS and back is exercised.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.integration.bundle_helpers import tiny_seg_bundle
from tests.integration.cli_helpers import run_cli
from tests.integration.serve_helpers import auth, data_root, test_settings


def _cli(args: list[str]) -> None:
    from meddx.cli.main import main

    try:
        main(args)
    except SystemExit as exc:
        assert not exc.code, f"meddx {' '.join(args)} failed with exit code {exc.code}"


def _permuted_nifti(path: Path) -> Path:
    """A 20 x 18 x 14 volume stored with axes (y, x, z) and x flipped: not RAS, so it is reoriented."""
    import nibabel as nib

    from meddx.data.synthetic_seg import make_seg_case

    image, _ = make_seg_case(np.random.default_rng(4), (20, 18, 14))
    affine = np.array([[0.0, -1.5, 0.0, 30.0], [1.0, 0.0, 0.0, -12.0], [0.0, 0.0, 2.0, 7.0], [0, 0, 0, 1]])
    nib.save(nib.Nifti1Image(image.astype(np.int16), affine), path)
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fastapi.testclient import TestClient

    from meddx.data.synthetic_seg import write_seg_folder
    from meddx.registry.store import register_bundle
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key

    root = tmp_path_factory.mktemp("serve_seg")
    data = write_seg_folder(root / "shapes", n=24, spatial_dims=2, size=32, classes=2, seed=1)
    with data_root(root / "home") as home:
        _cli(["train", "--data", str(data), "--name", "shapes", "--epochs", "6", "--no-progress", "--seed", "0"])
        # untrained 3D U-Net reading volumes in RAS, resampled to 1 x 1 x 1.5 mm
        register_bundle(tiny_seg_bundle(root / "vol3d", "vol3d", dims=3, size=None, patch=[16, 16, 16],
                                        channels=[8, 16], overlap=0.25, spacing=[1.0, 1.0, 1.5],
                                        orientation="RAS", seed=3))
        viewer, _ = create_key("viewer", "radiology")
        admin, _ = create_key("admin", "ops")
        with TestClient(create_app(test_settings(max_upload_mb=2))) as client:
            yield {"client": client, "viewer": viewer, "admin": admin, "home": home, "data": data,
                   "bundle": home / "bundles" / "shapes" / "v1", "volume": _permuted_nifti(root / "scan.nii.gz"),
                   "app": client.app}


def _post(served: dict, model: str, path: Path, query: str = "") -> Any:
    return served["client"].post(f"/v1/models/{model}/predict{query}", headers=auth(served["viewer"]),
                                 files={"file": (path.name, path.read_bytes(), "application/octet-stream")})


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * (a & b).sum() / max(1, a.sum() + b.sum()))


def test_2d_masks_are_the_cli_masks_and_reach_the_known_dice(served: dict, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setenv("MEDDX_HOME", str(served["home"]))
    images = sorted((served["data"] / "images").glob("*.png"))[-6:]
    result = run_cli(["predict", str(served["bundle"]), *map(str, images), "--output", str(tmp_path / "cli")], capsys)
    assert result.code == 0, result.err
    served_dice, cli_dice = [], []
    for image in images:
        r = _post(served, "shapes", image, "?pixel_size=0.5")
        assert r.status_code == 200, r.text
        body = r.json()
        written = (tmp_path / "cli" / f"{image.stem}_mask.png").read_bytes()
        mask = body["mask"]
        raw = base64.b64decode(mask["base64"])
        assert raw == written and mask["encoding"] == "png" and mask["media_type"] == "image/png"
        assert mask["labels"] == {"0": "background", "1": "ellipse"}
        labels = np.asarray(Image.open(io.BytesIO(raw)))
        truth = np.asarray(Image.open(served["data"] / "labels" / image.name)) == 1
        served_dice.append(_dice(labels == 1, truth))
        cli_dice.append(_dice(np.asarray(Image.open(io.BytesIO(written))) == 1, truth))
        ellipse = body["structures"]["ellipse"]
        rows, cols = np.nonzero(labels == 1)
        assert ellipse["voxels"] == len(rows) and ellipse["area_mm2"] == pytest.approx(len(rows) * 0.25)
        assert ellipse["bbox"] == {"min": [int(rows.min()), int(cols.min())], "max": [int(rows.max()), int(cols.max())]}
        assert body["geometry"] == {"shape": [32, 32], "axes": ["row", "column"], "spacing_mm": [0.5, 0.5],
                                    "spacing_from": "pixel_size"}
    assert served_dice == cli_dice and np.mean(served_dice) >= 0.9, served_dice
    # without a pixel size a PNG has no area, and the answer says why; mask=none: measurements only
    body = _post(served, "shapes", images[0], "?mask=none").json()
    assert body["mask"] is None and body["structures"]["ellipse"]["area_mm2"] is None and "pixel_size" in body["note"]


def test_a_reoriented_volume_gets_the_cli_mask_with_its_affine_and_volumes(served: dict, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import nibabel as nib

    monkeypatch.setenv("MEDDX_HOME", str(served["home"]))
    volume = served["volume"]
    r = _post(served, "vol3d", volume)
    assert r.status_code == 200, r.text
    body = r.json()
    raw = base64.b64decode(body["mask"]["base64"])
    assert body["mask"]["encoding"] == "nifti-gz" and body["mask"]["sha256"] == hashlib.sha256(raw).hexdigest()
    mask = nib.Nifti1Image.from_bytes(gzip.decompress(raw))
    source = nib.load(volume)
    assert mask.shape == source.shape and np.allclose(mask.affine, source.affine)
    labels = np.asarray(mask.dataobj)  # the file's own (i, j, k) order; the answer's axes are (z, y, x)
    assert 0 < (labels == 1).mean() < 1, "an untrained net should still mark some voxels"
    lesion = body["structures"]["lesion"]
    zyx = np.nonzero(labels.transpose(2, 1, 0) == 1)
    assert lesion["voxels"] == len(zyx[0])
    assert lesion["bbox"] == {"min": [int(a.min()) for a in zyx], "max": [int(a.max()) for a in zyx]}
    assert body["geometry"] == {"shape": [14, 18, 20], "axes": ["z", "y", "x"], "spacing_mm": [2.0, 1.5, 1.0],
                                "spacing_from": "file"}
    assert lesion["volume_mm3"] == pytest.approx(len(zyx[0]) * 3.0)
    # the same mask and volume as meddx predict --output (the same writer, so the same bytes)
    registered = served["app"].state.manager.models["vol3d"].path
    result = run_cli(["predict", registered, str(volume), "--output", str(tmp_path / "cli"), "--json"], capsys)
    assert result.code == 0, result.err
    written = tmp_path / "cli" / "scan_mask.nii.gz"
    cli_mask = nib.load(written)
    assert np.array_equal(np.asarray(cli_mask.dataobj), labels) and np.allclose(cli_mask.affine, mask.affine)
    assert raw == written.read_bytes()
    row = json.loads(result.out.strip().splitlines()[-1])
    assert lesion["volume_ml"] == pytest.approx(row["volume_ml"]["lesion"])
    assert lesion["voxels"] == row["voxels"]["lesion"]
    assert body["measurements"] == {"volume_ml": row["volume_ml"]}


def test_a_dicom_slice_gets_the_cli_nifti_mask_and_its_pixel_spacing(served: dict, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import pydicom
    from PIL import Image

    from tests.unit.serving.serving_samples import dicom_bytes

    monkeypatch.setenv("MEDDX_HOME", str(served["home"]))
    picture = sorted((served["data"] / "images").glob("*.png"))[-1]
    ds = pydicom.dcmread(io.BytesIO(dicom_bytes(np.asarray(Image.open(picture)))))
    ds.PixelSpacing = [0.7, 0.7]
    ds.save_as(tmp_path / "slice.dcm", enforce_file_format=True)
    body = _post(served, "shapes", tmp_path / "slice.dcm").json()
    result = run_cli(["predict", str(served["bundle"]), str(tmp_path / "slice.dcm"), "--output", str(tmp_path / "cli")],
                     capsys)
    assert result.code == 0, result.err
    assert base64.b64decode(body["mask"]["base64"]) == (tmp_path / "cli" / "slice_mask.nii.gz").read_bytes()
    assert body["geometry"]["spacing_mm"] == [0.7, 0.7] and body["geometry"]["spacing_from"] == "file"
    ellipse = body["structures"]["ellipse"]
    assert ellipse["area_mm2"] == pytest.approx(ellipse["voxels"] * 0.49)
    # the same pixels as a PNG give the same label map: ?mask=png of the slice is the PNG upload's mask
    as_png = _post(served, "shapes", tmp_path / "slice.dcm", "?mask=png").json()["mask"]
    assert as_png["encoding"] == "png" and as_png["sha256"] == _post(served, "shapes", picture).json()["mask"]["sha256"]


@pytest.mark.parametrize(("query", "upload", "status", "slug"), [
    ("?mask=png", "volume", 422, "unsupported-mask-format"),
    ("?explain=auto", "volume", 422, "not-explainable"),
    ("?mask=gif", "volume", 422, "invalid-request"),
    ("", "picture", 422, "wrong-dimensions"),
])
def test_a_volume_model_refuses_what_it_cannot_answer_with_a_problem(served: dict, query: str, upload: str,
                                                                     status: int, slug: str) -> None:
    path = served["volume"] if upload == "volume" else sorted((served["data"] / "images").glob("*.png"))[0]
    r = _post(served, "vol3d", path, query)
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json", r.text
    assert r.json()["type"] == f"urn:meddx:problem:{slug}" and "Traceback" not in r.text


def test_a_picture_model_refuses_a_nifti_mask_and_classifier_parameters_elsewhere(served: dict) -> None:
    image = sorted((served["data"] / "images").glob("*.png"))[0]
    r = _post(served, "shapes", image, "?mask=nifti")
    assert r.status_code == 422 and r.json()["type"].endswith("unsupported-mask-format") and "png" in r.json()["detail"]
    r = served["client"].post("/v1/models/shapes/predict", headers=auth(served["viewer"]), json={"text": "hello"})
    assert r.status_code == 415
    r = served["client"].post("/v1/models/shapes/predict", files={"file": ("a.png", image.read_bytes(), "image/png")})
    assert r.status_code == 401


def test_models_list_the_structures_and_geometry_and_the_audit_keeps_no_image(served: dict) -> None:
    client, viewer = served["client"], auth(served["viewer"])
    listed = client.get("/v1/models", headers=viewer).json()
    entries = {m["name"]: m for m in listed["models"]}
    assert listed["not_servable"] == {} and listed["unavailable"] == {}
    shapes, vol = entries["shapes"], entries["vol3d"]
    assert shapes["task"] == vol["task"] == "segmentation" and shapes["explain_methods"] == []
    assert shapes["structures"] == ["ellipse"] and vol["structures"] == ["lesion"]
    assert shapes["input"]["spatial_dims"] == 2 and shapes["input"]["network_size"] == [32, 32]
    assert vol["input"]["target_spacing_mm"] == [1.0, 1.0, 1.5] and vol["input"]["patch_size"] == [16, 16, 16]
    assert vol["input"]["orientation"] == "RAS" and "auto" in vol["input"]["mask_formats"]
    assert shapes["metrics"]["test_dice"]["ellipse"]["value"] >= 0.9
    detail = client.get("/v1/models/vol3d", headers=viewer).json()
    assert detail["batching"]["max_batch"] == 1  # each case runs alone: shapes differ
    body = _post(served, "vol3d", served["volume"]).json()
    served["app"].state.audit.flush()
    rows = client.get("/v1/audit?model=vol3d", headers=auth(served["admin"])).json()["rows"]
    row = next(r for r in rows if r["request_id"] == body["request_id"])
    output = row["output"] if isinstance(row["output"], dict) else json.loads(row["output"])
    assert output == {"structures": {"lesion": body["structures"]["lesion"]["voxels"]},
                      "mask_sha256": body["mask"]["sha256"]}
    doc = client.get("/openapi.json").json()
    params = {p["name"] for p in doc["paths"]["/v1/models/{name}/predict"]["post"]["parameters"]}
    assert {"mask", "pixel_size", "explain"} <= params
    assert "Segmentation" in doc["components"]["schemas"]


def test_segmentation_runs_in_the_inference_threads(served: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    predictor = served["app"].state.manager.models["vol3d"].predictor
    seen: list[str] = []
    original = predictor.predict_case

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(predictor, "predict_case", recording)
    assert _post(served, "vol3d", served["volume"], "?mask=none").status_code == 200
    assert seen and all(name.startswith("meddx-infer") for name in seen), seen


def test_the_web_page_shows_each_structure_and_its_size(served: dict, tmp_path: Path) -> None:
    """The page read ``probabilities`` of every answer, which a segmentation has not; it lists the
    structures with their volume and bounding box instead, without a script error."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (python) is not installed")
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(exe).exists():
        pytest.skip("no chromium executable")
    from meddx.serving.app import create_app
    from tests.integration.serve_helpers import live_server

    pw = sync_api.sync_playwright().start()
    browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
    try:
        with data_root(served["home"]), live_server(create_app(test_settings(models=["vol3d"]))) as url:
            page = browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.goto(url + "/")
            page.fill("#key", served["viewer"])
            page.click("#signin")
            page.wait_for_selector("#card .card-grid")
            assert "resampled to 1 x 1 x 1.5 mm" in page.inner_text("#card")
            page.set_input_files("#file", str(served["volume"]))
            page.wait_for_selector("#result:not([hidden])")
            cells = page.eval_on_selector_all("#probs tbody tr td", "cells => cells.map(c => c.textContent)")
            assert cells[0] == "lesion" and " mL (" in cells[1] and "(z, y, x)" in cells[2], cells
            assert problems == []
    finally:
        browser.close()
        pw.stop()
