"""A DICOM series sent to ``POST /v1/models/{name}/predict`` as one ZIP: the answer is the one
``meddx predict BUNDLE SERIES_DIR`` gives for the folder the ZIP was made from (probabilities of
a 3D classifier; the NIfTI-gz mask of a 3D segmenter, byte for byte), the archive is checked
before and while it is unpacked, and no patient data from the headers reaches an answer, a log
line or an audit row.

The series are written with pydicom in the test: an axial CT of 16 slices 16 x 16, 0.8 mm
pixels 1.5 mm apart, files named after the patient (as some exports name them) and written in
reverse position order, so that ordering comes from the positions, not the names.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import stat
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.dicom_slices import write_ct_slice
from tests.integration.cli_helpers import run_cli
from tests.integration.serve_helpers import auth, data_root, test_settings

PHI = ("DOE^JANE", "DOE", "JANE", "MRN-4471")


def write_series(folder: Path, n: int = 16, size: int = 16, series: str = "1.2.826.0.1.3680043.8.498.1",
                 seed: int = 0, positions: list[float] | None = None) -> Path:
    """An axial CT series (int16 with a rescale), one file per slice, named after the patient."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    volume = rng.integers(0, 400, (n, size, size)).astype(np.int16)
    volume[n // 4: 3 * n // 4, 4:12, 4:12] += 600  # a bright block: something to segment and classify
    zs = positions if positions is not None else [1.5 * k for k in range(n)]
    for k, plane in enumerate(volume):
        write_ct_slice(folder / f"DOE_JANE_{n - k:04d}.dcm", plane, series=series, number=k + 1,
                       position=[-6.0, -6.0, float(zs[k])], spacing=[0.8, 0.8], thickness=1.5)
    return folder


def zip_folder(folder: Path, prefix: str = "DOE_JANE/", extra: dict[str, bytes] | None = None) -> bytes:
    """The folder's files zipped under ``prefix`` (as an export zips its folder), plus ``extra`` entries."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if prefix:
            zf.writestr(prefix, b"")  # the folder's own entry
        for f in sorted(folder.iterdir()):
            zf.write(f, prefix + f.name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def _classifier(tmp: Path) -> None:
    """A 3D seed-CNN trained one epoch on 16^3 volumes (its answers need only be the CLI's)."""
    from meddx.cli.main import main
    from meddx.data.synthetic import make_lesion_source

    for dims, size in ((3, (16, 16, 16)), (2, (16, 16))):
        source = make_lesion_source(24, 8, 8, size=size, seed=dims, contrast=2.0)
        arrays = {}
        for split, data in source.splits.items():
            arrays[f"{split}_images"], arrays[f"{split}_labels"] = data.images[:, 0], data.labels[:, None]
        np.savez(tmp / f"v{dims}d.npz", **arrays)
        try:
            main(["train", "--data", str(tmp / f"v{dims}d.npz"), "--model", "seed-cnn", "--epochs", "1",
                  "--name", f"cls{dims}d", "--no-progress", "--seed", "0"])
        except SystemExit as exc:
            assert not exc.code, f"training cls{dims}d failed ({exc.code})"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fastapi.testclient import TestClient

    from meddx.registry.store import register_bundle
    from meddx.serving.app import create_app
    from meddx.serving.auth import create_key
    from tests.integration.bundle_helpers import tiny_seg_bundle

    root = tmp_path_factory.mktemp("serve_dicom_zip")
    with data_root(root / "home") as home:
        _classifier(root)
        register_bundle(tiny_seg_bundle(root / "vol3d", "vol3d", dims=3, size=None, patch=[16, 16, 16],  # untrained
                                        channels=[8, 16], overlap=0.25, spacing=[1.0, 1.0, 1.5],
                                        orientation="RAS", seed=3))
        viewer, _ = create_key("viewer", "radiology")
        admin, _ = create_key("admin", "ops")
        settings = test_settings(max_upload_mb=2, max_unzipped_mb=1, max_zip_entries=64)
        series = write_series(root / "DOE_JANE")
        with TestClient(create_app(settings)) as client:
            yield {"client": client, "viewer": viewer, "admin": admin, "home": home, "app": client.app,
                   "series": series, "zip": zip_folder(series), "root": root}


def _post(served: dict, model: str, data: bytes, query: str = "") -> Any:
    return served["client"].post(f"/v1/models/{model}/predict{query}", headers=auth(served["viewer"]),
                                 files={"file": ("DOE_JANE.zip", data, "application/zip")})


def _registered(served: dict, name: str) -> str:
    return served["app"].state.manager.models[name].path


def test_a_series_zip_gets_the_cli_probabilities_of_its_folder(served: dict, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(served["home"]))
    r = _post(served, "cls3d", served["zip"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["input"]["kind"] == "dicom-zip" and body["input"]["bytes"] == len(served["zip"])
    result = run_cli(["predict", _registered(served, "cls3d"), str(served["series"]), "--json"], capsys)
    assert result.code == 0, result.err
    row = json.loads(result.out.strip().splitlines()[-1])
    assert body["probabilities"] == row["probabilities"] and body["label"] == row["label"]
    # the same slices zipped flat, without a folder entry, with macOS and hidden debris: the same answer
    flat = zip_folder(served["series"], prefix="", extra={"__MACOSX/._DOE_JANE_0001.dcm": b"\x00\x05\x16\x07",
                                                         ".DS_Store": b"Bud1", "DICOMDIR": b"junk",
                                                         "README.txt": b"exported by a viewer"})
    again = _post(served, "cls3d", flat).json()
    assert again["probabilities"] == body["probabilities"], again


def test_a_series_zip_gets_the_cli_nifti_mask_of_its_folder(served: dict, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDDX_HOME", str(served["home"]))
    r = _post(served, "vol3d", served["zip"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mask"]["encoding"] == "nifti-gz" and body["input"]["kind"] == "dicom-zip"
    assert body["geometry"]["shape"] == [16, 16, 16] and body["geometry"]["spacing_from"] == "file"
    assert body["geometry"]["spacing_mm"] == pytest.approx([1.5, 0.8, 0.8])
    result = run_cli(["predict", _registered(served, "vol3d"), str(served["series"]), "--output",
                      str(tmp_path / "cli"), "--json"], capsys)
    assert result.code == 0, result.err
    written = tmp_path / "cli" / "DOE_JANE_mask.nii.gz"
    assert base64.b64decode(body["mask"]["base64"]) == written.read_bytes()
    row = json.loads(result.out.strip().splitlines()[-1])
    assert body["structures"]["lesion"]["voxels"] == row["voxels"]["lesion"]
    assert body["measurements"] == {"volume_ml": row["volume_ml"]}


def _zip(entries: dict[str, bytes], symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _lying_zip(series: Path) -> bytes:
    """A ZIP whose headers declare its first file 100 bytes long while it unpacks to more."""
    data = bytearray(zip_folder(series, prefix=""))
    first = sorted(series.iterdir())[0]
    true_size = first.stat().st_size.to_bytes(4, "little")
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    for offset in (local + 22, central + 24):  # uncompressed size in the local header and the directory entry
        assert bytes(data[offset:offset + 4]) == true_size
        data[offset:offset + 4] = (100).to_bytes(4, "little")
    return bytes(data)


def _refusals(served: dict, tmp: Path) -> dict[str, tuple[str, bytes, int, str, str]]:
    from tests.unit.serving.serving_samples import png_bytes

    series = served["series"]
    second = write_series(tmp / "second", n=6, series="1.2.826.0.1.3680043.8.498.2", seed=1)
    gap = write_series(tmp / "gap", positions=[1.5 * k for k in range(8)] + [1.5 * k for k in range(9, 17)])
    files = {f.name: f.read_bytes() for f in sorted(series.iterdir())}
    return {
        "several series": ("cls3d", zip_folder(series, extra={f"b/{f.name}": f.read_bytes()
                                                              for f in second.iterdir()}),
                           422, "several-series", "2 DICOM series (16 and 6"),
        "a zip of pictures": ("cls3d", _zip({f"p{i}.png": png_bytes(np.full((8, 8), i)) for i in range(3)}),
                              415, "unsupported-media-type", "3 picture"),
        "a 2D classifier": ("cls2d", served["zip"], 422, "wrong-dimensions", "reads 2D images"),
        "a missing slice": ("vol3d", zip_folder(gap), 422, "malformed-image", "between file #9 and file #8"),
        "path traversal": ("cls3d", _zip({"../../etc/x.dcm": b"x", **files}), 422, "unsafe-zip", "'..'"),
        "an absolute name": ("cls3d", _zip({"/tmp/x.dcm": b"x"}), 422, "unsafe-zip", "absolute"),
        "a symbolic link": ("cls3d", _zip(files, symlink="link.dcm"), 422, "unsafe-zip", "symbolic link"),
        "too many entries": ("cls3d", _zip({f"{i}.txt": b"" for i in range(65)}), 413, "zip-too-large", "65 entries"),
        "a zip bomb": ("cls3d", _zip({"bomb.dcm": bytes(5 * 1024 * 1024)}), 413, "zip-too-large", "5.0 MB"),
        "a lying header": ("cls3d", _lying_zip(series), 422, "malformed-zip", "file #1"),
        "a corrupt zip": ("cls3d", b"PK\x03\x04" + bytes(200), 422, "malformed-zip", "cannot be read"),
    }


CASES = ["several series", "a zip of pictures", "a 2D classifier", "a missing slice", "path traversal",
         "an absolute name", "a symbolic link", "too many entries", "a zip bomb", "a lying header", "a corrupt zip"]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_series_zip_is_a_problem_naming_what_was_found(served: dict, tmp_path: Path, case: str) -> None:
    model, data, status, slug, words = _refusals(served, tmp_path)[case]
    r = _post(served, model, data)
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json", r.text
    body = r.json()
    assert body["type"] == f"urn:meddx:problem:{slug}" and words in body["detail"], body
    assert not any(p in r.text for p in PHI) and "meddx-upload-" not in r.text and "1.2.826" not in r.text
    assert _post(served, "cls3d", served["zip"]).status_code == 200  # the server stays healthy


def test_no_patient_data_reaches_answers_logs_or_the_audit(served: dict, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    import pydicom

    from meddx.serving.quiet_logs import PYDICOM

    bad = write_series(tmp_path / "bad", n=4)
    first = sorted(bad.iterdir())[0]
    ds = pydicom.dcmread(first)
    del ds.RescaleSlope  # a header value the reader cannot use (LO, not DS): Python's message would quote it
    ds.add_new(0x00281053, "LO", "DOE^JANE")
    ds.save_as(first, enforce_file_format=True)
    caplog.set_level(logging.DEBUG)
    logging.getLogger(PYDICOM).setLevel(logging.DEBUG)
    try:
        texts = [_post(served, m, served["zip"]).text for m in ("cls3d", "vol3d")]
        texts.append(_post(served, "cls3d", zip_folder(bad)).text)
    finally:
        logging.getLogger(PYDICOM).setLevel(logging.NOTSET)
    assert json.loads(texts[-1])["status"] == 422, texts[-1]
    served["app"].state.audit.flush()
    rows = served["client"].get("/v1/audit", headers=auth(served["admin"])).json()["rows"]
    assert rows and all(r["input_kind"] in ("dicom-zip",) for r in rows[:2])
    seen = "\n".join(texts) + "\n" + json.dumps(rows) + "\n" + "\n".join(r.getMessage() for r in caplog.records)
    assert not [p for p in PHI if p in seen], [line for line in seen.splitlines() if any(p in line for p in PHI)]

