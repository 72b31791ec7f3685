"""Review of the input-typicality check (``bundle.typicality``): a damaged or mismatched
``typicality.json`` is refused at load with one line, a copied predictor (the server's explanation
twin) starts with no pass of the original's under way, and a handful of validation images sets no
threshold."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.bundle.typicality import FILE, MIN_VAL, fit_for_bundle, fit_typicality
from meddx.core.errors import BundleError
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


def _config(pre: ImagePreprocessor) -> dict:
    return {"name": "t", "task": "binary", "label_names": ["neg", "pos"], "spatial_dims": 2,
            "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 16}, "num_classes": 2},
            "preprocessing": pre.to_dict(), "decision": {"threshold": 0.5}, "tta": ["hflip"]}


def _family(pre: ImagePreprocessor, rng: np.random.Generator, n: int) -> np.ndarray:
    base = rng.normal(128, 6, (n, 1, 1, 1)) + rng.normal(0, 3, (n, 1, 16, 16))
    return pre.transform_many(list(np.clip(base, 0, 255).astype(np.uint8)))


def _bundle(root: Path, n_val: int = 200) -> Path:
    """A seed-CNN bundle (16 px) whose check is fitted as training fits it (``fit_for_bundle``)."""
    from meddx.bundle.predictor import Predictor

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((16, 16), 1).fit([np.full((1, 16, 16), 128, np.uint8)])
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=1, num_classes=2, image_size=16).eval()
    config = _config(pre)
    predictor = Predictor(config, net)
    val_features: list = []
    predictor.predict_tensor(torch.from_numpy(_family(pre, rng, n_val)), features=val_features)
    fitted = fit_for_bundle(predictor, _family(pre, rng, 300), rng.integers(0, 2, 300), val_features, "binary")
    assert fitted is not None
    config["typicality"], data = fitted
    return save_bundle(root / "b", net=net, config=config, metrics={}, model_card="", extra_files={FILE: data})


def test_a_changed_byte_of_the_stored_arrays_is_refused_at_load(tmp_path: Path) -> None:
    """A flipped base64 character still decodes (as other numbers): without the digest the bundle
    loaded and judged every input against a different check."""
    path = _bundle(tmp_path)
    data = json.loads((path / FILE).read_text())
    b64 = data["whitener"]["base64"]
    data["whitener"]["base64"] = ("B" if b64[10] != "B" else "C").join([b64[:10], b64[11:]])
    (path / FILE).write_text(json.dumps(data))
    with pytest.raises(BundleError, match="typicality.json: cannot read .* SHA-256 is not the one config.json records"):
        load_bundle(path)


def test_a_check_of_another_feature_width_is_refused_at_load(tmp_path: Path) -> None:
    """A typicality.json fitted on other features (a file copied from another bundle): refused at
    load naming the file, where predict used to end in a numpy shape error (a traceback)."""
    path = _bundle(tmp_path)
    rng = np.random.default_rng(1)
    other, _ = fit_typicality(rng.standard_normal((50, 5)), np.repeat([0, 1], 25), rng.standard_normal((30, 5)),
                              "binary")
    config = json.loads((path / "config.json").read_text())
    config["typicality"].pop("sha256", None)
    (path / "config.json").write_text(json.dumps(config))
    other.threshold = config["typicality"]["threshold"]  # else refused sooner: its threshold is not config.json's
    (path / FILE).write_text(json.dumps(other.arrays_json()))
    with pytest.raises(BundleError, match=r"typicality.json: the typicality check reads 5 features .* one reading"):
        load_bundle(path)


def test_a_copied_predictor_carries_no_pass_of_the_original(tmp_path: Path) -> None:
    """The server deep-copies its predictor for explanations while other threads predict: the copy
    must not inherit their slots (which made its later passes pile features up in a list nobody
    reads, and made copying race with a thread adding or removing its slot)."""
    predictor = load_bundle(_bundle(tmp_path))
    x = predictor.preprocess([np.full((1, 16, 16), 128, np.uint8)])
    predictor.predict_tensor(x, features=[])  # registers the tap
    tap = predictor._tap
    tap.start()  # a pass of this thread under way, as a predicting thread's while the twin is made
    twin = copy.deepcopy(predictor)
    tap.stop()
    assert twin._tap is not tap and twin._tap.slots == {}
    with torch.inference_mode():
        twin.net(x)  # an explanation's pass on the twin, no features asked for
    assert twin._tap.slots == {}
    theirs: list = []
    twin.predict_tensor(x, features=theirs)
    assert len(theirs) == 1 and theirs[0].shape[0] == 1


def test_a_handful_of_validation_images_sets_no_threshold(tmp_path: Path) -> None:
    """6 validation images: the 99.5% quantile is their maximum (a bundle trained so flagged 6 of
    its own 20 test images); no check is fitted, so the bundle says it has none."""
    from meddx.bundle.predictor import Predictor

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((16, 16), 1).fit([np.full((1, 16, 16), 128, np.uint8)])
    torch.manual_seed(0)
    predictor = Predictor(_config(pre), create_model("seed-cnn", in_channels=1, num_classes=2, image_size=16))
    train, labels = _family(pre, rng, 60), rng.integers(0, 2, 60)

    def fitted(n_val: int):
        val_features: list = []
        predictor.predict_tensor(torch.from_numpy(_family(pre, rng, n_val)), features=val_features)
        return fit_for_bundle(predictor, train, labels, val_features, "binary")

    assert fitted(MIN_VAL - 1) is None
    summary, _ = fitted(MIN_VAL)
    assert summary["n_val"] == MIN_VAL


def test_the_model_card_names_the_check_and_its_false_alarm_rate() -> None:
    """The card's limitations say the check exists, its rate (no finer than 1/(n_val+1)) and what it misses."""
    from meddx.bundle.model_card import limitations

    cfg = {"task": "binary", "label_names": ["neg", "pos"]}
    assert not any("feature-distance" in line for line in limitations(cfg, {}))
    few = limitations({**cfg, "typicality": {"n_val": 60, "quantile": 0.995}}, {})
    many = limitations({**cfg, "typicality": {"n_val": 1000, "quantile": 0.995}}, {})
    assert any("threshold from 60 validation images: about 1.6% of in-domain inputs flagged" in line for line in few)
    assert any("threshold from 1000 validation images: about 0.5%" in line and "not subtle shifts" in line
               for line in many)
