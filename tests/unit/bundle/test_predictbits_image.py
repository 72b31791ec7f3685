"""The same image gets the same probability bits alone, inside any batch, and through evaluation.

Found by measurement: on CPU a pass of one image runs other kernels than a pass of several (and a
wide Linear differs again below 4 rows, MONAI's DenseNet below 16), so ``meddx predict one.png``,
``meddx serve`` (a pass per request) and ``Predictor.predict_files([one])`` gave a probability a float32
step away from the same file's row in ``evaluate``'s ``predictions.csv``. Every pass is now padded
(``bundle.pass_rows``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from meddx.bundle.predictor import Predictor
from meddx.data.base import ImageSource, SplitData
from meddx.evaluation.evaluate import predict_split
from meddx.models.registry import create_model
from meddx.transforms.image import ImagePreprocessor


def _predictor(net: nn.Module, size: tuple[int, ...], tta: list[str] | None = None) -> Predictor:
    pre = ImagePreprocessor(size, 1).fit([np.linspace(0, 255, int(np.prod(size))).reshape(1, *size)])
    cfg = {"name": "bits", "task": "binary", "label_names": ["a", "b"], "preprocessing": pre.to_dict(),
           "tta": tta or []}
    return Predictor(cfg, net.eval())


class _WideMLP(nn.Module):
    """A flattening classifier with a 256-wide hidden layer: GEMM rows 1-3 and full blocks differ."""

    def __init__(self, pixels: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(pixels, 256), nn.ReLU(), nn.Linear(256, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _images(n: int, size: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, *size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("net", ["seed-cnn", "wide-mlp"])
@pytest.mark.parametrize("tta", [[], ["hflip"]])
def test_an_image_alone_in_a_batch_of_3_and_last_of_130_gets_the_same_bits(net, tta):
    model = create_model("seed-cnn", num_classes=2, in_channels=1) if net == "seed-cnn" else _WideMLP(28 * 28)
    predictor = _predictor(model, (28, 28), tta)
    x = _images(130, (28, 28))
    alone = predictor.predict_tensor(x[129:130])
    in_three = predictor.predict_tensor(torch.cat([x[:1], x[129:130], x[1:2]]))
    in_all = predictor.predict_tensor(x)  # a pass of 128, then one of 2 holding it
    two_at_a_time = predictor.predict_tensor(x, batch_size=2)
    assert np.array_equal(alone[0], in_three[1])
    assert np.array_equal(alone[0], in_all[129])
    assert np.array_equal(in_all, two_at_a_time)


def test_a_larger_image_padded_to_blocks_of_4_gets_the_same_bits():
    """160 px: 40 a pass by the voxel budget, the last pass of 3 padded to 4 rows (``pass_rows``)."""
    predictor = _predictor(_WideMLP(160 * 160), (160, 160))
    x = _images(43, (160, 160))
    together = predictor.predict_tensor(x)  # passes of 40 and 3 (padded to 4)
    for i in (0, 1, 41, 42):
        assert np.array_equal(predictor.predict_tensor(x[i : i + 1])[0], together[i])
    assert np.array_equal(predictor.predict_tensor(x[40:43]), together[40:])


def test_predict_split_and_predict_arrays_agree_to_the_bit():
    """``evaluate``'s passes (129 images: one pass of 129) and one image at a time."""
    predictor = _predictor(create_model("seed-cnn", num_classes=2, in_channels=1), (28, 28))
    images = (np.random.default_rng(3).random((129, 1, 28, 28)) * 255).astype(np.uint8)
    source = ImageSource(name="s", origin="test", task="binary", label_names=["a", "b"], spatial_dims=2,
                         splits={"test": SplitData(ids=[str(i) for i in range(129)], labels=np.zeros(129, np.int64),
                                                   images=images)})
    split_probs = predict_split(predictor, source, "test").probs
    for i in (0, 64, 128):
        assert np.array_equal(predictor.predict_arrays([images[i]]), split_probs[i : i + 1])


def test_the_typicality_features_keep_one_row_per_real_input():
    predictor = _predictor(create_model("seed-cnn", num_classes=2, in_channels=1), (28, 28))
    features: list[torch.Tensor] = []
    probs = predictor.predict_tensor(_images(3, (28, 28)), features=features)
    assert probs.shape == (3, 2)
    assert sum(len(f) for f in features) == 3


class _Tiny3D(nn.Module):
    """A cheap 3D classifier recording the rows of each pass."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv3d(1, 8, kernel_size=4, stride=4)
        self.fc = nn.Linear(8, 2)
        self.seen: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(int(x.shape[0]))
        return self.fc(torch.relu(self.conv(x)).mean(dim=(2, 3, 4)))


def test_a_volume_over_the_pass_budget_runs_in_passes_of_the_same_size_with_the_same_bits():
    predictor = _predictor(_Tiny3D(), (64, 64, 64))
    x = _images(6, (64, 64, 64), seed=1)
    together = predictor.predict_tensor(x)
    assert set(predictor.net.seen) == {4}  # 64^3: 4 a pass by the voxel budget, the last 2 padded
    for i in range(6):
        assert np.array_equal(predictor.predict_tensor(x[i : i + 1])[0], together[i])
