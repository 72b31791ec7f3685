"""ImagePreprocessor: fitted on train only, serialisable, channel and size handling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from meddx.core.errors import ConfigError, DataError, NotFittedError
from meddx.transforms.image import ImagePreprocessor, build_augmentation


def _images(n: int = 20, shape=(1, 40, 36), seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(n)]


def test_fit_normalises_training_images_to_zero_mean_unit_std() -> None:
    train = _images()
    pre = ImagePreprocessor((28, 28), channels=1).fit(train)
    x = pre.transform_many(train)
    assert x.shape == (20, 1, 28, 28) and x.dtype == np.float32
    assert abs(float(x.mean())) < 1e-3 and abs(float(x.std()) - 1) < 1e-3


def test_statistics_come_from_fit_data_only() -> None:
    pre = ImagePreprocessor((28, 28), channels=1).fit(_images(seed=1))
    bright = [np.full((1, 28, 28), 250, np.uint8)]
    assert pre.transform(bright[0]).mean() > 2  # not re-fitted on the new data


def test_uint8_scaled_by_dtype_and_16bit_by_percentiles() -> None:
    pre = ImagePreprocessor((4, 4), channels=1, normalize=False).fit([np.full((1, 4, 4), 255, np.uint8)])
    assert pre.to_dict()["scaling"] == "dtype" and pre.to_dict()["dtype_max"] == 255
    assert np.allclose(pre.transform(np.full((1, 4, 4), 51, np.uint8)), 0.2)
    ramp = np.arange(16, dtype=np.uint16).reshape(1, 4, 4) * 1000
    pre16 = ImagePreprocessor((4, 4), channels=1, normalize=False).fit([ramp])
    assert pre16.to_dict()["scaling"] == "percentile"
    scaled = pre16.transform(ramp)
    assert scaled.min() == pytest.approx(0.0) and scaled.max() == pytest.approx(1.0)


def test_scaling_resolved_at_fit_applies_to_other_dtypes() -> None:
    """Trained on 8-bit PNGs, a float copy of the same pixels (e.g. NIfTI) is scaled the same."""
    train = _images()
    pre = ImagePreprocessor((28, 28), channels=1).fit(train)
    assert np.allclose(pre.transform(train[0]), pre.transform(train[0].astype(np.float32)), atol=1e-5)
    clone = ImagePreprocessor.from_dict(pre.to_dict())
    assert np.allclose(clone.transform(train[0].astype(np.float32)), pre.transform(train[0]), atol=1e-5)



def test_a_16_bit_copy_of_an_8_bit_training_image_gives_the_same_input() -> None:
    """Found by an outside-in audit: divided by the training images' 255, the same picture saved as
    16-bit PNG (x257) came out 257 times brighter and every prediction was 1.000."""
    train = _images()
    pre = ImagePreprocessor.from_dict(ImagePreprocessor((28, 28), channels=1).fit(train).to_dict())
    sixteen = train[0].astype(np.uint16) * 257
    assert np.allclose(pre.transform(sixteen), pre.transform(train[0]), atol=1e-5)

def test_round_trip_through_dict_gives_identical_output() -> None:
    train = _images()
    pre = ImagePreprocessor((28, 28), channels=3).fit(train)
    clone = ImagePreprocessor.from_dict(pre.to_dict())
    assert np.array_equal(pre.transform(train[0]), clone.transform(train[0]))


def test_channel_conversion_and_3d_resize() -> None:
    rgb = np.stack([np.full((30, 30), v, np.uint8) for v in (0, 128, 255)])
    grey = ImagePreprocessor((28, 28), channels=1, normalize=False).fit([rgb])
    assert grey.transform(rgb).shape == (1, 28, 28)
    assert np.allclose(grey.transform(rgb), 383 / 3 / 255, atol=1e-3)
    volume = np.random.default_rng(0).random((1, 20, 40, 40)).astype(np.float32)
    pre3 = ImagePreprocessor((16, 16, 16), channels=1).fit([volume])
    assert pre3.transform(volume).shape == (1, 16, 16, 16)


def test_use_before_fit_and_bad_input_are_clear_errors() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        ImagePreprocessor((28, 28), 1).transform(np.zeros((1, 28, 28)))
    pre = ImagePreprocessor((28, 28), 1).fit(_images(2))
    with pytest.raises(DataError, match="spatial dimensions"):
        pre.transform(np.zeros((1, 4, 28, 28, 2)))
    with pytest.raises(DataError, match="channels"):
        ImagePreprocessor((8, 8), 3).fit([np.zeros((2, 8, 8), np.uint8)])


@pytest.mark.parametrize("preset", ["light", "strong", "shift"])
@pytest.mark.parametrize("size", [(28, 28), (16, 16, 16)])
def test_augmentation_presets_keep_shape_and_change_pixels(preset: str, size: tuple) -> None:
    aug = build_augmentation(preset, size)
    x = torch.rand(1, *size)
    torch.manual_seed(0)
    outs = [torch.as_tensor(aug(x)) for _ in range(5)]
    assert all(o.shape == x.shape for o in outs)
    assert any(not torch.allclose(o, x) for o in outs)


@pytest.mark.parametrize("size", [(28, 28), (12, 20, 16)])
def test_shift_preset_is_a_whole_pixel_translation_of_the_image_or_its_mirror(size: tuple) -> None:
    import itertools

    import torch.nn.functional as F

    x = torch.rand(1, *size)
    border = [max(1, round(0.1 * s)) for s in size]  # 10% of each side
    pad = [b for b in reversed(border) for _ in range(2)]  # F.pad wants the last axis first
    padded = {flip: F.pad((torch.flip(x, dims=[-1]) if flip else x)[None], pad, mode="replicate")[0]
              for flip in (False, True)}
    candidates = {(flip, offset): padded[flip][(slice(None),) + tuple(slice(o, o + n) for o, n in zip(offset, size))]
                  for flip in (False, True)
                  for offset in itertools.product(*(range(2 * b + 1) for b in border))}
    aug = build_augmentation("shift", size, seed=0)
    drawn = []
    for _ in range(30):
        out = torch.as_tensor(aug(x))
        match = [key for key, ref in candidates.items() if torch.equal(out, ref)]
        assert match, "output is not an exact shifted copy (resampled?)"
        drawn.append(match[0])
    assert len({offset for _, offset in drawn}) > 3 and {flip for flip, _ in drawn} == {False, True}
    same = [torch.as_tensor(build_augmentation("shift", size, seed=0)(x)) for _ in range(2)]
    assert torch.equal(*same)  # seeded: reproducible


def test_augmentation_none_and_unknown_preset() -> None:
    assert build_augmentation("none", (28, 28)) is None
    with pytest.raises(ConfigError, match="light"):
        build_augmentation("extreme", (28, 28))


def test_fit_transform_equals_fit_then_transform() -> None:
    train = _images(seed=3)
    once = ImagePreprocessor((28, 28), channels=1)
    stacked = once.fit_transform(iter(train))
    twice = ImagePreprocessor((28, 28), channels=1).fit(train)
    assert np.allclose(stacked, twice.transform_many(train), atol=1e-6)
    assert once.to_dict() == twice.to_dict()
