"""A text bundle's ``baseline.safetensors`` is protected like ``weights.safetensors``.

Found by an audit: the TF-IDF baseline's arrays carried no checksum, so a flipped byte in them (a
bad copy) loaded silently and changed the baseline's probabilities, and with them the
network-baseline comparison in every report, while the same damage to the weights was refused.
They now carry the weights' ``data_sha256`` header metadata (``integrity.with_checksum``), checked
when the bundle loads; a baseline written before has none and still loads.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.bundle.bundle import load_bundle, save_bundle
from meddx.bundle.text_predictor import text_bundle_files
from meddx.core.errors import BundleError
from meddx.data.synthetic_text import keyword_documents
from meddx.evaluation.text_baseline import NAME, TfidfBaseline
from meddx.models.registry import create_model
from meddx.transforms.text import TextTokenizer

TEXTS, Y = keyword_documents(90, seed=0)


@pytest.fixture
def text_bundle(tmp_path: Path) -> Path:
    tokenizer = TextTokenizer.fit(TEXTS, kind="word", vocab_size=200, max_length=32)
    baseline = TfidfBaseline.fit(TEXTS, Y, "multiclass")
    args = {"vocab_size": tokenizer.vocab_size, "pad_id": tokenizer.pad_id}
    config = {"name": "t", "modality": "text", "task": "multiclass", "label_names": ["a", "b", "c"],
              "model": {"name": "lstm", "args": args, "num_classes": 3},
              "preprocessing": {"kind": "tokenizer", "tokenizer": "word", "file": "tokenizer.json", "max_length": 32},
              "decision": {"rule": "argmax", "threshold": None}, "calibration": {"temperature": 1.0},
              "baseline": {"model": NAME, "settings": dict(baseline.settings), "decision": None}}
    torch.manual_seed(0)
    net = create_model("lstm", num_classes=3, **args)
    return save_bundle(tmp_path / "b", net=net, config=config, metrics={}, model_card="",
                       extra_files=text_bundle_files(tokenizer, baseline))


def _header(data: bytes) -> dict:
    return json.loads(data[8:8 + int.from_bytes(data[:8], "little")])


def test_the_baseline_arrays_carry_the_weights_checksum(text_bundle: Path) -> None:
    for name in ("weights.safetensors", "baseline.safetensors"):
        meta = _header((text_bundle / name).read_bytes())["__metadata__"]
        assert meta["format"] == "meddx-bundle/1" and len(meta["data_sha256"]) == 64
    probs = load_bundle(text_bundle).baseline_predictor().predict_texts(TEXTS[:5])
    np.testing.assert_allclose(probs.sum(1), 1.0)


def test_a_flipped_byte_in_the_baseline_arrays_is_refused(text_bundle: Path) -> None:
    arrays = text_bundle / "baseline.safetensors"
    data = bytearray(arrays.read_bytes())
    data[-9] ^= 0x01  # a bit of the last float64: still a readable file, another baseline
    arrays.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"baseline.safetensors: tensor data damaged: its SHA-256 is "
                                          r".*'data_sha256'.*copy the bundle again"):
        load_bundle(text_bundle)


def test_a_baseline_written_before_the_checksum_still_loads(text_bundle: Path) -> None:
    from safetensors.numpy import load, save

    arrays = text_bundle / "baseline.safetensors"
    plain = save(load(arrays.read_bytes()))  # as bundles wrote it before: no metadata
    assert "__metadata__" not in _header(plain)
    arrays.write_bytes(plain)
    before = load_bundle(text_bundle).baseline_predictor()
    assert before is not None and before.predict_texts(TEXTS[:3]).shape == (3, 3)
