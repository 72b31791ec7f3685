"""Images are predicted in batches scaled to their size: a 64^3 volume is not sent 128 at a time
(gigabytes of activations for a 3D ResNet), a 28 px image still is, and the probabilities do not
depend on the batch beyond float rounding."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from meddx.bundle.predictor import MAX_BATCH, Predictor, batch_size_for
from meddx.data.base import ImageSource, SplitData
from meddx.evaluation.evaluate import predict_split
from meddx.transforms.image import ImagePreprocessor


class _Spy3D(nn.Module):
    """A cheap 3D classifier that records how many samples each forward pass held."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv3d(1, 4, kernel_size=4, stride=4)
        self.fc = nn.Linear(4, 2)
        self.seen: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(int(x.shape[0]))
        return self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3, 4)))


def _predictor(size: int = 64) -> Predictor:
    pre = ImagePreprocessor((size,) * 3, 1).fit([np.linspace(0, 255, size**3).reshape(1, size, size, size)])
    cfg = {"name": "spy", "task": "binary", "label_names": ["a", "b"], "preprocessing": pre.to_dict(), "tta": ["hflip"]}
    return Predictor(cfg, _Spy3D())


def test_the_batch_scales_with_the_voxels_per_sample():
    assert batch_size_for((10, 1, 28, 28)) == MAX_BATCH == 128  # 2D MedMNIST: unchanged
    assert batch_size_for((10, 3, 64, 64)) == 128
    assert 1 <= batch_size_for((10, 1, 64, 64, 64)) < 128
    assert batch_size_for((10, 1, 28, 28, 28)) > batch_size_for((10, 1, 64, 64, 64))
    assert batch_size_for((1, 1, 512, 512, 512)) == 1


def _one_by_one(predictor: Predictor, x: torch.Tensor) -> np.ndarray:
    return np.concatenate([predictor.predict_tensor(x[i : i + 1], batch_size=1) for i in range(len(x))])


def test_a_64_cubed_volume_batch_is_small_and_gives_the_one_by_one_probabilities():
    predictor = _predictor()
    x = torch.randn(9, 1, 64, 64, 64, generator=torch.Generator().manual_seed(1))
    probs = predictor.predict_tensor(x)
    assert max(predictor.net.seen) == batch_size_for(tuple(x.shape)) < len(x)
    np.testing.assert_allclose(probs, _one_by_one(predictor, x), atol=1e-6, rtol=0)


@pytest.mark.parametrize("entry", ["predict_arrays", "predict_split", "predict_files"])
def test_every_image_entry_point_uses_the_scaled_batch(entry, tmp_path):
    predictor = _predictor()
    rng = np.random.default_rng(2)
    images = rng.integers(0, 255, size=(9, 1, 64, 64, 64)).astype(np.uint8)
    if entry == "predict_arrays":
        probs = predictor.predict_arrays(list(images), calibrated=False)
    elif entry == "predict_split":
        source = ImageSource(name="s", origin="test", task="binary", label_names=["a", "b"], spatial_dims=3,
                             splits={"test": SplitData(ids=[str(i) for i in range(9)], labels=np.zeros(9, np.int64),
                                                       images=images)})
        probs = predict_split(predictor, source, "test").probs
    else:
        import nibabel as nib

        paths = []
        for i, v in enumerate(images):
            paths.append(tmp_path / f"v{i}.nii.gz")
            nib.save(nib.Nifti1Image(v[0].transpose(2, 1, 0), np.eye(4)), paths[-1])
        probs = np.array([list(p.probabilities.values()) for p in predictor.predict_files(paths)])
    assert max(predictor.net.seen) < len(images)
    expected = _one_by_one(predictor, predictor.preprocess(list(images)))
    np.testing.assert_allclose(probs, expected, atol=1e-6, rtol=0)
