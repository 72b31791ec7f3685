"""A series bundle's ``baseline.safetensors`` (the boosting baseline beside a network) is protected
as ``weights.safetensors`` is: the SHA-256 of its tensor data is in its header and checked on load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

SPEC = {"name": "logreg", "num_classes": 2, "args": {"num_features": 6}}


def _write_baseline(folder: Path) -> dict[str, Any]:
    from meddx.bundle.series_predictor import series_bundle_files
    from meddx.models.registry import create_model

    torch.manual_seed(0)
    net = create_model(SPEC["name"], num_classes=2, **SPEC["args"])
    for name, data in series_bundle_files({"net": net}).items():
        (folder / name).write_bytes(data)
    return {"baseline": {"spec": SPEC}}


def _load(folder: Path, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``load_predictor``'s baseline, without the series preprocessing a whole bundle needs."""
    import meddx.bundle.series_predictor as sp

    monkeypatch.setattr(sp, "SeriesPredictor", lambda config, net, baseline, **kw: baseline)
    return sp.load_predictor(folder, config, None, {})


def test_the_baseline_file_records_its_checksum_and_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _write_baseline(tmp_path)
    data = (tmp_path / "baseline.safetensors").read_bytes()
    n = int.from_bytes(data[:8], "little")
    assert "data_sha256" in json.loads(data[8:8 + n])["__metadata__"]
    assert isinstance(_load(tmp_path, config, monkeypatch), torch.nn.Module)


def test_a_flipped_byte_in_the_baseline_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.core.errors import BundleError

    config = _write_baseline(tmp_path)
    file = tmp_path / "baseline.safetensors"
    data = bytearray(file.read_bytes())
    data[-3] ^= 0x01  # inside the last tensor's data: still valid safetensors
    file.write_bytes(bytes(data))
    with pytest.raises(BundleError, match="baseline.safetensors: tensor data damaged"):
        _load(tmp_path, config, monkeypatch)


def test_a_baseline_of_the_wrong_shape_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from meddx.core.errors import BundleError

    _write_baseline(tmp_path)
    config = {"baseline": {"spec": {**SPEC, "args": {"num_features": 9}}}}
    with pytest.raises(BundleError, match="do not match model 'logreg'"):
        _load(tmp_path, config, monkeypatch)
