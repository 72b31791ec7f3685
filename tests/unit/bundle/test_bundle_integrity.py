"""Damaged bundles found by an audit: each gives one ``BundleError`` naming the file and field.

- a flipped byte in the tensor data of ``weights.safetensors`` loaded silently (safetensors checks
  the header and the data length, not the bytes) and changed the predictions: the data's SHA-256
  is now recorded in the header metadata and checked;
- a bundle from a newer format said only "format 'meddx-bundle/2' is not 'meddx-bundle/1'";
- a config value the preprocessor cannot read (``spatial_size: "x"``) escaped as a bare
  ``ValueError`` traceback, and an unknown model name as a ``ModelError`` naming no file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.core.errors import BundleError


def _edit_config(path: Path, change) -> None:
    config = json.loads((path / "config.json").read_text())
    change(config)
    (path / "config.json").write_text(json.dumps(config))


def test_a_flipped_byte_in_the_tensor_data_is_refused(bundle: Path) -> None:
    load_bundle(bundle)  # intact: loads
    weights = bundle / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"weights.safetensors: tensor data damaged: its SHA-256 is .*'data_sha256'"):
        load_bundle(bundle)


def test_weights_resaved_without_a_checksum_still_load(bundle: Path) -> None:
    from safetensors.torch import load_file, save_file

    weights = bundle / "weights.safetensors"
    save_file(load_file(str(weights)), str(weights))  # e.g. converted by hand: no metadata, not checked
    assert load_bundle(bundle).net is not None


def test_a_bundle_from_a_newer_format_says_to_upgrade(bundle: Path) -> None:
    _edit_config(bundle, lambda c: c.update(format="meddx-bundle/3"))
    (bundle / "meddx_version").write_text("9.1.0\n")
    with pytest.raises(BundleError, match=r"config.json: field 'format' is 'meddx-bundle/3': the bundle was written "
                                          r"by a newer meddx \(its meddx_version file says '9.1.0'\).*upgrade meddx"):
        load_bundle(bundle)


def test_a_missing_format_is_named(bundle: Path) -> None:
    _edit_config(bundle, lambda c: c.pop("format"))
    with pytest.raises(BundleError, match="config.json: field 'format' is missing"):
        load_bundle(bundle)


@pytest.mark.parametrize(("change", "words"), [
    (lambda c: c["preprocessing"].update(spatial_size="x"), "predictor from its fields .*ValueError"),
    (lambda c: c["preprocessing"].pop("mean"), "predictor from its fields .*lacks field 'mean'"),
    (lambda c: c["model"].update(name="resnet-9000"), "network from field 'model': unknown model 'resnet-9000'"),
    (lambda c: c["model"]["args"].update(depth=3), "network from field 'model': .*unknown argument"),
])
def test_a_config_value_the_model_cannot_use_names_the_file(bundle: Path, change, words: str) -> None:
    _edit_config(bundle, change)
    with pytest.raises(BundleError, match=rf"{bundle / 'config.json'}: cannot rebuild the {words}") as info:
        load_bundle(bundle)
    assert "\n" not in str(info.value)


def test_the_same_weights_save_to_the_same_bytes(bundle: Path, tmp_path: Path) -> None:
    """The checksum rides in the header metadata; safetensors writes a metadata map of two keys in
    a varying order, so the header is assembled here: a bundle saved again is bit-identical."""
    from safetensors import safe_open

    net = load_bundle(bundle).net
    config = json.loads((bundle / "config.json").read_text())
    again = [save_bundle(tmp_path / f"again{k}", net=net, config=config, metrics={}, model_card="") for k in range(4)]
    first = (bundle / "weights.safetensors").read_bytes()
    assert all((b / "weights.safetensors").read_bytes() == first for b in again)
    with safe_open(str(bundle / "weights.safetensors"), "pt") as f:
        assert set(f.metadata()) == {"format", "data_sha256"}
