"""DICOM by content through the CLI and the server, as a hospital export names its files: ``data
verify`` names the patient that a folder (or manifest) of DICOM files called ``.png`` shares across
splits, ``predict`` reads a DICOM without preamble named ``.png`` as the same image, and a DICOM
segmentation given for an image is refused in one line by ``predict`` and with a 422 by ``serve``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bundle_helpers import tiny_image_bundle
from cli_helpers import one_line, run_cli

from tests.dicom_slices import PATIENT_NAME
from tests.integration.serve_helpers import auth, data_root, make_home, test_settings
from tests.unit.data.test_dicomwalk_kinds import _png_named_folder, _seg
from tests.unit.serving.serving_samples import dicom_bytes

pytest.importorskip("pydicom")

PREDICT = "/v1/models/cxr/predict"


def _bare(raw: bytes) -> bytes:
    """A DICOM file's bytes without preamble and file meta, as some viewers export them."""
    import pydicom

    ds = pydicom.dcmread(io.BytesIO(raw))
    ds.preamble = None
    del ds.file_meta
    out = io.BytesIO()
    ds.save_as(out, implicit_vr=True, little_endian=True, enforce_file_format=False)
    return out.getvalue()


# ------------------------------------------------------------------------------ data verify
def test_verify_names_the_patient_a_png_named_dicom_folder_shares(tmp_path: Path, capsys) -> None:
    root = _png_named_folder(tmp_path / "export")
    manifest = tmp_path / "export.csv"
    with open(manifest, "w", newline="") as fh:
        rows = [(str(p), p.parent.name, p.parent.parent.name) for p in sorted(root.rglob("*.png"))]
        csv.writer(fh).writerows([("path", "label", "split"), *rows])
    for source, report in ((root, tmp_path / "folder.json"), (manifest, tmp_path / "manifest.json")):
        result = run_cli(["data", "verify", str(source), "--report", str(report)], capsys)
        assert result.code == 1, result.err  # leakage: P00 on train and test
        overlap = json.loads(report.read_text())["patient_overlap"]
        assert [(o["patient_id"], o["splits"]) for o in overlap] == [("P00", {"train": 1, "test": 1})]
        assert "P00" not in result.out + result.err  # the terminal counts; the report names, as for a CSV column
        assert PATIENT_NAME not in result.out + result.err + report.read_text()


# ------------------------------------------------------------------------------ predict
@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return tiny_image_bundle(tmp_path / "cxr", label_names=["normal", "lesion"], decision={"threshold": 0.5},
                             training={})


def test_predict_reads_dicom_by_content_whatever_its_name(bundle: Path, tmp_path: Path, capsys) -> None:
    raw = dicom_bytes(np.random.default_rng(0).integers(0, 256, (28, 28)).astype(np.uint8))
    files = {"x.dcm": raw, "viewer.png": raw[132:], "bare.jpg": _bare(raw), "IM0001.IMA": raw}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = run_cli(["predict", str(bundle), *(str(tmp_path / n) for n in files), "--json"], capsys)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [Path(r["source"]).name for r in rows] == list(files)
    for row in rows[1:]:
        assert row["probabilities"] == pytest.approx(rows[0]["probabilities"], abs=1e-6)
    folder = run_cli(["predict", str(bundle), str(tmp_path), "--json"], capsys)  # a folder finds all four
    assert sorted(Path(json.loads(line)["source"]).name for line in folder.out.splitlines()) == sorted(files)


def test_predict_refuses_a_segmentation_in_one_line(bundle: Path, tmp_path: Path, capsys) -> None:
    seg = _seg(tmp_path / "liver_seg.png")
    line = one_line(run_cli(["predict", str(bundle), str(seg)], capsys))
    assert line.startswith(f"meddx: error: {seg}: cannot decode image (a DICOM Segmentation Storage object")
    assert "P-SEG" not in line


# ------------------------------------------------------------------------------ serve
@pytest.fixture
def client(bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from fastapi.testclient import TestClient

    from meddx.serving.app import create_app

    home = make_home(bundle, tmp_path / "home")
    monkeypatch.setenv("MEDDX_HOME", str(home["home"]))
    with data_root(home["home"]), TestClient(create_app(test_settings())) as c:
        c.key = home["viewer"]
        yield c


def test_serve_reads_a_dicom_named_png_and_refuses_a_segmentation(client: Any, tmp_path: Path) -> None:
    raw = dicom_bytes(np.random.default_rng(1).integers(0, 256, (28, 28)).astype(np.uint8))

    def post(name: str, data: bytes) -> Any:
        return client.post(PREDICT, headers=auth(client.key), files={"file": (name, data, "image/png")})

    as_dcm, as_png = post("x.dcm", raw), post("scan.png", raw)  # the type is the content's, not the name's
    assert as_dcm.status_code == as_png.status_code == 200, as_png.text
    assert as_png.json()["probabilities"] == pytest.approx(as_dcm.json()["probabilities"], abs=1e-6)
    refused = post("Doe-Jane-seg.png", _seg(tmp_path / "seg.dcm").read_bytes())
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "Segmentation Storage" in detail and "Doe-Jane" not in detail and str(tmp_path) not in detail
