"""Inputs unlike the training images are flagged: the trained synthetic-lesion bundle records its
typicality check, ``meddx predict`` passes its own test images at about the check's quantile and
flags images of other families (stderr line, ``--json`` fields), as the server's answer does;
bundles without the record say so once; colour/grey conversions are named per file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.integration.cli_helpers import run_cli

UNLIKE = "unlike the images bundle"


def _families(root: Path) -> list[str]:
    """28 px pictures of other families than the lesion images' smooth tissue texture."""
    from PIL import Image

    yy, xx = np.mgrid[:28, :28]
    r2 = (yy - 14) ** 2 + (xx - 14) ** 2
    images = {"checker": (yy // 4 + xx // 4) % 2 * 255, "stripes": xx // 3 % 2 * 255,
              "ring": ((r2 < 100) & (r2 > 49)) * 255}
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, array in images.items():
        Image.fromarray(array.astype(np.uint8)).save(root / f"{name}.png")
        paths.append(str(root / f"{name}.png"))
    return paths


def _rows(out: str) -> dict[str, dict]:
    return {row["source"]: row for row in map(json.loads, out.splitlines())}


def test_the_bundle_records_its_check_fitted_on_train_with_a_validation_threshold(trained: dict) -> None:
    config = json.loads((trained["bundle"] / "config.json").read_text())
    record = config["typicality"]
    assert record["fitted_on"] == "train" and record["threshold_on"] == "val" and record["quantile"] == 0.995
    assert (record["n_train"], record["n_val"]) == (300, 100) and record["file"] == "typicality.json"
    assert (trained["bundle"] / "typicality.json").is_file()


def test_predict_passes_its_own_test_images_and_flags_other_families(trained: dict, tmp_path: Path, capsys) -> None:
    own = sorted(str(p) for p in (trained["folder"] / "test").rglob("*.png"))
    others = _families(tmp_path / "others")
    result = run_cli(["predict", str(trained["bundle"]), *own, *others, "--json"], capsys)
    assert result.code == 0, result.err
    rows = _rows(result.out)
    flagged_own = [p for p in own if not rows[p]["typical"]]
    assert len(own) == 200 and len(flagged_own) <= 10  # the 99.5% quantile of 100 validation images: ~1-2 expected
    assert all(rows[p]["typical"] is False for p in others)
    for p in others:
        record = rows[p]["typicality"]
        assert record["distance"] > record["threshold"] and record["quantile"] == 0.995
        assert rows[p]["typicality_warning"].startswith(f"{p}: {UNLIKE} 'lesions'")
    warned = [line for line in result.err.splitlines() if UNLIKE in line]
    assert len(warned) == len(flagged_own) + len(others)  # one line per flagged file, none for the others
    assert "no typicality record" not in result.err


def test_a_bundle_without_the_record_is_not_checked_and_says_so_once(trained: dict, tmp_path: Path, capsys) -> None:
    old = Path(shutil.copytree(trained["bundle"], tmp_path / "old"))
    config = json.loads((old / "config.json").read_text())
    del config["typicality"]
    (old / "config.json").write_text(json.dumps(config))
    (old / "typicality.json").unlink()
    files = _families(tmp_path / "others")
    result = run_cli(["predict", str(old), *files, "--json"], capsys)
    assert result.code == 0, result.err
    rows = _rows(result.out)
    assert all(rows[p]["typicality"] is None and "typical" not in rows[p] for p in files)
    assert result.err.count("has no typicality record") == 1 and UNLIKE not in result.err


def test_a_recorded_check_without_its_file_is_a_one_line_error(trained: dict, tmp_path: Path, capsys) -> None:
    damaged = Path(shutil.copytree(trained["bundle"], tmp_path / "damaged"))
    (damaged / "typicality.json").unlink()
    result = run_cli(["predict", str(damaged), _families(tmp_path / "x")[0]], capsys)
    assert result.code == 2 and "Traceback" not in result.err
    assert f"{damaged / 'typicality.json'}: cannot read the typicality check" in result.err


def test_colour_and_grey_conversions_are_named_per_file(trained: dict, tmp_path: Path, capsys) -> None:
    from PIL import Image

    grey = np.asarray(Image.open(sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[0]))
    colour = np.random.default_rng(0).integers(0, 256, (28, 28, 3), dtype=np.uint8)
    Image.fromarray(np.stack([grey] * 3, -1)).save(tmp_path / "grey_as_rgb.png")
    Image.fromarray(colour).save(tmp_path / "colour.png")
    Image.fromarray(grey).save(tmp_path / "grey.png")
    files = [str(tmp_path / n) for n in ("grey_as_rgb.png", "colour.png", "grey.png")]
    result = run_cli(["predict", str(trained["bundle"]), *files, "--json"], capsys)
    assert result.code == 0, result.err
    rows = _rows(result.out)
    assert rows[files[0]]["channels"] == {"file": 3, "bundle": 1, "read_as": "the mean of its channels (grey)"}
    assert "channels_warning" not in rows[files[0]] and "channels" not in rows[files[2]]
    assert rows[files[1]]["channels_warning"].startswith(f"{files[1]}: a colour picture (3 channels) given to a "
                                                         "greyscale bundle")
    assert [line for line in result.err.splitlines() if "colour picture" in line] == [
        f"warning: {rows[files[1]]['channels_warning']}"]


def test_a_grey_picture_to_a_colour_bundle_is_named(tmp_path: Path, capsys) -> None:
    import torch
    from PIL import Image

    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    torch.manual_seed(0)
    pre = ImagePreprocessor((16, 16), 3).fit([np.arange(768, dtype=np.float32).reshape(3, 16, 16)])
    net = create_model("seed-cnn", in_channels=3, num_classes=2, image_size=16)
    config = {"name": "rgb", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 3, "image_size": 16}, "num_classes": 2},
              "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": []}
    bundle = save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="")
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16), dtype=np.uint8)).save(tmp_path / "g.png")
    result = run_cli(["predict", str(bundle), str(tmp_path / "g.png"), "--json"], capsys)
    assert result.code == 0, result.err
    (row,) = _rows(result.out).values()
    assert row["channels"]["file"] == 1 and row["channels"]["bundle"] == 3
    assert "greyscale picture given to a colour (3-channel) bundle" in row["channels_warning"]
    assert result.err.count("greyscale picture given to a colour") == 1


def test_the_server_answers_with_the_check_and_the_conversion(trained: dict, tmp_path_factory, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from meddx.serving.app import create_app
    from tests.integration.serve_helpers import auth, data_root, make_home, test_settings

    home = make_home(trained["bundle"], tmp_path_factory.mktemp("typicality_serve"))
    monkeypatch.setenv("MEDDX_HOME", str(home["home"]))
    own = sorted((trained["folder"] / "test" / "lesion").glob("*.png"))[0]
    other = Path(_families(tmp_path_factory.mktemp("others"))[0])
    colour = tmp_path_factory.mktemp("colour") / "c.png"
    from PIL import Image

    Image.fromarray(np.random.default_rng(0).integers(0, 256, (28, 28, 3), dtype=np.uint8)).save(colour)
    with data_root(home["home"]), TestClient(create_app(test_settings())) as client:
        def post(path: Path) -> dict:
            r = client.post("/v1/models/lesions/predict", headers=auth(home["viewer"]),
                            files={"file": (path.name, path.read_bytes(), "image/png")})
            assert r.status_code == 200, r.text
            return r.json()

        mine, theirs, painted = post(own), post(other), post(colour)
    from meddx.bundle.bundle import load_bundle

    expected = load_bundle(trained["bundle"]).predict_files([other])[0].extra
    assert mine["typical"] is True and "typicality_warning" not in mine
    assert theirs["typical"] is False and theirs["typicality"] == pytest.approx(expected["typicality"])
    assert theirs["typicality_warning"].startswith(f"the uploaded image: {UNLIKE} 'lesions'")
    assert painted["channels"]["file"] == 3 and "colour picture" in painted["channels_warning"]


@pytest.mark.realdata
def test_a_real_ct_slice_is_flagged_by_the_lesion_bundle(trained: dict, shared_data: Path, capsys) -> None:
    """A real CT slice (pydicom's test file) is no synthetic lesion image: far beyond the threshold
    (~114 against ~21). This small seed CNN trained on synthetic blobs passes pydicom's MR and NM
    samples (14 and 15): its coarse features are no guarantee, see docs/typicality.md."""
    files = [str(shared_data / "dicom-samples" / "CT_small.dcm")]
    result = run_cli(["predict", str(trained["bundle"]), *files, "--json"], capsys)
    assert result.code == 0, result.err
    rows = _rows(result.out)
    assert all(rows[f]["typical"] is False for f in files)
