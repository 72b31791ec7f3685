"""``auto`` intensity scaling does not depend on which training file sorts first.

Found by a review: the first training image decided the scaling of the whole source. A folder of
8-bit PNGs whose first file was a CT in HU (float32) got ``percentile`` for every PNG; one whose
first file was a PNG got ``dtype``, and the CT was divided by 255 (-3.4..3.2 beside 0..1). Now
the preprocessor refuses a mix (``MixedIntensities``, naming one example of each kind), and
training falls back to per-image percentiles with the reason, and two example files, in the plan.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from meddx.data.sources import load_source
from meddx.training.data import preprocess_split
from meddx.training.scaling import scaled_fit
from meddx.transforms.image import ImagePreprocessor, MixedIntensities

RNG = np.random.default_rng(0)
PNGS = [RNG.integers(0, 256, (1, 8, 8), dtype=np.uint8) for _ in range(4)]
CT = RNG.uniform(-900, 1200, (1, 8, 8)).astype(np.float32)


@pytest.mark.parametrize("order", ["ct_first", "ct_last"])
def test_a_mix_of_8_bit_and_float_images_is_refused_in_either_order(order: str) -> None:
    images = [CT, *PNGS] if order == "ct_first" else [*PNGS, CT]
    pre = ImagePreprocessor((8, 8), 1)
    with pytest.raises(MixedIntensities) as caught:
        pre.fit(images)
    assert (caught.value.eight_bit, caught.value.other) == ((1, 0) if order == "ct_first" else (0, 4))
    assert caught.value.other_dtype == "float32" and "scaling='percentile'" in str(caught.value)
    assert not hasattr(pre, "scaling_")  # nothing half-fitted is left behind
    with pytest.raises(MixedIntensities):
        ImagePreprocessor((8, 8), 1).fit_transform(iter(images))


def test_homogeneous_sources_resolve_as_before_and_an_explicit_mode_is_kept() -> None:
    assert ImagePreprocessor((8, 8), 1).fit(PNGS).to_dict()["scaling"] == "dtype"
    floats = ImagePreprocessor((8, 8), 1).fit([CT, CT * 2]).to_dict()
    assert (floats["scaling"], floats["dtype_max"]) == ("percentile", 1.0)
    sixteen = ImagePreprocessor((8, 8), 1).fit([PNGS[0].astype(np.uint16) * 257]).to_dict()
    assert (sixteen["scaling"], sixteen["dtype_max"]) == ("percentile", 65535.0)
    one = ImagePreprocessor((8, 8), 1, "percentile").fit([CT, *PNGS])
    other = ImagePreprocessor((8, 8), 1, "percentile").fit([*PNGS, CT])
    assert one.scaling_ == other.scaling_ == "percentile"
    np.testing.assert_allclose(one.mean_, other.mean_, rtol=1e-6)


def _folder(root: Path, ct_name: str) -> Path:
    for split in ("train", "val"):
        for cls in ("normal", "pneumonia"):
            (root / split / cls).mkdir(parents=True)
            for i in range(4):
                Image.fromarray(PNGS[i][0]).save(root / split / cls / f"m{i}.png")
    nib.save(nib.Nifti1Image(CT[0][:, :, None], np.eye(4)), root / "train" / "normal" / ct_name)
    return root


@pytest.mark.parametrize("ct_name", ["a_ct.nii.gz", "z_ct.nii.gz"])
def test_training_scales_a_mixed_folder_by_percentiles_whatever_the_file_order(tmp_path: Path, ct_name: str) -> None:
    source = load_source(str(_folder(tmp_path / "mixed", ct_name)))
    plan = SimpleNamespace(image_size=(8, 8), channels=1, reasons={})
    pre, x_train = scaled_fit(source, plan, "auto",  # type: ignore[arg-type]
                              lambda pre: preprocess_split(source, "train", pre, False, fit=True))
    assert pre.scaling_ == "percentile"
    reason = plan.reasons["scaling"]
    assert ct_name in reason and ".png: uint8" in reason and "float32" in reason
    ct = next(i for i, p in enumerate(source.split("train").paths) if p.endswith(ct_name))
    scaled = ImagePreprocessor.from_dict({**pre.to_dict(), "normalize": False}).transform(source.get_image("train", ct))
    assert 0.0 <= scaled.min() and scaled.max() <= 1.0  # on the PNGs' scale, not -3.4..3.2


def test_training_keeps_auto_for_a_folder_of_one_kind(tmp_path: Path) -> None:
    root = _folder(tmp_path / "pngs", "ct.nii.gz")
    (root / "train" / "normal" / "ct.nii.gz").unlink()
    source = load_source(str(root))
    plan = SimpleNamespace(image_size=(8, 8), channels=1, reasons={})
    pre, _ = scaled_fit(source, plan, "auto",  # type: ignore[arg-type]
                        lambda pre: preprocess_split(source, "train", pre, False, fit=True))
    assert pre.scaling_ == "dtype" and "scaling" not in plan.reasons


def test_the_model_card_says_why_a_mixed_source_is_scaled_by_percentiles() -> None:
    from meddx.bundle.card_model import _model_section

    cfg = {"model": {"name": "seed-cnn", "args": {}},
           "preprocessing": {"channels": 1, "spatial_size": [8, 8], "scaling": "percentile"},
           "training": {"plan": {}, "plan_reasons": {"scaling": "percentile (auto): the training images mix 8-bit"}}}
    assert "- Intensity scaling: percentile (auto): the training images mix 8-bit." in _model_section(cfg)
    del cfg["training"]["plan_reasons"]["scaling"]
    assert not any(line.startswith("- Intensity scaling") for line in _model_section(cfg))
