"""Byte-identical images of brain-tumor-mri's Testing folder (56 groups of copies among its 394 images)
get bit-identical probabilities from ``meddx evaluate``'s prediction of the split, whatever the pass size.

Found by the evaluation walk (task "evalml"): a pass of one image runs another CPU kernel than a pass
of several, so the copy predicted alone (here the split's last image, in a last pass of one at 3 a pass,
as 7 or 73 a pass leave one per 512-image chunk) got a probability a float32 step from its twin's, and
ties in the ranking broke (``evaluation.image_passes``). The network is untrained: what is tested is the
arithmetic, not the model.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import torch

from meddx.data.sources import load_source

pytestmark = pytest.mark.realdata


@pytest.mark.timeout(600)
def test_copies_in_the_testing_folder_get_identical_probabilities(shared_data: Path, tmp_path: Path) -> None:
    from meddx.bundle.bundle import load_bundle, save_bundle
    from meddx.evaluation.evaluate import predict_split
    from meddx.models.registry import create_model
    from meddx.transforms.image import ImagePreprocessor

    folder = shared_data / "brain-tumor-mri"
    if not (folder / "Testing").is_dir():
        pytest.skip(f"{folder} is absent (set MEDDX_SHARED_DATA to the shared data folder)")
    source = load_source(folder, carve_val=False)
    n = len(source.split("test"))
    groups: dict[str, list[int]] = defaultdict(list)
    for i in range(n):
        groups[hashlib.sha256(np.ascontiguousarray(source.get_image("test", i)).tobytes()).hexdigest()].append(i)
    copies = [g for g in groups.values() if len(g) > 1]
    assert len(copies) >= 50 and any(n - 1 in g for g in copies)  # the last image has a twin

    rng = np.random.default_rng(0)
    pre = ImagePreprocessor((28, 28), 3).fit([rng.integers(0, 256, (3, 28, 28), dtype=np.uint8) for _ in range(4)])
    names = list(source.label_names)
    config = {"name": "twins", "task": "multiclass", "label_names": names, "spatial_dims": 2,
              "model": {"name": "seed-cnn", "args": {"in_channels": 3, "image_size": 28}, "num_classes": len(names)},
              "preprocessing": pre.to_dict(), "decision": {"rule": "argmax", "threshold": None}, "tta": []}
    torch.manual_seed(0)
    net = create_model("seed-cnn", in_channels=3, num_classes=len(names), image_size=28)
    predictor = load_bundle(save_bundle(tmp_path / "twins", net=net, config=config, metrics={}, model_card=""))
    assert n % 3 == 1  # 3 a pass leaves the last image alone
    probs = predict_split(predictor, source, "test", batch_size=3).probs
    for group in copies:
        assert all(np.array_equal(probs[group[0]], probs[i]) for i in group[1:]), [source.split("test").ids[i]
                                                                                     for i in group]
