"""Without ``--target`` an image explanation explains the class ``meddx predict`` prints: the
decision at a binary bundle's stored threshold (not the network's argmax), and a class-weighted
multi-class bundle's weighted decision (``evaluation.decision.decided_class``), not argmax p."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from tests.integration.cli_helpers import run_cli


class _FixedLogits(nn.Module):
    """Logits ``bias + 1e-3 * mean(conv(x))``: almost constant (so the probabilities are known)
    yet differentiable in the input (so every attribution method has something to follow)."""

    def __init__(self, bias: list[float]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3, padding=1)
        self.register_buffer("bias", torch.tensor(bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bias + 1e-3 * self.conv(x).mean(dim=(1, 2, 3))[:, None]


def _bundle(root: Path, task: str, names: list[str], records: dict) -> Path:
    from meddx.bundle.bundle import save_bundle
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    pre = ImagePreprocessor((16, 16), 1).fit([np.arange(256, dtype=np.float32).reshape(1, 16, 16)])
    net = create_model("seed-cnn", in_channels=1, num_classes=len(names), image_size=16).eval()
    config = {"name": root.name, "task": task, "label_names": names, "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 1, "image_size": 16}, "num_classes": len(names)},
              "preprocessing": pre.to_dict(), "tta": [], **records}
    return save_bundle(root, net=net, config=config, metrics={}, model_card="# card")


# binary: p(pos) = softmax([0, 0.85])[1] ~ 0.70 < threshold 0.9, so the bundle says "neg" though argmax is "pos".
# class-weighted multi-class (weights 1, 1, 6 taken out of the probabilities by the calibration bias -log w):
# the user sees p ~ (0.50, 0.40, 0.10) and the label "c" (p*w ~ 0.50, 0.40, 0.60), though argmax p is "a"
WEIGHTS = [1.0, 1.0, 6.0]
CASES = {"binary": ("binary", ["neg", "pos"], {"decision": {"threshold": 0.9}}, [0.0, 0.85], "neg", "pos"),
         "weighted": ("multiclass", ["a", "b", "c"],
                      {"decision": {"rule": "argmax", "threshold": None, "class_weights": WEIGHTS},
                       "calibration": {"temperature": 1.0, "bias": [-float(np.log(w)) for w in WEIGHTS]}},
                      [float(v) for v in np.log(np.array([0.5, 0.4, 0.1]) * WEIGHTS)], "c", "a")}


@pytest.fixture
def image(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "x.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (16, 16), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("method", ["gradcam", "saliency"])
def test_the_explained_class_is_the_label_predict_prints(case, method, tmp_path, image, capsys, monkeypatch):
    import meddx.bundle.bundle as bundle_module

    task, names, records, bias, decided, argmax = CASES[case]
    bundle = _bundle(tmp_path / case, task, names, records)
    load = bundle_module.load_bundle

    def with_fixed_logits(*args, **kwargs):  # type: ignore[no-untyped-def]
        predictor = load(*args, **kwargs)
        predictor.net = _FixedLogits(bias).eval()
        return predictor

    monkeypatch.setattr(bundle_module, "load_bundle", with_fixed_logits)
    predicted = run_cli(["predict", str(bundle), str(image), "--json"], capsys)
    assert predicted.code == 0, predicted.err
    shown = json.loads(predicted.out.splitlines()[0])
    assert shown["label"] == decided != argmax == max(names, key=shown["probabilities"].get)
    explained = run_cli(["explain", str(bundle), str(image), "-m", method, "--out", str(tmp_path / "e"), "--json"],
                        capsys)
    assert explained.code == 0, explained.err
    row = json.loads(explained.out.splitlines()[0])
    assert row["target"] == decided

    from meddx.explain.api import explain

    (e,) = explain(bundle, [image], method)
    assert e.target == decided
    assert e.probability == pytest.approx(shown["probabilities"][decided], abs=1e-3)
