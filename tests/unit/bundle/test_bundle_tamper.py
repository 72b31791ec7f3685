"""Hand-edited or damaged bundles: a one-line ``BundleError`` naming the file and field, never
a traceback from deep inside loading, and never weights silently reinterpreted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


def _edit(path: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    config = json.loads((path / "config.json").read_text())
    result = change(config)
    (path / "config.json").write_text(json.dumps(result if isinstance(result, list) else config))


def _set(*keys: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        target = config
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value
    return change


@pytest.mark.parametrize(("change", "field"), [
    (lambda c: [1, 2], "JSON object"),
    (_set("model", value=None), "'model'"),
    (_set("model", "args", value=[1]), "'model.args'"),
    (lambda c: c["model"].pop("num_classes"), "'model.num_classes'"),
    (_set("model", "ensemble", value="x"), "'model.ensemble'"),
    (_set("label_names", value=[]), "'label_names'"),
    (_set("label_names", value=["a", "b", "c"]), "'label_names'"),  # 3 names, 2 outputs: silent mislabelling
    (_set("task", value="foo"), "'task'"),
    (_set("decision", "threshold", value="x"), "'decision.threshold'"),
    (_set("calibration", value={"temperature": "x"}), "'calibration.temperature'"),
    (_set("calibration", value={"temperature": 1.0, "bias": "x"}), "'calibration.bias'"),
    (_set("calibration", value={"temperature": 1.0, "bias": float("nan")}), "'calibration.bias'"),
    (_set("tta", value="hflip"), "'tta'"),
])
def test_a_damaged_config_field_is_named(bundle: Path, change: Callable, field: str) -> None:
    _edit(bundle, change)
    with pytest.raises(BundleError, match=f"config.json.*{field}") as info:
        load_bundle(bundle).decide(np.array([[0.4, 0.6]]))
    assert "\n" not in str(info.value)


def test_a_config_that_is_not_utf8(bundle: Path) -> None:
    (bundle / "config.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BundleError, match="config.json: not valid JSON"):
        load_bundle(bundle)


def test_integer_weights_are_not_cast_into_a_float_model(bundle: Path) -> None:
    from safetensors.torch import load_file, save_file

    state = load_file(str(bundle / "weights.safetensors"))
    save_file({k: (v * 1e6).to(torch.int64) for k, v in state.items()}, str(bundle / "weights.safetensors"))
    with pytest.raises(BundleError, match="weights do not match.*int64"):
        load_bundle(bundle)


def test_half_precision_weights_still_load(bundle: Path) -> None:
    from safetensors.torch import load_file, save_file

    state = load_file(str(bundle / "weights.safetensors"))
    save_file({k: v.half() for k, v in state.items()}, str(bundle / "weights.safetensors"))
    assert load_bundle(bundle).label_names == ["neg", "pos"]


def test_a_bundle_written_by_another_process_meanwhile_is_a_bundle_error(tmp_path: Path, monkeypatch) -> None:
    import meddx.bundle.bundle as bundle_module

    original = bundle_module.check_destination_free
    calls = []

    def racing(path: Path, flag: str = "--output") -> None:
        calls.append(path)
        if len(calls) == 1:  # the check passes, then another process renames its bundle into place
            original(path, flag)
            Path(path).mkdir()
            (Path(path) / "config.json").write_text("{}")
            return
        original(path, flag)

    monkeypatch.setattr(bundle_module, "check_destination_free", racing)
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"task": "binary", "label_names": ["a", "b"], "preprocessing": pre.to_dict(),
              "model": {"name": "seed-cnn", "args": {}, "num_classes": 2}}
    with pytest.raises(BundleError, match="a bundle already exists"):
        save_bundle(tmp_path / "b", net=create_model("seed-cnn"), config=config, metrics={}, model_card="")
    assert (tmp_path / "b" / "config.json").read_text() == "{}"  # the other process's bundle is intact
    assert not list(tmp_path.glob(".b-*"))  # no temporary folder left behind


def test_a_calibration_bias_shifts_the_binary_log_odds(bundle: Path) -> None:
    """A class-weighted binary model's bundle stores the removed shift as calibration.bias."""
    _edit(bundle, _set("calibration", value={"temperature": 2.0, "bias": -1.0}))
    predictor = load_bundle(bundle)
    out = predictor.calibrate(np.array([[0.2, 0.8]]))
    assert out[0, 1] == pytest.approx(1 / (1 + np.exp(-(np.log(4) / 2 - 1))))


def test_a_calibration_bias_on_a_multiclass_bundle_is_refused(tmp_path: Path) -> None:
    pre = ImagePreprocessor((28, 28), 1).fit([np.zeros((1, 28, 28), np.uint8)])
    config = {"name": "m", "task": "multiclass", "label_names": ["a", "b", "c"], "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 28}, "num_classes": 3},
              "preprocessing": pre.to_dict(), "calibration": {"temperature": 1.0, "bias": 0.5}, "tta": []}
    net = create_model("seed-cnn", in_channels=1, num_classes=3, image_size=28)
    path = save_bundle(tmp_path / "m", net=net, config=config, metrics={}, model_card="")
    with pytest.raises(BundleError, match="'calibration.bias'.*binary models only"):
        load_bundle(path)


@pytest.mark.parametrize("class_thresholds", [{"neg": 0.5}, {"neg": 0.5, "pos": "high"}, [0.5, 0.5],
                                              {"neg": 0.5, "pos": float("nan")}])
def test_hand_edited_class_thresholds_are_refused_naming_the_field(bundle: Path, class_thresholds) -> None:
    """Found by the evaluation audit: a ``class_thresholds`` missing a label was a KeyError traceback
    at evaluate time (``operating.thresholds_of``)."""
    config = json.loads((bundle / "config.json").read_text())
    config["decision"]["class_thresholds"] = class_thresholds
    (bundle / "config.json").write_text(json.dumps(config))
    with pytest.raises(BundleError, match=r"config.json: field 'decision.class_thresholds' must be an object with "
                                          r"one finite threshold for each name in label_names"):
        load_bundle(bundle)
