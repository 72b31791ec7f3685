"""An explicit ``scaling: dtype`` does not depend on which training file sorts first.

Found by a review: ``auto`` had been made order-independent, but an explicit ``dtype`` fixed the
divisor of floating-point images (``dtype_max_``) from the first integer image it met. A folder of
8-bit PNGs and a CT in HU (float32) divided the CT by 255 (-3.1..4.7 beside 0..1) when a PNG sorted
first and by 1 (HU as is) when the CT did. Integer images keep their own bit depth; a float records
none, so integers mixed with floats are refused (``NoBitDepth``; training names two files), and
``dtype_max_`` is the largest bit depth of the integer images, whatever their order.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from meddx.core.errors import DataError
from meddx.data.sources import load_source
from meddx.training.data import preprocess_split
from meddx.training.scaling import scaled_fit
from meddx.transforms.image import ImagePreprocessor, NoBitDepth
from tests.unit.transforms.test_image_scaling_order import CT, PNGS, _folder

WIDE = (PNGS[0].astype(np.uint16) * 257,)  # the first picture as a 16-bit PNG


@pytest.mark.parametrize("order", ["ct_first", "ct_last"])
def test_dtype_over_integer_and_float_images_is_refused_in_either_order(order: str) -> None:
    images = [CT, *PNGS] if order == "ct_first" else [*PNGS, CT]
    pre = ImagePreprocessor((8, 8), 1, "dtype")
    with pytest.raises(NoBitDepth) as caught:
        pre.fit(images)
    assert (caught.value.integer, caught.value.floating) == ((1, 0) if order == "ct_first" else (0, 4))
    assert (caught.value.integer_kind, caught.value.float_kind) == ("uint8", "float32")
    assert "scaling='percentile'" in str(caught.value) and "\n" not in str(caught.value)
    assert not hasattr(pre, "scaling_")  # nothing half-fitted is left behind
    with pytest.raises(NoBitDepth):
        ImagePreprocessor((8, 8), 1, "dtype").fit_transform(iter(images))


def test_dtype_over_integers_of_several_depths_is_the_same_in_either_order() -> None:
    one = ImagePreprocessor((8, 8), 1, "dtype", normalize=False).fit([*PNGS, *WIDE])
    other = ImagePreprocessor((8, 8), 1, "dtype", normalize=False).fit([*WIDE, *PNGS])
    assert one.to_dict() == other.to_dict() and one.dtype_max_ == 65535.0  # floats at prediction: /65535
    np.testing.assert_array_equal(one.transform(CT), other.transform(CT))
    np.testing.assert_allclose(one.transform(WIDE[0]), one.transform(PNGS[0]), atol=1e-6)  # own depth each
    # the other modes record the same dtype_max whatever the order (it was the first image's: 1.0 or 255)
    ct_first = ImagePreprocessor((8, 8), 1, "percentile").fit([CT, *PNGS]).to_dict()
    assert ct_first == ImagePreprocessor((8, 8), 1, "percentile").fit([*PNGS, CT]).to_dict()
    assert ct_first["dtype_max"] == 255.0


def test_homogeneous_sources_and_existing_bundles_scale_as_before() -> None:
    pngs = ImagePreprocessor((8, 8), 1, "dtype", normalize=False).fit(PNGS)
    assert (pngs.scaling_, pngs.dtype_max_) == ("dtype", 255.0)
    np.testing.assert_allclose(pngs.transform(CT), CT / 255.0, rtol=1e-6)  # a float at prediction: /255
    floats = ImagePreprocessor((8, 8), 1, "dtype", normalize=False).fit([CT, CT * 2])
    assert (floats.scaling_, floats.dtype_max_) == ("dtype", 1.0)
    np.testing.assert_allclose(floats.transform(CT), CT)
    saved = {"type": "image", "spatial_size": [8, 8], "channels": 1, "scaling": "dtype", "dtype_max": 4095.0,
             "normalize": False, "mean": [0.0], "std": [1.0]}  # a bundle's config, written before
    np.testing.assert_allclose(ImagePreprocessor.from_dict(saved).transform(CT), CT / 4095.0, rtol=1e-6)


@pytest.mark.parametrize("ct_name", ["a_ct.nii.gz", "z_ct.nii.gz"])
def test_training_with_dtype_on_a_mixed_folder_names_two_files_whatever_the_order(tmp_path: Path,
                                                                                  ct_name: str) -> None:
    source = load_source(str(_folder(tmp_path / "mixed", ct_name)))
    plan = SimpleNamespace(image_size=(8, 8), channels=1, reasons={})
    with pytest.raises(DataError) as caught:
        scaled_fit(source, plan, "dtype",  # type: ignore[arg-type]
                   lambda pre: preprocess_split(source, "train", pre, False, fit=True))
    message = str(caught.value)
    assert f"{ct_name}: float32" in message and ".png: uint8" in message
    assert "'scaling: percentile'" in message and "\n" not in message and "scaling" not in plan.reasons
